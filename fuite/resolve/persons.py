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


def _joined(records: pl.DataFrame, column: str, alias: str, *, split: bool = False,
            order: tuple[str, ...] | None = None) -> pl.DataFrame:
    """person_id -> ";"-joined distinct non-empty values of ``column`` (items of a ";" list when ``split``),
    sorted alphabetically or in ``order``."""
    items = records.select("person_id", pl.col(column).alias("item")).drop_nulls("item")
    if split:
        items = items.with_columns(pl.col("item").str.split(";")).explode("item")
    items = items.filter(pl.col("item") != "").unique()
    if order is not None:
        rank = {name: i for i, name in enumerate(order)}
        items = items.with_columns(pl.col("item").replace_strict(rank, default=len(order),
                                                                 return_dtype=pl.Int32).alias("rank"))
        items = items.sort(["person_id", "rank", "item"])
    else:
        items = items.sort(["person_id", "item"])
    return items.group_by("person_id", maintain_order=True).agg(pl.col("item").str.join(";").alias(alias))


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
        _joined(records, "categories", "categories", split=True, order=CATEGORY_IDS),
        _joined(records, "conditions", "conditions", split=True, order=tuple(SPECIAL_CONDITIONS)),
        _joined(records, "file", "files"), _joined(records, "lab", "labs"),
        *(_majority(column, records) for column in _MAJORITY),
    ]
    for part in parts:
        agg = agg.join(part, on="person_id", how="left")
    agg = agg.sort("person_id")
    return agg.select(PERSON_SCHEMA.names).to_arrow().cast(PERSON_SCHEMA)
