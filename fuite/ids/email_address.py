"""E-mail addresses: the one syntax rule for stored, typed and mailed addresses; plus its column form.

Trimmed (``TRIM_CHARS``) and lower-cased. The local part is an RFC 5322
dot-atom in ASCII (letters, digits and ``!#$%&'*+/=?^_`{|}~-``, dots between
them, never two in a row nor at an end); the domain is dotted labels of
letters, digits and inner hyphens ending with a top-level domain of 2–24
letters; at most 254 characters in all. The page's ``normalise.js`` applies
the same pattern; ``validate_column`` is the same rule over a column.

>>> validate(' Jean.Dupont@Example.FR ')
'jean.dupont@example.fr'
>>> validate('jean.dupont@example')
Traceback (most recent call last):
    ...
fuite.errors.InvalidFormat: the value has an invalid format
>>> validate('jean dupont@example.fr')
Traceback (most recent call last):
    ...
fuite.errors.InvalidFormat: the value has an invalid format
>>> import polars as pl
>>> validate_column(pl.Series(['A@B.fr', 'a@b', None])).to_list()
['a@b.fr', None, None]
"""

import re

import polars as pl

from fuite.errors import InvalidFormat, InvalidLength
from fuite.ids._text import TRIM_CHARS, trim

__all__ = ["PATTERN", "LOCAL_PATTERN", "MAX_LENGTH", "compact", "validate", "is_valid", "compact_column", "validate_column",
           "is_valid_column"]

MAX_LENGTH = 254
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
#: The local part (before the ``@``).
LOCAL_PATTERN = rf"{_ATOM}(?:\.{_ATOM})*"
#: An address (use with a full match, or inside free text).
PATTERN = rf"{LOCAL_PATTERN}@(?:{_LABEL}\.)+[A-Za-z]{{2,24}}"
_FULL = re.compile(PATTERN)


def compact(address: str) -> str:
    """Trim and lower-case."""
    return trim(address).lower()


def validate(address: str) -> str:
    """Return the compact address or raise."""
    address = compact(address)
    if len(address) > MAX_LENGTH:
        raise InvalidLength()
    if not _FULL.fullmatch(address):
        raise InvalidFormat()
    return address


def is_valid(address: str) -> bool:
    """True when ``address`` is a syntactically deliverable e-mail address."""
    try:
        return bool(validate(address))
    except (InvalidFormat, InvalidLength):
        return False


def _compact_expr(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.strip_chars(TRIM_CHARS).str.to_lowercase()


def compact_column(values: pl.Series) -> pl.Series:
    """Vectorised ``compact``."""
    return pl.DataFrame({"v": values}).select(_compact_expr(pl.col("v")).alias("v"))["v"].alias(values.name)


def validate_column(values: pl.Series) -> pl.Series:
    """Vectorised ``validate``: the compact address, or null where ``validate`` would raise."""
    v = _compact_expr(pl.col("v"))
    ok = (v.str.contains(f"^(?:{PATTERN})$") & (v.str.len_chars() <= MAX_LENGTH)).fill_null(False)
    return pl.DataFrame({"v": values}).select(pl.when(ok).then(v).alias("v"))["v"].alias(values.name)


def is_valid_column(values: pl.Series) -> pl.Series:
    """Vectorised ``is_valid``."""
    return validate_column(values).is_not_null()
