"""B-cubed precision, recall and F1 of a clustering against the truth (Bagga & Baldwin, 1998).

For each record, precision is the share of its predicted cluster that truly shares its
person, recall the share of its true person found in its predicted cluster; both are
averaged over records. Computed exactly from the contingency counts, in O(n).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["BCubed", "bcubed"]


@dataclass(frozen=True)
class BCubed:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 0.0 if total == 0 else 2 * self.precision * self.recall / total


def bcubed(predicted, truth) -> BCubed:
    """B-cubed scores of cluster labels ``predicted`` against ``truth`` (same length, one label per record)."""
    frame = pl.DataFrame({"p": pl.Series(predicted), "t": pl.Series(truth)})
    if frame.height == 0:
        return BCubed(1.0, 1.0)
    if frame.null_count().sum_horizontal().item():
        raise ValueError("labels must not be null")
    cells = frame.group_by("p", "t").len("both")
    cells = cells.join(frame.group_by("p").len("np"), on="p").join(frame.group_by("t").len("nt"), on="t")
    precision = (cells["both"] ** 2 / cells["np"]).sum() / frame.height
    recall = (cells["both"] ** 2 / cells["nt"]).sum() / frame.height
    return BCubed(float(precision), float(recall))
