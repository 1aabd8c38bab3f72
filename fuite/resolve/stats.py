"""Aggregate figures about the persons found: counts and distributions, never an identifier."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

__all__ = ["person_stats", "SIZE_BINS", "CONFIDENCE_BINS"]

#: Cluster sizes (records per person) are counted in these bins: 1, 2, 3, 4, 5-9, 10+.
SIZE_BINS = ((1, 1), (2, 2), (3, 3), (4, 4), (5, 9), (10, None))
#: Splink match probabilities are counted in these bins (lower bound inclusive).
CONFIDENCE_BINS = (0.5, 0.8, 0.95, 0.99, 0.999, 0.9999)


def _size_label(low: int, high: int | None) -> str:
    return f"{low}+" if high is None else (str(low) if low == high else f"{low}-{high}")


def _confidence_label(i: int) -> str:
    low = CONFIDENCE_BINS[i]
    high = CONFIDENCE_BINS[i + 1] if i + 1 < len(CONFIDENCE_BINS) else 1.0
    return f"[{low}, {high}]" if high == 1.0 else f"[{low}, {high})"


def person_stats(persons: pa.Table, links: pa.Table | None, records_count: int | None = None) -> dict:
    """Counts, the cluster-size histogram and the links' confidence distribution."""
    people = pl.from_arrow(persons.select(["records", "hiv", "health"]))
    sizes = people["records"]
    histogram = {}
    for low, high in SIZE_BINS:
        inside = (sizes >= low) if high is None else ((sizes >= low) & (sizes <= high))
        histogram[_size_label(low, high)] = int(inside.sum())
    out = {
        "records": int(records_count if records_count is not None else sizes.sum()),
        "persons": people.height,
        "persons_with_several_records": int((sizes > 1).sum()),
        "largest_person_records": int(sizes.max() or 0),
        "persons_with_hiv_data": int(people["hiv"].fill_null(False).sum()),
        "persons_with_health_data": int(people["health"].fill_null(False).sum()),
        "cluster_sizes": histogram,
    }
    if links is not None and links.num_rows:
        frame = pl.from_arrow(links.select(["rule", "match_probability", "joined"]))
        joined = frame.filter(pl.col("joined"))
        out["links_by_rule"] = {rule: int(n) for rule, n in joined.group_by("rule").len().sort("rule").iter_rows()}
        scored = frame.filter(pl.col("rule") == "splink")
        bins = {}
        for i, low in enumerate(CONFIDENCE_BINS):
            high = CONFIDENCE_BINS[i + 1] if i + 1 < len(CONFIDENCE_BINS) else None
            p = scored["match_probability"]
            inside = (p >= low) if high is None else ((p >= low) & (p < high))
            bins[_confidence_label(i)] = int(inside.sum())
        out["splink_confidence"] = bins
        out["splink_near_misses"] = int((~scored["joined"]).sum())
    return out
