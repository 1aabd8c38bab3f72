"""fuite.synth: the drill generator — a synthetic leak shaped like the 2021 one, with its answer key.

>>> from fuite.synth import generate
>>> summary = generate(Path("drill"), persons=300, seed=1)   # doctest: +SKIP
"""

from fuite.synth.generate import DEFAULT_PERSONS, generate

__all__ = ["generate", "DEFAULT_PERSONS"]
