"""FINESS number of a health or social establishment (labs, hospitals).

9 characters: the department (2: ``01``–``95``, ``2A``/``2B`` for Corsica,
``9A``–``9F`` overseas), a 6-digit serial, and a Luhn check digit over the
first eight. Corsican and overseas numbers are accepted on their layout alone
(their key is computed on a substituted department that registries do not
agree on, and rejecting a valid number is worse than accepting a bad one).

Reference: https://finess.esante.gouv.fr

>>> validate('350002812')
'350002812'
>>> validate('35 000 281 2')
'350002812'
>>> validate('350002813')
Traceback (most recent call last):
    ...
fuite.errors.InvalidChecksum: the value's check digits are wrong
>>> validate('35000281X')
Traceback (most recent call last):
    ...
fuite.errors.InvalidFormat: the value has an invalid format
>>> validate('35000281')
Traceback (most recent call last):
    ...
fuite.errors.InvalidLength: the value has an invalid length
>>> validate('2A0000014')
'2A0000014'
"""

import polars as pl
from stdnum.util import clean

from fuite.errors import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from fuite.ids import luhn
from fuite.ids._text import ascii_digits, require_text

__all__ = ["LENGTH", "LAYOUT", "compact", "calc_check_digit", "validate", "is_valid", "compact_column",
           "is_valid_column"]

LENGTH = 9
#: Layout of a compact FINESS number (full match), check digit not verified.
LAYOUT = r"^(?:[0-9]{2}|2[AB]|9[A-F])[0-9]{7}$"
_SPECIAL_DEPARTMENTS = {"2A", "2B", "9A", "9B", "9C", "9D", "9E", "9F"}


def compact(number: str) -> str:
    """Strip spaces, dots and dashes; upper-case."""
    return clean(require_text(number), " .-").strip().upper()


def calc_check_digit(number: str) -> str:
    """The Luhn digit of the first eight digits."""
    return luhn.calc_check_digit(compact(number)[:8])


def validate(number: str) -> str:
    """Return the compact FINESS number or raise."""
    number = compact(number)
    department, rest = number[:2], number[2:]
    if not ascii_digits(rest) or not (ascii_digits(department) or department in _SPECIAL_DEPARTMENTS):
        raise InvalidFormat()
    if len(number) != LENGTH:
        raise InvalidLength()
    if department in ("00", "96", "20") or department > "9F":
        raise InvalidComponent()
    if ascii_digits(department) and not luhn.is_valid(number):
        raise InvalidChecksum()
    return number


def is_valid(number: str) -> bool:
    """True when ``number`` is a valid FINESS number."""
    try:
        return bool(validate(number))
    except (InvalidFormat, InvalidLength, InvalidComponent, InvalidChecksum):
        return False


def compact_column(values: pl.Series) -> pl.Series:
    """Vectorised ``compact``."""
    return values.cast(pl.String).str.replace_all(r"[ .\-]", "").str.strip_chars().str.to_uppercase()


def is_valid_column(values: pl.Series) -> pl.Series:
    """Vectorised ``is_valid``."""
    frame = pl.DataFrame({"v": compact_column(values)})
    digits_ok = luhn.is_valid_column(frame["v"], LENGTH) & ~frame["v"].str.contains(r"^(00|96|20)").fill_null(True)
    special = frame["v"].str.contains(r"^(2A|2B|9[A-F])[0-9]{7}$").fill_null(False)
    return digits_ok | special
