"""Luhn check digit, delegating to ``stdnum.luhn``, plus a whole-column version.

>>> is_valid('10001234565')
True
>>> is_valid('10001234566')
False
>>> import polars as pl
>>> is_valid_column(pl.Series(['10001234565', '10001234566', None])).to_list()
[True, False, False]
"""

import polars as pl
from stdnum import luhn as _stdnum_luhn

from fuite.errors import InvalidChecksum, InvalidFormat, InvalidLength
from fuite.ids._text import ascii_digits, require_text

__all__ = ["MAX_LENGTH", "calc_check_digit", "validate", "is_valid", "is_valid_column"]

#: Longest number checked (identifiers using Luhn are at most 19 digits long).
MAX_LENGTH = 20


def calc_check_digit(number: str) -> str:
    """The Luhn digit to append to ``number``."""
    return _stdnum_luhn.calc_check_digit(number)


def validate(number: str) -> str:
    """Return ``number`` if its last digit is its Luhn check digit, else raise."""
    number = require_text(number)
    if not ascii_digits(number):
        raise InvalidFormat()
    if len(number) > MAX_LENGTH:
        raise InvalidLength()
    if _stdnum_luhn.checksum(number) != 0:
        raise InvalidChecksum()
    return number


def is_valid(number: str) -> bool:
    """True when the Luhn checksum holds."""
    try:
        return bool(validate(number))
    except (InvalidFormat, InvalidChecksum, InvalidLength):
        return False


def is_valid_column(values: pl.Series, length: int | None = None) -> pl.Series:
    """Vectorised ``is_valid`` over ASCII-digit strings (optionally of one ``length``); nulls -> False."""
    frame = pl.DataFrame({"v": values.cast(pl.String)})
    width = pl.col("v").str.len_chars().cast(pl.Int64)
    ok = pl.col("v").str.contains(r"^[0-9]+$")
    if length is not None:
        ok = ok & (width == length)
    n = length or MAX_LENGTH
    total = pl.lit(0, pl.Int64)
    for pos_from_right in range(n):
        index = width - 1 - pos_from_right
        digit = pl.when(index >= 0).then(
            pl.col("v").str.slice(index.clip(0), 1).cast(pl.Int64, strict=False)).otherwise(0)
        if pos_from_right % 2:
            digit = (digit * 2) - pl.when(digit * 2 > 9).then(9).otherwise(0)
        total = total + digit
    if length is None:
        ok = ok & (width <= n)
    return frame.select((ok & (total % 10 == 0)).fill_null(False).alias("valid"))["valid"]
