"""Stable person ids across resolutions: a person already in the case keeps their id (pure, polars).

A case grows: new files are added and every record is resolved again. The new clusters are
matched to the previous persons by how many records they share:

- each previous person id goes to at most one new cluster and each cluster takes at most one
  previous id; candidates are taken in a fixed order: ids of **notified** persons first, then
  the largest record overlap, then the smaller previous id, then the smaller cluster label;
- two previous persons joined into one cluster (a **merge**): the cluster keeps one id by that
  order (a notified one when there is one); the other id is retired, with the id it went to;
- a previous person split across clusters (a **split**): the largest part keeps the id; the
  other parts are new persons;
- a cluster with no previous id gets its smallest record id never issued before, so that an id
  is **never reused for a different person**; when every record id of the cluster was issued
  once (a record that was a person of its own, merged, then split out again), it gets the next
  id of a range no record id reaches (``FALLBACK_START``).

Everything here is internal ids and counts: no identifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

__all__ = ["StableIds", "stable_ids", "FALLBACK_START", "HISTORY_SCHEMA"]

#: First id of the range used when a cluster has no record id left that was never issued.
FALLBACK_START = 1 << 48

#: ``person_history``: one row per retired person id.
HISTORY_SCHEMA = {"person_id": pl.Int64, "retired_in": pl.Int64, "merged_into": pl.Int64, "reason": pl.String}


@dataclass
class StableIds:
    """The final id of each new cluster, the ids retired, and counts of what changed."""

    mapping: pl.DataFrame                      # label (the resolver's person_id) -> person_id (final)
    retired: pl.DataFrame                      # HISTORY_SCHEMA rows for the ids retired this time
    counts: dict = field(default_factory=dict)
    next_fallback: int = FALLBACK_START


def _overlaps(previous: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """(old, label, n): how many records each previous person shares with each new cluster."""
    joined = previous.select("record_id", pl.col("person_id").alias("old")).join(
        current.select("record_id", pl.col("person_id").alias("label")), on="record_id", how="inner")
    return joined.group_by("old", "label").agg(pl.len().alias("n"))


def _assign(pairs: pl.DataFrame, notified: set[int]) -> dict[int, int]:
    """Greedy one-to-one assignment label -> old in the order of the module docstring."""
    one_to_one = pairs.filter((pl.col("old").count().over("old") == 1) & (pl.col("label").count().over("label") == 1))
    assigned = dict(zip(one_to_one["label"].to_list(), one_to_one["old"].to_list()))
    rest = pairs.join(one_to_one.select("old"), on="old", how="anti")
    if rest.height:
        rest = rest.with_columns(pl.col("old").is_in(list(notified)).alias("notified")).sort(
            ["notified", "n", "old", "label"], descending=[True, True, False, False])
        taken: set[int] = set()
        for old, label in zip(rest["old"].to_list(), rest["label"].to_list()):
            if old not in taken and label not in assigned:
                assigned[label] = old
                taken.add(old)
    return assigned


def stable_ids(previous: pl.DataFrame, current: pl.DataFrame, *, notified: set[int] | None = None,
               issued: set[int] | None = None, round_no: int = 1,
               next_fallback: int = FALLBACK_START) -> StableIds:
    """Final person ids for ``current`` (record_id, person_id = cluster label) given ``previous``
    (record_id, person_id of the records resolved before). ``issued``: every id ever given (the
    previous persons' and the retired ones); ``round_no`` is written in the retired rows."""
    notified = notified or set()
    issued = set(issued or ()) | set(previous["person_id"].unique().to_list())
    pairs = _overlaps(previous, current)
    assigned = _assign(pairs, notified)
    labels = current["person_id"].unique().sort().to_list()
    free = [label for label in labels if label not in assigned]
    final = dict(assigned)
    blocked = [label for label in free if label in issued]
    for label in free:
        if label not in issued:
            final[label] = label
    if blocked:
        members = current.filter(pl.col("person_id").is_in(blocked)).filter(
            ~pl.col("record_id").is_in(list(issued | set(final.values()))))
        smallest = dict(members.group_by("person_id").agg(pl.col("record_id").min()).iter_rows())
        for label in blocked:
            if label in smallest:
                final[label] = smallest[label]
            else:
                final[label], next_fallback = next_fallback, next_fallback + 1
    kept = set(assigned.values())
    gone = sorted(set(previous["person_id"].unique().to_list()) - kept)
    retired = _retired(pairs, gone, assigned, round_no)
    split_labels = set(pairs["label"].to_list()) - set(assigned)
    counts = {
        "kept": len(kept), "new": len([label for label in free if label not in split_labels]),
        "split_off": len(split_labels), "merged": int(retired.filter(pl.col("reason") == "merged").height),
        "retired": len(gone), "notified_kept": len(kept & notified), "notified_retired": len(set(gone) & notified),
        "renumbered": sum(1 for label, pid in final.items() if label != pid),
    }
    mapping = pl.DataFrame({"label": list(final), "person_id": list(final.values())},
                           schema={"label": pl.Int64, "person_id": pl.Int64}).sort("label")
    return StableIds(mapping, retired, counts, next_fallback)


def _retired(pairs: pl.DataFrame, gone: list[int], assigned: dict[int, int], round_no: int) -> pl.DataFrame:
    """Rows of ``HISTORY_SCHEMA`` for the previous ids no cluster kept: merged into the id that took
    most of their records, or ``records gone`` when none of their records is in a kept cluster."""
    final_of_label = pl.DataFrame({"label": list(assigned), "into": list(assigned.values())},
                                  schema={"label": pl.Int64, "into": pl.Int64})
    where = (pairs.filter(pl.col("old").is_in(gone)).join(final_of_label, on="label", how="left")
             .sort(["old", "n", "label"], descending=[False, True, False])
             .group_by("old", maintain_order=True).agg(pl.col("into").drop_nulls().first()))
    into = dict(where.iter_rows())
    rows = [{"person_id": old, "retired_in": round_no, "merged_into": into.get(old),
             "reason": "merged" if into.get(old) is not None else "split"} for old in gone]
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA)
