"""E-mail addresses: a pragmatic syntax check (local part, one ``@``, a dotted domain), lower-cased.

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
"""

import re

import polars as pl

from fuite.errors import InvalidFormat, InvalidLength
from fuite.ids._text import require_text

__all__ = ["PATTERN", "compact", "validate", "is_valid", "is_valid_column"]

#: Full-match pattern (ASCII local part, IDN-free domain with a TLD of letters).
PATTERN = r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}"
_FULL = re.compile(PATTERN)


def compact(address: str) -> str:
    """Trim and lower-case."""
    return require_text(address).strip().lower()


def validate(address: str) -> str:
    """Return the compact address or raise."""
    address = compact(address)
    if len(address) > 254:
        raise InvalidLength()
    if not _FULL.fullmatch(address) or ".." in address:
        raise InvalidFormat()
    return address


def is_valid(address: str) -> bool:
    """True when ``address`` looks like a deliverable e-mail address."""
    try:
        return bool(validate(address))
    except (InvalidFormat, InvalidLength):
        return False


def is_valid_column(values: pl.Series) -> pl.Series:
    """Vectorised ``is_valid``."""
    compact_values = values.cast(pl.String).str.strip_chars().str.to_lowercase()
    ok = compact_values.str.contains(f"^{PATTERN}$") & ~compact_values.str.contains(r"\.\.", literal=False)
    return (ok & (compact_values.str.len_chars() <= 254)).fill_null(False)
