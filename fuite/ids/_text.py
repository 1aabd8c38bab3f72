"""Input guard shared by the identifier modules: only text is an identifier."""

from fuite.errors import InvalidFormat


def require_text(value: object) -> str:
    """Return ``value`` if it is a ``str``, else raise ``InvalidFormat`` (None, bytes, numbers...)."""
    if not isinstance(value, str):
        raise InvalidFormat("the value is not text")
    return value


def ascii_digits(value: str) -> bool:
    """True when ``value`` is non-empty and made of ASCII digits only (``str.isdigit`` accepts others)."""
    return bool(value) and value.isascii() and value.isdigit()
