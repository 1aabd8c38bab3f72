"""NIR (French social security number), delegating to ``stdnum.fr.nir``; plus its whole-column forms.

15 characters: sex (1), year (2), month (2), department (2, ``2A``/``2B`` for
Corsica), commune (3), serial (3), key (2) with ``key = 97 - (first 13 digits
mod 97)``; for Corsica ``2A`` counts as 19 and ``2B`` as 18. Written with
blanks, dots, dashes or slashes between the groups (``SEPARATORS``), in any
case. Leaks also hold the NIR as 13 characters with the key in another column:
``validate_split`` joins them back.

The column forms (``compact_column``, ``validate_column``, ``is_valid_column``,
``split_valid_column``) are polars expressions over a whole column, equal to the
scalar forms cell by cell (tested with hypothesis); nulls give null / False.

Reference: https://www.insee.fr/en/metadonnees/definition/c1409

>>> validate('1 85 05 78 006 084 91')
'185057800608491'
>>> validate('185057800608492')
Traceback (most recent call last):
    ...
fuite.errors.InvalidChecksum: the value's check digits are wrong
>>> validate('185057800608X36')
Traceback (most recent call last):
    ...
fuite.errors.InvalidFormat: the value has an invalid format
>>> validate('18505780060843')
Traceback (most recent call last):
    ...
fuite.errors.InvalidLength: the value has an invalid length
>>> validate('253072B07300470')
'253072B07300470'
>>> validate_split('1850578006084', '91')
'185057800608491'
>>> is_valid(None)
False
>>> import polars as pl
>>> validate_column(pl.Series(['1 85 05 78 006 084 91', '185057800608492', None, '253072b07300470'])).to_list()
['185057800608491', None, None, '253072B07300470']
>>> split_valid_column(pl.Series(['1850578006084']), pl.Series(['91'])).to_list()
[True]
"""

import polars as pl
from stdnum import exceptions as stdnum_errors
from stdnum.fr import nir as _stdnum_nir

from fuite.errors import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from fuite.ids._text import SEPARATORS_RE, TRIM_CHARS, strip_separators, trim

__all__ = ["LENGTH", "LAYOUT", "BODY_LAYOUT", "TEXT_PATTERN", "compact", "calc_check_digits", "validate",
           "validate_split", "is_valid", "format", "compact_column", "validate_column", "is_valid_column",
           "join_split_column", "split_valid_column"]

LENGTH = 15
#: Layout of a compact NIR (full match): digits, Corsica ``2A``/``2B`` in the department.
LAYOUT = r"^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$"
#: Layout of the 13-character body of a NIR whose key sits elsewhere.
BODY_LAYOUT = r"^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{6}$"
#: A NIR written inside free text (sex 1–4/7/8, a month or a special month, optional blank or dot between groups).
TEXT_PATTERN = (r"(?<![0-9])[1-478][ .]?[0-9]{2}[ .]?(?:0[1-9]|1[0-2]|[2-9][0-9])[ .]?(?:[0-9]{2}|2[AB])[ .]?"
                r"[0-9]{3}[ .]?[0-9]{3}[ .]?[0-9]{2}(?![0-9])")

_ERRORS = {
    stdnum_errors.InvalidChecksum: InvalidChecksum,
    stdnum_errors.InvalidLength: InvalidLength,
    stdnum_errors.InvalidComponent: InvalidComponent,
}


def compact(number: str) -> str:
    """Trim, drop separators, upper-case (``2a`` -> ``2A``)."""
    return strip_separators(trim(number)).upper()


def calc_check_digits(number: str) -> str:
    """The two key digits of the first 13 characters."""
    return _stdnum_nir.calc_check_digits(compact(number))


def validate(number: str) -> str:
    """Return the compact NIR or raise a ``fuite.errors.ValidationError``."""
    number = compact(number)
    if not number.isascii():  # stdnum would fold full-width digits into a valid NIR
        raise InvalidFormat()
    try:
        return _stdnum_nir.validate(number)
    except stdnum_errors.ValidationError as exc:
        raise _ERRORS.get(type(exc), InvalidFormat)() from None


def validate_split(body: str, key: str) -> str:
    """Validate a NIR whose 13-character body and 2-digit key sit in two cells."""
    body, key = compact(body), compact(key).zfill(2)
    if len(body) != 13 or len(key) != 2:
        raise InvalidLength()
    return validate(body + key)


def is_valid(number: str) -> bool:
    """True when ``number`` is a valid NIR."""
    try:
        return bool(validate(number))
    except (InvalidFormat, InvalidChecksum, InvalidLength, InvalidComponent):
        return False


def format(number: str, separator: str = " ") -> str:
    """The usual printed layout, ``1 85 05 78 006 084 91``."""
    return _stdnum_nir.format(compact(number), separator)


# ---- whole columns -------------------------------------------------------------------------------------------

def _compact_expr(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.strip_chars(TRIM_CHARS).str.replace_all(SEPARATORS_RE, "").str.to_uppercase()


def _key_matches(compact: pl.Expr) -> pl.Expr:
    body = (
        compact.str.slice(0, 13)
        .str.replace(r"^(.{5})2A", "${1}19")
        .str.replace(r"^(.{5})2B", "${1}18")
        .cast(pl.Int64, strict=False)
    )
    key = compact.str.slice(13, 2).cast(pl.Int64, strict=False)
    return (pl.lit(97, pl.Int64) - body % 97) == key


def compact_column(values: pl.Series) -> pl.Series:
    """Vectorised ``compact``."""
    return pl.DataFrame({"v": values}).select(_compact_expr(pl.col("v")).alias("v"))["v"].alias(values.name)


def validate_column(values: pl.Series) -> pl.Series:
    """Vectorised ``validate``: the compact NIR, or null where ``validate`` would raise."""
    v = _compact_expr(pl.col("v"))
    ok = (v.str.contains(LAYOUT) & _key_matches(v)).fill_null(False)
    return pl.DataFrame({"v": values}).select(pl.when(ok).then(v).alias("v"))["v"].alias(values.name)


def is_valid_column(values: pl.Series) -> pl.Series:
    """Boolean Series: which cells hold a valid NIR (nulls -> False)."""
    return validate_column(values).is_not_null()


def join_split_column(bodies: pl.Series, keys: pl.Series) -> pl.Series:
    """The 15-character compact NIR rebuilt from a 13-character body column and a key column."""
    keys = compact_column(keys).str.zfill(2)
    return compact_column(bodies) + keys


def split_valid_column(bodies: pl.Series, keys: pl.Series) -> pl.Series:
    """Boolean Series: which (body, key) pairs form a valid NIR."""
    return is_valid_column(join_split_column(bodies, keys))
