"""A birth date as a person types it into the self-check: ISO ``YYYY-MM-DD`` or French ``DD/MM/YYYY``.

The compact form is ISO. The date must exist in the calendar and be after
1880. ``validate_column`` is the same rule over a column (the index side reads
the ISO dates detect stored; both must agree).

>>> validate('31/01/1970')
'1970-01-31'
>>> validate(' 2000-02-29 ')
'2000-02-29'
>>> validate('1970-02-30')
Traceback (most recent call last):
    ...
fuite.errors.InvalidComponent: the birth date is not a calendar date
>>> validate('31-01-1970')
Traceback (most recent call last):
    ...
fuite.errors.InvalidFormat: a birth date is written YYYY-MM-DD or DD/MM/YYYY
>>> import polars as pl
>>> validate_column(pl.Series(['1970-01-31', '31/01/1970', '1900-02-29', None])).to_list()
['1970-01-31', '1970-01-31', None, None]
"""

import datetime as dt
import re

import polars as pl

from fuite.errors import InvalidComponent, InvalidFormat
from fuite.ids._text import TRIM_CHARS, trim

__all__ = ["EARLIEST_YEAR", "validate", "is_valid", "validate_column"]

EARLIEST_YEAR = 1880
_ISO = re.compile("([0-9]{4})-([0-9]{2})-([0-9]{2})")
_FRENCH = re.compile("([0-9]{2})/([0-9]{2})/([0-9]{4})")


def validate(value: str) -> str:
    """ISO ``YYYY-MM-DD`` of a real calendar date, or raise."""
    value = trim(value)
    iso, french = _ISO.fullmatch(value), _FRENCH.fullmatch(value)
    if iso:
        year, month, day = iso.groups()
    elif french:
        day, month, year = french.groups()
    else:
        raise InvalidFormat("a birth date is written YYYY-MM-DD or DD/MM/YYYY")
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        raise InvalidComponent("the birth date is not a calendar date") from None
    if int(year) < EARLIEST_YEAR:
        raise InvalidComponent("the birth date is too early")
    return f"{year}-{month}-{day}"


def is_valid(value: str) -> bool:
    """True when ``value`` is a birth date in one of the two layouts."""
    try:
        return bool(validate(value))
    except (InvalidFormat, InvalidComponent):
        return False


def validate_column(values: pl.Series) -> pl.Series:
    """Vectorised ``validate``: ISO, or null where ``validate`` would raise."""
    v = pl.col("v").cast(pl.String).str.strip_chars(TRIM_CHARS)
    iso = (pl.when(v.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")).then(v)
           .when(v.str.contains(r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$"))
           .then(pl.concat_str([v.str.slice(6, 4), v.str.slice(3, 2), v.str.slice(0, 2)], separator="-")))
    real = iso.str.to_date("%Y-%m-%d", strict=False).is_not_null() & (iso.str.slice(0, 4) >= str(EARLIEST_YEAR))
    return pl.DataFrame({"v": values}).select(pl.when(real).then(iso).alias("v"))["v"].alias(values.name)
