"""French postal code: 5 digits starting with a department number (01–95, 20 for Corsica, 97/98 overseas).

>>> validate('35000')
'35000'
>>> validate(' 2 9200')
'29200'
>>> validate('00100')
Traceback (most recent call last):
    ...
fuite.errors.InvalidComponent: one of the value's parts is invalid
>>> validate('3500')
Traceback (most recent call last):
    ...
fuite.errors.InvalidLength: the value has an invalid length
>>> validate('35OOO')
Traceback (most recent call last):
    ...
fuite.errors.InvalidFormat: the value has an invalid format
"""

import polars as pl

from fuite.errors import InvalidComponent, InvalidFormat, InvalidLength
from fuite.ids._text import ascii_digits, require_text

__all__ = ["PATTERN", "compact", "validate", "is_valid", "compact_column", "is_valid_column"]

PATTERN = r"(?:0[1-9]|[1-8][0-9]|9[0-5]|9[78])[0-9]{3}"


def compact(code: str) -> str:
    """Strip spaces."""
    return require_text(code).replace(" ", "").strip()


def validate(code: str) -> str:
    """Return the compact postal code or raise."""
    code = compact(code)
    if not ascii_digits(code):
        raise InvalidFormat()
    if len(code) != 5:
        raise InvalidLength()
    if code[:2] in ("00", "96", "99"):
        raise InvalidComponent()
    return code


def is_valid(code: str) -> bool:
    """True when ``code`` is a plausible French postal code."""
    try:
        return bool(validate(code))
    except (InvalidFormat, InvalidLength, InvalidComponent):
        return False


def compact_column(values: pl.Series) -> pl.Series:
    """Vectorised ``compact``."""
    return values.cast(pl.String).str.replace_all(" ", "").str.strip_chars()


def is_valid_column(values: pl.Series) -> pl.Series:
    """Vectorised ``is_valid``."""
    return compact_column(values).str.contains(f"^{PATTERN}$").fill_null(False)
