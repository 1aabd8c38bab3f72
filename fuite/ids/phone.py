"""Telephone numbers to E.164: the one rule for stored and typed numbers, French first; plus its column form.

Accepted layouts (after trimming, dropping ``SEPARATORS`` and the ``(0)``
trunk prefix, and turning a leading ``00`` into ``+``):

- French national ``0X XX XX XX XX`` (X ≠ 0) -> ``+33X…``;
- the same without its leading zero (a spreadsheet ate it: 9 digits, not
  starting with 0) -> ``+33…``;
- E.164 written without its plus sign, ``33X…`` (11 digits, X ≠ 0);
- international ``+CC…``: 8 to 15 digits, not starting with 0; a French
  ``+33`` number has 11 digits (``+330X…`` drops its trunk zero).

The page's ``normalise.js`` implements the same rule, so that a typed number
and a leaked one meet in the self-check. ``validate_column`` is the same rule
over a whole column, tested equal to ``validate``. ``is_dialable`` also asks
``phonenumbers`` whether the number exists in its country's numbering plan
(used on numbers found in free text).

>>> validate('02 99 12 34 56')
'+33299123456'
>>> validate('+33 6 12 34 56 78')
'+33612345678'
>>> validate('0033 (0)6.12.34.56.78')
'+33612345678'
>>> validate('33612345678')
'+33612345678'
>>> validate('612345678')
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
>>> validate_column(pl.Series(['06.12.34.56.78', '+33 2 99 12 34 56', 'n/a', None])).to_list()
['+33612345678', '+33299123456', None, None]
"""

import phonenumbers
import polars as pl

from fuite.errors import InvalidComponent, InvalidFormat, InvalidLength
from fuite.ids._text import SEPARATORS_RE, TRIM_CHARS, ascii_digits, strip_separators, trim

__all__ = ["TEXT_PATTERN", "BARE_LAYOUT", "compact", "validate", "is_valid", "is_dialable", "compact_column",
           "validate_column", "is_valid_column", "to_e164_column"]

#: A French number written inside free text (national or ``+33``/``0033`` layouts, groups of two digits).
TEXT_PATTERN = r"(?<![0-9+])(?:(?:\+|00)33[ .\-]?(?:\(0\))?|0)[1-79](?:[ .\-]?[0-9]{2}){4}(?![0-9])"
#: A compact number that lost its leading zero: 9 bare digits (accepted in a phone column, not evidence of one).
BARE_LAYOUT = r"^[1-9][0-9]{8}$"


def compact(number: str) -> str:
    """Trim, drop the ``(0)`` trunk prefix and separators; a leading ``00`` becomes ``+``."""
    number = strip_separators(trim(number).replace("(0)", ""))
    return "+" + number[2:] if number.startswith("00") else number


def _international(digits: str) -> str:
    if digits.startswith("330") and len(digits) == 12:
        digits = "33" + digits[3:]
    if not ascii_digits(digits):
        raise InvalidFormat()
    if not 8 <= len(digits) <= 15 or digits[0] == "0" or (digits.startswith("33") and len(digits) != 11):
        raise InvalidLength()
    return "+" + digits


def validate(number: str) -> str:
    """Return the number in E.164 or raise."""
    number = compact(number)
    if number.startswith("+"):
        return _international(number[1:])
    if not ascii_digits(number):
        raise InvalidFormat()
    if len(number) == 10 and number[0] == "0" and number[1] != "0":
        return "+33" + number[1:]
    if len(number) == 9 and number[0] != "0":
        return "+33" + number
    if len(number) == 11 and number.startswith("33") and number[2] != "0":
        return "+" + number
    raise InvalidLength()


def is_valid(number: str) -> bool:
    """True when ``number`` is a phone number in one of the accepted layouts."""
    try:
        return bool(validate(number))
    except (InvalidFormat, InvalidLength):
        return False


def is_dialable(number: str) -> bool:
    """True when ``number`` is valid and exists in its country's numbering plan (``phonenumbers``)."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(validate(number), None))
    except (InvalidFormat, InvalidLength, InvalidComponent, phonenumbers.NumberParseException):
        return False


# ---- whole columns -------------------------------------------------------------------------------------------

def _compact_expr(expr: pl.Expr) -> pl.Expr:
    number = (expr.cast(pl.String).str.strip_chars(TRIM_CHARS).str.replace_all("(0)", "", literal=True)
              .str.replace_all(SEPARATORS_RE, ""))
    return pl.when(number.str.starts_with("00")).then("+" + number.str.slice(2)).otherwise(number)


def _e164_expr(number: pl.Expr) -> pl.Expr:
    digits = number.str.slice(1)
    digits = (pl.when(digits.str.starts_with("330") & (digits.str.len_chars() == 12))
              .then("33" + digits.str.slice(3)).otherwise(digits))
    international = (number.str.starts_with("+") & digits.str.contains(r"^[1-9][0-9]{7,14}$")
                     & ~(digits.str.starts_with("33") & (digits.str.len_chars() != 11)))
    return (pl.when(international).then("+" + digits)
            .when(number.str.contains(r"^0[1-9][0-9]{8}$")).then("+33" + number.str.slice(1))
            .when(number.str.contains(BARE_LAYOUT)).then("+33" + number)
            .when(number.str.contains(r"^33[1-9][0-9]{8}$")).then("+" + number))


def compact_column(values: pl.Series) -> pl.Series:
    """Vectorised ``compact``."""
    return pl.DataFrame({"v": values}).select(_compact_expr(pl.col("v")).alias("v"))["v"].alias(values.name)


def validate_column(values: pl.Series) -> pl.Series:
    """Vectorised ``validate``: E.164, or null where ``validate`` would raise."""
    frame = pl.DataFrame({"v": values}).select(_compact_expr(pl.col("v")).alias("c"))
    return frame.select(_e164_expr(pl.col("c")).alias("v"))["v"].alias(values.name)


def is_valid_column(values: pl.Series, *, bare: bool = True) -> pl.Series:
    """Which cells hold a phone number; ``bare=False`` does not count 9 bare digits (they are often other codes)."""
    valid = validate_column(values).is_not_null()
    if bare:
        return valid
    return valid & ~compact_column(values).str.contains(BARE_LAYOUT).fill_null(False)


#: Former name of ``validate_column``.
to_e164_column = validate_column
