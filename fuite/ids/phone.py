"""Telephone numbers, French first, delegating to ``phonenumbers``; plus a whole-column E.164 normaliser.

French national layout ``0X XX XX XX XX`` (spaces, dots, dashes or none) and
the international ones ``+33 X…``, ``+33 (0)X…``, ``0033 X…``; other
countries in ``+CC`` form. ``to_e164_column`` handles the French layouts with
vectorised string operations and is tested equal to ``phonenumbers``.

>>> validate('02 99 12 34 56')
'+33299123456'
>>> validate('+33 6 12 34 56 78')
'+33612345678'
>>> validate('0033 (0)6.12.34.56.78')
'+33612345678'
>>> validate('33612345678')
'+33612345678'
>>> validate('12 34')
Traceback (most recent call last):
    ...
fuite.errors.InvalidLength: the value has an invalid length
>>> validate('06 12 AB 56 78')
Traceback (most recent call last):
    ...
fuite.errors.InvalidFormat: the value has an invalid format
>>> import polars as pl
>>> to_e164_column(pl.Series(['06.12.34.56.78', '+33 2 99 12 34 56', 'n/a', None])).to_list()
['+33612345678', '+33299123456', None, None]
"""

import phonenumbers
import polars as pl

from fuite.errors import InvalidComponent, InvalidFormat, InvalidLength
from fuite.ids._text import require_text

__all__ = ["compact", "validate", "is_valid", "to_e164_column"]

_SEPARATORS = r"[\s.\-/()]"


def compact(number: str) -> str:
    """Drop separators and the ``(0)`` trunk prefix; ``00`` becomes ``+``."""
    number = require_text(number).strip().replace("(0)", "")
    number = "".join(c for c in number if c not in " .-/()\t\u00a0")
    if len(number) == 11 and number.startswith("33") and number[2] != "0":
        return "+" + number                      # E.164 written without its plus sign
    return "+" + number[2:] if number.startswith("00") else number


def validate(number: str) -> str:
    """Return the number in E.164 or raise."""
    number = compact(number)
    digits = number[1:] if number.startswith("+") else number
    if not digits.isascii() or not digits.isdigit():
        raise InvalidFormat()
    if not 9 <= len(digits) <= 15:
        raise InvalidLength()
    try:
        parsed = phonenumbers.parse(number, "FR")
    except phonenumbers.NumberParseException:
        raise InvalidFormat() from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidComponent()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_valid(number: str) -> bool:
    """True when ``number`` is a valid phone number (French by default)."""
    try:
        return bool(validate(number))
    except (InvalidFormat, InvalidLength, InvalidComponent):
        return False


def to_e164_column(values: pl.Series) -> pl.Series:
    """E.164 for French numbers in any common layout, null for anything else."""
    compact_values = (
        values.cast(pl.String).str.strip_chars().str.replace_all(r"\(0\)", "")
        .str.replace_all(_SEPARATORS, "").str.replace(r"^00", "+")
    )
    national = compact_values.str.extract(r"^0([1-79][0-9]{8})$", 1)
    international = compact_values.str.extract(r"^\+?33([1-79][0-9]{8})$", 1)
    return ("+33" + national.fill_null(international)).alias(values.name)
