"""fuite.synth: the drill generator — a synthetic leak shaped like the 2021 one, with its answer key.

>>> from fuite.synth import generate
>>> summary = generate(Path("drill"), persons=300, seed=1)   # doctest: +SKIP
"""

from fuite.lazy import lazy_exports

__all__ = ["generate", "DEFAULT_PERSONS"]
__getattr__ = lazy_exports(globals(), {"generate": "fuite.synth.generate", "DEFAULT_PERSONS": "fuite.synth.generate"})
