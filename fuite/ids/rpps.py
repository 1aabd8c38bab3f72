"""RPPS (Répertoire partagé des professionnels de santé) number of a health professional.

11 digits; the last is a Luhn check digit over the first ten. Physicians'
numbers start with ``10``. Printed with or without spaces.

Reference: https://esante.gouv.fr/produits-services/repertoire-rpps

>>> validate('10001234565')
'10001234565'
>>> validate('1000 123 4565')
'10001234565'
>>> validate('10001234566')
Traceback (most recent call last):
    ...
fuite.errors.InvalidChecksum: the value's check digits are wrong
>>> validate('1000123456A')
Traceback (most recent call last):
    ...
fuite.errors.InvalidFormat: the value has an invalid format
>>> validate('1000123456')
Traceback (most recent call last):
    ...
fuite.errors.InvalidLength: the value has an invalid length
"""

import polars as pl
from stdnum.util import clean

from fuite.errors import InvalidChecksum, InvalidFormat, InvalidLength
from fuite.ids import luhn
from fuite.ids._text import ascii_digits, require_text

__all__ = ["LENGTH", "LAYOUT", "TEXT_PATTERN", "compact", "calc_check_digit", "validate", "is_valid",
           "compact_column", "is_valid_column"]

LENGTH = 11
#: Layout of a compact RPPS number (full match).
LAYOUT = r"^[0-9]{11}$"
#: A physician's RPPS number written inside free text.
TEXT_PATTERN = r"(?<![0-9])1[0-9]{10}(?![0-9])"


def compact(number: str) -> str:
    """Strip spaces, dots and dashes."""
    return clean(require_text(number), " .-").strip()


def calc_check_digit(number: str) -> str:
    """The Luhn digit of the first ten digits."""
    return luhn.calc_check_digit(compact(number)[:10])


def validate(number: str) -> str:
    """Return the compact RPPS number or raise."""
    number = compact(number)
    if not ascii_digits(number):
        raise InvalidFormat()
    if len(number) != LENGTH:
        raise InvalidLength()
    if not luhn.is_valid(number):
        raise InvalidChecksum()
    return number


def is_valid(number: str) -> bool:
    """True when ``number`` is a valid RPPS number."""
    try:
        return bool(validate(number))
    except (InvalidFormat, InvalidLength, InvalidChecksum):
        return False


def compact_column(values: pl.Series) -> pl.Series:
    """Vectorised ``compact``."""
    return values.cast(pl.String).str.replace_all(r"[ .\-]", "").str.strip_chars()


def is_valid_column(values: pl.Series) -> pl.Series:
    """Vectorised ``is_valid``."""
    return luhn.is_valid_column(compact_column(values), LENGTH)
