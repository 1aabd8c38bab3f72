"""One column's values, prepared once and shared by every detector (stripped, folded, tokenised lazily)."""

from __future__ import annotations

from functools import cached_property

import polars as pl

from fuite.ids import SEPARATORS_RE
from fuite.text.fold import fold_column

__all__ = ["ColumnValues", "NAME_LIKE"]

#: A cell that could be a person's or place's name: letters, spaces, hyphens, apostrophes, 1–5 words.
NAME_LIKE = r"^[\p{L}][\p{L}'’\- ]*[\p{L}]$|^[\p{L}]$"
#: A cell laid out like a date (checked before the date parser runs).
DATE_SHAPE = r"^\d{1,4}[-/. ]\d{1,2}[-/. ]\d{2,4}|^\d{8}$|^\d{1,2}(?:er)?[ \-]\p{L}+\.?[ \-]\d{4}$"


class ColumnValues:
    """The non-empty cells of a column (``raw`` trimmed, ``folded`` accent-free lower case)."""

    def __init__(self, values: pl.Series):
        raw = values.cast(pl.String).str.strip_chars()
        self.total = raw.len()
        self.raw = raw.filter(raw.is_not_null() & (raw.str.len_chars() > 0)).alias("v")
        self._memo: dict = {}

    @property
    def n(self) -> int:
        return self.raw.len()

    @cached_property
    def features(self) -> pl.DataFrame:
        """Per-cell features every detector's gate uses, computed in one pass."""
        v = pl.col("v")
        words = v.str.count_matches(r"\S+")
        return pl.DataFrame({"v": self.raw, "folded": fold_column(self.raw)}).select(
            "folded",
            words=words,
            name_like=v.str.contains(NAME_LIKE) & (words <= 5),
            digits_only=v.str.replace_all(SEPARATORS_RE, "").str.contains(r"^[0-9]+$"),
            digit_count=v.str.count_matches(r"[0-9]"),
            length=v.str.len_chars(),
            has_at=v.str.contains("@", literal=True),
            letters2=v.str.contains(r"\p{L}{2}"),
            letters4=v.str.contains(r"\p{L}{4}"),
            date_shape=v.str.contains(DATE_SHAPE),
        )

    @property
    def folded(self) -> pl.Series:
        return self.features["folded"]

    @property
    def words(self) -> pl.Series:
        """Number of whitespace-separated words per cell."""
        return self.features["words"]

    @property
    def name_like(self) -> pl.Series:
        return self.features["name_like"]

    @property
    def digits_only(self) -> pl.Series:
        return self.features["digits_only"]

    @property
    def digit_count(self) -> pl.Series:
        return self.features["digit_count"]

    @cached_property
    def distinct(self) -> int:
        return self.raw.n_unique()

    @cached_property
    def none(self) -> pl.Series:
        """All-False mask (what a matcher returns when its cheap gate fails)."""
        return pl.Series([False] * self.n, dtype=pl.Boolean)

    def constant(self, flag: bool) -> pl.Series:
        """A mask with the same answer for every cell (a column-level condition)."""
        return self.none if not flag else ~self.none

    def gate(self, mask: pl.Series, minimum: float = 0.2) -> bool:
        """True when at least ``minimum`` of the cells pass a cheap pre-check."""
        return self.n > 0 and self.share(mask) >= minimum

    def memo(self, key: str, compute):
        """Compute once per column what several detectors share (parsed dates, name parts...)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def share(self, mask: pl.Series) -> float:
        """Share of the non-empty cells where ``mask`` holds."""
        if self.n == 0:
            return 0.0
        return (mask.sum() or 0) / mask.len() if mask.len() else 0.0   # masks of a spread subsample too
