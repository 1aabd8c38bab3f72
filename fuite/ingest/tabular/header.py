"""Decide from the values whether a first row is a header, and find a header below title rows."""

from __future__ import annotations

import re
from collections.abc import Sequence

_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_MAX_HEADER_CELL = 64


def looks_like_data(value: str) -> bool:
    """A cell a header would not hold: an email, a date, or mostly digits."""
    v = value.strip()
    if not v:
        return False
    if "@" in v or _DATE.search(v):
        return True
    digits = sum(ch.isdigit() for ch in v)
    alnum = sum(ch.isalnum() for ch in v)
    return digits > 0 and digits >= 0.5 * alnum


def is_header(first: Sequence[str | None], rows: Sequence[Sequence[str | None]]) -> bool:
    """True when ``first`` reads as column names for ``rows``.

    A header has no data-like cell, no duplicate name, no long text, and its
    names do not recur in the column below; numeric or date-like columns under
    a text cell vote for it.
    """
    cells = [c.strip() for c in first if c and c.strip()]
    if not cells or len(cells) < 0.5 * len(first):
        return False
    if any(looks_like_data(c) or len(c) > _MAX_HEADER_CELL for c in cells):
        return False
    if len({c.casefold() for c in cells}) < len(cells):
        return False
    header_votes = data_votes = 0
    for j, name in enumerate(first):
        column = [r[j].strip() for r in rows if j < len(r) and r[j] and r[j].strip()]
        if not name or not column:
            continue
        if name.strip() in column:
            data_votes += 1
        elif sum(map(looks_like_data, column)) >= 0.5 * len(column):
            header_votes += 1
    if data_votes > header_votes:
        return False
    return True


def locate_header(rows: Sequence[Sequence[str | None]], look: int = 30) -> tuple[int, bool]:
    """``(start, has_header)``: where the table starts below any title rows, and whether that row is a header.

    The table starts at the first row filled to at least 60 % of the widest row
    nearby; it is a header when ``is_header`` agrees with the rows below it.
    """
    head = [[None if c is None else str(c) for c in r] for r in rows[:look]]
    filled = [sum(1 for c in r if c and c.strip()) for r in head]
    if not filled or max(filled) == 0:
        return 0, False
    widest = max(filled)
    start = next(i for i, n in enumerate(filled) if n >= max(1, 0.6 * widest))
    below = [[None if c is None else str(c) for c in r] for r in rows[start + 1: start + 1 + look]]
    return start, is_header(head[start], below)
