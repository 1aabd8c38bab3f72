"""What may be shown of a leaked value or of a count of persons: the one privacy policy.

Every screen, explanation, ticket or report that shows a value from the leak
shows it through ``mask``: enough of its layout to see why a column or a link
was decided, not enough to identify anyone. Per category:

- NIR: the first digit (the sex); phone: the last two digits;
- e-mail: the first letter of the local part and of the host, the top-level domain;
- dates: the year only; postal code: the department (first two digits);
- codes and identifiers (RPPS, FINESS, member and record numbers, credentials):
  the first two and last two characters when there are more than six, else the first;
- values that describe no one (blood group, sex, quality of a beneficiary, the
  lab's or insurer's name, ``other``): shown, cut to 40 characters;
- anything else (names, towns, streets, free text): the first letter of each word.

Separators (blanks, dots, dashes, slashes) stay, so the layout shows. Counts of
persons from 1 to 9 are shown as ``< 10`` (``mask_count``): a report must not
single anyone out, zero reveals nobody, and 10 and more are shown exactly.

>>> mask("185057800608491", "nir")
'1**************'
>>> mask("1 85 05 78 006 084 91", "nir")
'1 ** ** ** *** *** **'
>>> mask("jean.dupont@orange.fr", "email")
'j**********@o*****.fr'
>>> mask("06 12 34 56 78", "phone")
'** ** ** ** 78'
>>> mask("12/03/1980", "birth_date")
'**/**/1980'
>>> mask("DUPONT Jean", "full_name")
'D***** J***'
>>> mask_count(0), mask_count(3), mask_count(10)
(0, '< 10', 10)
"""

from __future__ import annotations

import re

import polars as pl

__all__ = ["SHOWN", "SMALL_COUNT", "MASKED", "mask", "mask_column", "is_small", "mask_count"]

#: Categories whose values describe no one: shown (cut to 40 characters).
SHOWN = frozenset({"blood_group", "sex", "other", "lab_name", "insurer_name", "beneficiary_quality",
                   "beneficiary_rank"})
_CODES = frozenset({"physician_id", "insurer_id", "internal_id", "lab_id", "credential"})
_DATES = frozenset({"birth_date", "sample_date"})
_SEPARATORS = frozenset(" \t.-/()")
_YEAR = re.compile(r"(?<![0-9])(?:1[89]|20)[0-9]{2}(?![0-9])")

#: Counts strictly below this (and above zero) are masked.
SMALL_COUNT = 10
#: What a masked count becomes.
MASKED = f"< {SMALL_COUNT}"


def _keep(value: str, kept: set[int]) -> str:
    return "".join(c if i in kept or c in _SEPARATORS else "*" for i, c in enumerate(value))


def _positions(value: str) -> list[int]:
    return [i for i, c in enumerate(value) if c not in _SEPARATORS]


def _email(value: str) -> str:
    local, _, domain = value.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    stars = lambda text: text[:1] + "*" * max(len(text) - 1, 0)  # noqa: E731
    return f"{stars(local)}@{stars(host)}{dot}{tld}"


def _code(value: str) -> str:
    chars = _positions(value)
    kept = chars[:2] + chars[-2:] if len(chars) > 6 else chars[:1]
    return _keep(value, set(kept))


def _date(value: str) -> str:
    year = _YEAR.search(value)
    kept = set(range(year.start(), year.end())) if year else set()
    return "".join(c if i in kept or not c.isdigit() else "*" for i, c in enumerate(value))


def _words(value: str) -> str:
    return " ".join(w[:1] + "*" * (len(w) - 1) for w in value.split(" "))


def mask(value: str, category: str = "") -> str:
    """``value`` (one cell of ``category``) as it may be shown."""
    value = value.strip()
    if category in SHOWN:
        return value if len(value) <= 40 else value[:37] + "..."
    if category == "email" or (not category and "@" in value):
        return _email(value) if "@" in value else _words(value)
    if category == "nir":
        return _keep(value, set(_positions(value)[:1]))
    if category == "phone":
        return _keep(value, set(_positions(value)[-2:]))
    if category == "postal_code":
        return _keep(value, set(_positions(value)[:2]))
    if category in _DATES:
        return _date(value)
    if category in _CODES:
        return _code(value)
    return _words(value)


def mask_column(values: pl.Series, category: str = "") -> pl.Series:
    """``mask`` of every cell (computed once per distinct value); nulls stay null."""
    distinct = values.drop_nulls().unique().to_list()
    return values.replace_strict({v: mask(v, category) for v in distinct}, default=None, return_dtype=pl.String)


def is_small(n: int) -> bool:
    """True when ``n`` persons is too few to show."""
    return 0 < n < SMALL_COUNT


def mask_count(n: int) -> int | str:
    """``n`` itself, or ``MASKED`` when it is a small count."""
    return MASKED if is_small(n) else n
