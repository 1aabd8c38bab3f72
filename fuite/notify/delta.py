"""What a resolution after added files changes for the persons: the delta (pure, polars).

- **new**: a person whose id the previous resolution did not have (records found only in the
  added files, or a part split off a previous person);
- **grown**: a person who keeps their id and whose exposure grew: a category of data, a sensitive
  condition or health data that none of their previous records (nor those of the previous persons
  merged into them) exposed.

Exposure is compared on what a person reads in a notice: taxonomy categories with patient words
(never the laboratory's own identifier; a full name or address counted as its parts), the special
conditions (HIV among them) and the health flag. The delta holds internal ids and taxonomy keys only.
"""

from __future__ import annotations

import polars as pl

from fuite import taxonomy

__all__ = ["DELTA_SCHEMA", "exposure_delta", "merge_deltas"]

DELTA_SCHEMA = {"person_id": pl.Int64, "status": pl.String, "new_categories": pl.String,
                "new_conditions": pl.String, "new_health": pl.Boolean, "round": pl.Int64}

#: Categories a notice names (patient words), without those that say nothing about the person.
NOTICE_CATEGORIES = [c.id for c in taxonomy.CATEGORIES if c.patient_fr and c.id != "lab_id"]
#: Categories compared as their parts.
_PARTS = {"full_name": ("last_name", "first_name"), "full_address": ("street_address", "postal_code", "city")}


def _exposure(persons: pl.DataFrame) -> pl.DataFrame:
    """person_id, cats (list), conds (list), health (bool) of a persons table."""
    conditions = pl.col("conditions").fill_null("").str.split(";")
    hiv = pl.when(pl.col("hiv").fill_null(False)).then(pl.lit(["hiv"])).otherwise(pl.lit([], dtype=pl.List(pl.String)))
    cats = pl.col("categories").fill_null("").str.split(";")
    for whole, parts in _PARTS.items():   # a full name exposes the last and first names: no news in the split
        cats = pl.when(cats.list.contains(whole)).then(pl.concat_list(cats, pl.lit(list(parts)))).otherwise(cats)
    return persons.select(
        "person_id",
        cats.list.eval(pl.element().filter(pl.element().is_in(NOTICE_CATEGORIES) & ~pl.element().is_in(list(_PARTS))))
        .list.unique().alias("cats"),
        pl.concat_list(conditions, hiv).list.eval(pl.element().filter(pl.element() != "")).list.unique().alias("conds"),
        (pl.col("health").fill_null(False) | pl.col("hiv").fill_null(False)).alias("health"))


def exposure_delta(previous: pl.DataFrame, current: pl.DataFrame, merged_into: pl.DataFrame,
                   round_no: int) -> pl.DataFrame:
    """The delta (``DELTA_SCHEMA``) of ``current`` persons against the ``previous`` ones.

    ``merged_into``: (person_id, merged_into) of the previous ids retired into a kept one; their
    exposure counts as already known to the person they went to.
    """
    before = _exposure(previous)
    into = merged_into.filter(pl.col("merged_into").is_not_null()).select("person_id", "merged_into")
    before = before.join(into, on="person_id", how="left").with_columns(
        pl.coalesce("merged_into", "person_id").alias("person_id")).drop("merged_into")
    before = before.group_by("person_id").agg(pl.col("cats").explode().unique(), pl.col("conds").explode().unique(),
                                              pl.col("health").any())
    now = _exposure(current)
    joined = now.join(before, on="person_id", how="left", suffix="_before")
    new = joined.filter(pl.col("health_before").is_null()).select(
        "person_id", pl.lit("new").alias("status"), pl.col("cats").list.sort().list.join(";").alias("new_categories"),
        pl.col("conds").list.sort().list.join(";").alias("new_conditions"), pl.col("health").alias("new_health"))
    kept = joined.filter(pl.col("health_before").is_not_null()).select(
        "person_id", pl.lit("grown").alias("status"),
        pl.col("cats").list.set_difference("cats_before").list.sort().list.join(";").alias("new_categories"),
        pl.col("conds").list.set_difference("conds_before").list.sort().list.join(";").alias("new_conditions"),
        (pl.col("health") & ~pl.col("health_before")).alias("new_health"))
    grown = kept.filter((pl.col("new_categories") != "") | (pl.col("new_conditions") != "") | pl.col("new_health"))
    out = pl.concat([new, grown]).with_columns(pl.lit(round_no, pl.Int64).alias("round"))
    return out.sort("person_id").cast(DELTA_SCHEMA)


def merge_deltas(pending: pl.DataFrame, fresh: pl.DataFrame, retired: pl.DataFrame) -> pl.DataFrame:
    """A round's delta not notified yet with a later one folded in: a pending person whose id was
    retired follows it to the id it was merged into (or leaves the delta when their records went to
    other persons, who are in ``fresh``); items are united; a person new in either stays new."""
    gone = retired.select("person_id", "merged_into")
    moved = pending.join(gone, on="person_id", how="left").filter(
        ~pl.col("person_id").is_in(gone["person_id"].to_list()) | pl.col("merged_into").is_not_null()).with_columns(
        pl.coalesce("merged_into", "person_id").alias("person_id")).drop("merged_into")
    both = pl.concat([moved.select(list(DELTA_SCHEMA)).cast(DELTA_SCHEMA), fresh.select(list(DELTA_SCHEMA))])
    long = both.with_columns(pl.col("new_categories").str.split(";"), pl.col("new_conditions").str.split(";"))
    rows = long.group_by("person_id").agg(
        pl.when((pl.col("status") == "new").any()).then(pl.lit("new")).otherwise(pl.lit("grown")).alias("status"),
        pl.col("new_categories").explode().unique(), pl.col("new_conditions").explode().unique(),
        pl.col("new_health").any(), pl.col("round").max())
    rows = rows.with_columns(*(pl.col(c).list.eval(pl.element().filter(pl.element() != "")).list.sort().list.join(";")
                               for c in ("new_categories", "new_conditions")))
    return rows.sort("person_id").select(list(DELTA_SCHEMA)).cast(DELTA_SCHEMA)
