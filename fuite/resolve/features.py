"""Comparison columns derived from normalised records (pure, vectorised with polars).

Names are compared accent-folded and uppercased with punctuation turned into
spaces ("Lefèvre-Dupont" -> "LEFEVRE DUPONT"); ``name_key`` holds the sorted name
tokens so that swapped first and last names agree.
"""

from __future__ import annotations

import polars as pl

from fuite.ids import email_address, nir
from fuite.text.fold import name_key_column
from fuite.text.fold import name_key_expr as fold

__all__ = ["fold", "comparison_frame", "COMPARED"]

#: Columns the Splink comparisons read (besides the row id and ``det_id``).
COMPARED = ("last_f", "first_f", "name_key", "birth_date", "birth_ym", "postal_code", "city_f",
            "phone", "email", "nir")


def _blank_to_null(name: str) -> pl.Expr:
    value = pl.col(name).str.strip_chars()
    return pl.when(value == "").then(None).otherwise(value)


def _folded(records: pl.DataFrame, column: str) -> pl.Series:
    """``name_key`` of a column, computed once per distinct value (names repeat a lot)."""
    distinct = records.select(pl.col(column).unique().drop_nulls())
    mapping = distinct.with_columns(name_key_column(distinct[column]).alias("__folded"))
    return records.select(column).join(mapping, on=column, how="left", maintain_order="left")["__folded"]


def comparison_frame(records: pl.DataFrame) -> pl.DataFrame:
    """One row per record: ``record_id`` and the compared columns."""
    frame = records.select(
        "record_id",
        _folded(records, "last_name").alias("last_f"),
        _folded(records, "first_name").alias("first_f"),
        _blank_to_null("birth_date").alias("birth_date"),
        _blank_to_null("postal_code").alias("postal_code"),
        _folded(records, "city").alias("city_f"),
        _blank_to_null("phone").alias("phone"),
        email_address.compact_column(records["email"]).replace("", None).alias("email"),
        nir.compact_column(records["nir"]).replace("", None).alias("nir"),
    )
    tokens = pl.concat_str([pl.col("last_f"), pl.col("first_f")], separator=" ", ignore_nulls=True)
    return frame.with_columns(
        pl.when(pl.col("last_f").is_null() & pl.col("first_f").is_null()).then(None)
        .otherwise(tokens.str.split(" ").list.sort().list.join(" ")).alias("name_key"),
        pl.coalesce(pl.concat_str([pl.col("birth_date").str.slice(2, 2), pl.col("birth_date").str.slice(5, 2)]),
                    pl.col("nir").str.slice(1, 4)).alias("birth_ym"),
    )
