"""Input guard shared by the identifier modules: only text is an identifier.

``TRIM_CHARS`` are the blanks trimmed around any typed or stored value (the
page's ``normalise.js`` trims the same set); ``SEPARATORS`` are the characters
people put inside a phone number or a NIR.
"""

from fuite.errors import InvalidFormat

__all__ = ["TRIM_CHARS", "SEPARATORS", "SEPARATORS_RE", "require_text", "trim", "strip_separators", "ascii_digits"]

#: Blanks trimmed around a value (same set in ``fuite/server/static/normalise.js``).
TRIM_CHARS = " \t\n\r\f\v\u00a0\u2009\u202f\ufeff"
#: Separators written inside phone numbers and NIRs (spaces, dots, dashes, slashes, parentheses).
SEPARATORS = " \t\u00a0\u2009\u202f.-/()"
#: ``SEPARATORS`` as a regex character class (for the column forms).
SEPARATORS_RE = "[ \t\u00a0\u2009\u202f.\\-/()]"
_DELETE_SEPARATORS = str.maketrans("", "", SEPARATORS)


def require_text(value: object) -> str:
    """Return ``value`` if it is a ``str``, else raise ``InvalidFormat`` (None, bytes, numbers...)."""
    if not isinstance(value, str):
        raise InvalidFormat("the value is not text")
    return value


def trim(value: object) -> str:
    """``value`` (text) without the blanks of ``TRIM_CHARS`` around it."""
    return require_text(value).strip(TRIM_CHARS)


def strip_separators(value: str) -> str:
    """``value`` without any of ``SEPARATORS``."""
    return value.translate(_DELETE_SEPARATORS)


def ascii_digits(value: str) -> bool:
    """True when ``value`` is non-empty and made of ASCII digits only (``str.isdigit`` accepts others)."""
    return bool(value) and value.isascii() and value.isdigit()
