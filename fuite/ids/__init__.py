"""fuite.ids: identifier modules shaped like python-stdnum, the only normaliser of an identifier.

``TRIM_CHARS`` (blanks around a value) and ``SEPARATORS`` (inside a phone number or a NIR) are shared by
every module; ``SEPARATORS_RE`` is the same set as a regex character class.
"""

from fuite.ids._text import SEPARATORS, SEPARATORS_RE, TRIM_CHARS

__all__ = ["SEPARATORS", "SEPARATORS_RE", "TRIM_CHARS"]
