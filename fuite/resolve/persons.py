"""Build one profile per person from their records (pure polars -> ``PERSON_SCHEMA``).

Canonical values (name, birth date, NIR, email, phone, address) are the most
frequent non-empty value over the person's records, ties broken by the earliest
record; categories, conditions, files and labs are unions; the sample range is
the earliest and latest sample date.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from fuite.schema import PERSON_SCHEMA
from fuite.taxonomy import CATEGORY_IDS, SPECIAL_CONDITIONS

__all__ = ["build_persons"]

_MAJORITY = ("last_name", "first_name", "birth_date", "nir", "email", "phone", "street", "postal_code", "city")


def _majority(column: str, records: pl.DataFrame) -> pl.DataFrame:
    """person_id -> most frequent non-empty value of ``column`` (earliest record breaks ties)."""
    return (
        records.select("person_id", "record_id", pl.col(column).str.strip_chars().alias("value"))
        .filter(pl.col("value").is_not_null() & (pl.col("value") != ""))
        .group_by("person_id", "value")
        .agg(pl.len().alias("n"), pl.col("record_id").min().alias("first"))
        .sort(["person_id", "n", "first"], descending=[False, True, False])
        .unique("person_id", keep="first", maintain_order=True)
        .select("person_id", pl.col("value").alias(column))
    )


def _joined(records: pl.DataFrame, column: str, alias: str) -> pl.DataFrame:
    """person_id -> ";"-joined distinct non-empty values of ``column``, sorted."""
    items = records.select("person_id", pl.col(column).alias("item")).drop_nulls("item")
    items = items.filter(pl.col("item") != "").unique().sort(["person_id", "item"])
    return items.group_by("person_id", maintain_order=True).agg(pl.col("item").str.join(";").alias(alias))


def _item_sets(records: pl.DataFrame, column: str, order: tuple[str, ...], alias: str,
               split: bool = True) -> pl.DataFrame:
    """person_id -> ";"-joined union of the values (or ";"-lists when ``split``) of ``column``, in ``order``
    (other items after, sorted).

    The few distinct values become bit masks OR-ed per person: no per-item explode of millions of rows.
    Columns with too many distinct items for a 63-bit mask fall back to a plain distinct-join.
    """
    distinct = [v for v in records.get_column(column).unique().to_list() if v]
    found = {item for v in distinct for item in (v.split(";") if split else [v]) if item}
    items = [name for name in order if name in found] + sorted(found - set(order))
    if len(items) > 62:
        return _joined(records, column, alias)
    bit = {name: 1 << i for i, name in enumerate(items)}
    masks = {v: sum({bit[item] for item in (v.split(";") if split else [v]) if item}) for v in distinct}
    per_person = records.select(
        "person_id", pl.col(column).replace_strict(masks, default=0, return_dtype=pl.Int64).alias("mask")
    ).group_by("person_id").agg(pl.col("mask").bitwise_or())
    names = {m: ";".join(name for name in items if m & bit[name]) or None for m in per_person["mask"].unique()}
    return per_person.select("person_id", pl.col("mask").replace_strict(names, return_dtype=pl.String).alias(alias))


def _canonical(records: pl.DataFrame) -> pl.DataFrame:
    """person_id -> the majority value of every ``_MAJORITY`` column.

    One pass finds the persons whose records all agree (most of them); the vote is counted only for
    the others.
    """
    with_values = records.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in _MAJORITY]))
    cleaned = with_values.select("person_id", "record_id", *[
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c).str.strip_chars()).alias(c)
        for c in _MAJORITY])
    if not cleaned["record_id"].is_sorted():
        cleaned = cleaned.sort("record_id")
    summary = cleaned.group_by("person_id").agg(
        *[pl.col(c).drop_nulls().first().alias(c) for c in _MAJORITY],
        *[pl.col(c).drop_nulls().n_unique().alias(f"{c}__n") for c in _MAJORITY])
    for column in _MAJORITY:
        disputed = summary.filter(pl.col(f"{column}__n") > 1).select("person_id")
        if disputed.height == 0:
            continue
        votes = _majority(column, cleaned.join(disputed, on="person_id", how="semi"))
        summary = summary.join(votes.rename({column: "__vote"}), on="person_id", how="left").with_columns(
            pl.coalesce("__vote", column).alias(column)).drop("__vote")
    return summary.select("person_id", *_MAJORITY)


def build_persons(records: pl.DataFrame) -> pa.Table:
    """Aggregate records (with ``person_id`` set) into ``PERSON_SCHEMA`` rows, one per person."""
    agg = records.group_by("person_id").agg(
        pl.len().cast(pl.Int64).alias("records"),
        pl.col("health").fill_null(False).any().alias("health"),
        pl.col("hiv").fill_null(False).any().alias("hiv"),
        pl.col("sample_date").drop_nulls().min().alias("first_sample"),
        pl.col("sample_date").drop_nulls().max().alias("last_sample"),
    )
    parts = [
        _joined(records, "email", "emails"), _joined(records, "phone", "phones"),
        _item_sets(records, "categories", CATEGORY_IDS, "categories"),
        _item_sets(records, "conditions", tuple(SPECIAL_CONDITIONS), "conditions"),
        _item_sets(records, "file", (), "files", split=False), _item_sets(records, "lab", (), "labs", split=False),
        _canonical(records),
    ]
    for part in parts:
        agg = agg.join(part, on="person_id", how="left")
    agg = agg.sort("person_id")
    return agg.select(PERSON_SCHEMA.names).to_arrow().cast(PERSON_SCHEMA)
