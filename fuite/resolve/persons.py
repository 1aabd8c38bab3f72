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


def _union(column: str, order: tuple[str, ...] | None = None) -> pl.Expr:
    """";"-joined distinct items of a ";"-joined column over a group (taxonomy order when given)."""
    items = pl.col(column).drop_nulls().str.split(";").list.explode(keep_nulls=False, empty_as_null=False)
    items = items.filter(items != "").unique()
    if order is not None:
        rank = {name: i for i, name in enumerate(order)}
        items = items.sort_by(items.replace_strict(rank, default=len(order), return_dtype=pl.Int32))
    else:
        items = items.sort()
    return items.str.join(";").alias(column)


def _distinct(column: str, alias: str) -> pl.Expr:
    values = pl.col(column).drop_nulls()
    values = values.filter(values != "").unique().sort()
    return values.str.join(";").alias(alias)


def build_persons(records: pl.DataFrame) -> pa.Table:
    """Aggregate records (with ``person_id`` set) into ``PERSON_SCHEMA`` rows, one per person."""
    agg = records.group_by("person_id").agg(
        pl.len().cast(pl.Int64).alias("records"),
        _distinct("email", "emails"),
        _distinct("phone", "phones"),
        _union("categories", CATEGORY_IDS),
        pl.col("health").fill_null(False).any().alias("health"),
        pl.col("hiv").fill_null(False).any().alias("hiv"),
        _union("conditions", tuple(SPECIAL_CONDITIONS)),
        _distinct("file", "files"),
        _distinct("lab", "labs"),
        pl.col("sample_date").drop_nulls().min().alias("first_sample"),
        pl.col("sample_date").drop_nulls().max().alias("last_sample"),
    )
    for column in _MAJORITY:
        agg = agg.join(_majority(column, records), on="person_id", how="left")
    empty_to_null = [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
                     for c in ("emails", "phones", "categories", "conditions", "files", "labs")]
    agg = agg.with_columns(empty_to_null).sort("person_id")
    return agg.select(PERSON_SCHEMA.names).to_arrow().cast(PERSON_SCHEMA)
