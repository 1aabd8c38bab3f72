"""ADELI number of a health professional (the register RPPS replaced for physicians).

9 digits: the department of registration (2 digits, ``2A``/``2B`` for
Corsica), the profession (2 digits: ``10`` physicians, ``21`` pharmacists,
``60``–``69`` paramedical…), a 4-digit serial and a final control digit.
The control digit's algorithm is not public, so only the layout and the
department are checked: an ADELI column is recognised with its header.

Reference: https://esante.gouv.fr/produits-services/repertoire-rpps

>>> validate('351012345')
'351012345'
>>> validate('35 10 1234 5')
'351012345'
>>> validate('3510123X5')
Traceback (most recent call last):
    ...
fuite.errors.InvalidFormat: the value has an invalid format
>>> validate('35101234')
Traceback (most recent call last):
    ...
fuite.errors.InvalidLength: the value has an invalid length
>>> validate('001012345')
Traceback (most recent call last):
    ...
fuite.errors.InvalidComponent: one of the value's parts is invalid
"""

import polars as pl
from stdnum.util import clean

from fuite.errors import InvalidComponent, InvalidFormat, InvalidLength
from fuite.ids._text import ascii_digits, require_text

__all__ = ["LENGTH", "LAYOUT", "compact", "validate", "is_valid", "compact_column", "is_valid_column"]

LENGTH = 9
#: Layout of a compact ADELI number (full match).
LAYOUT = r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97)[0-9]{7}$"


def compact(number: str) -> str:
    """Strip spaces, dots and dashes; upper-case."""
    return clean(require_text(number), " .-").strip().upper()


def validate(number: str) -> str:
    """Return the compact ADELI number or raise."""
    number = compact(number)
    if not ascii_digits(number[2:]) or not (ascii_digits(number[:2]) or number[:2] in ("2A", "2B")):
        raise InvalidFormat()
    if len(number) != LENGTH:
        raise InvalidLength()
    if number[:2] in ("00", "96", "98", "99"):
        raise InvalidComponent()
    return number


def is_valid(number: str) -> bool:
    """True when ``number`` has the layout of an ADELI number."""
    try:
        return bool(validate(number))
    except (InvalidFormat, InvalidLength, InvalidComponent):
        return False


def is_valid_column(values: pl.Series) -> pl.Series:
    """Vectorised ``is_valid``."""
    return compact_column(values).str.contains(LAYOUT).fill_null(False)


def compact_column(values: pl.Series) -> pl.Series:
    """Vectorised ``compact``."""
    return values.cast(pl.String).str.replace_all(r"[ .\-]", "").str.strip_chars().str.to_uppercase()
