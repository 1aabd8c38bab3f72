"""Comparison columns derived from normalised records (pure, vectorised with polars).

Names are compared accent-folded and uppercased with punctuation turned into
spaces ("Lefèvre-Dupont" -> "LEFEVRE DUPONT"); ``name_key`` holds the sorted name
tokens so that swapped first and last names agree.
"""

from __future__ import annotations

import polars as pl

__all__ = ["fold", "comparison_frame", "COMPARED"]

#: Columns the Splink comparisons read (besides the row id and ``det_id``).
COMPARED = ("last_f", "first_f", "name_key", "birth_date", "birth_ym", "postal_code", "city_f",
            "phone", "email", "nir")


#: Letters Unicode decomposition leaves whole (``Lecœur`` must meet ``LECOEUR``).
_LIGATURES = {"Œ": "OE", "Æ": "AE", "ẞ": "SS", "Ø": "O", "Đ": "D", "Ł": "L"}


def fold(expr: pl.Expr) -> pl.Expr:
    """Accent-folded, uppercase, letters and digits only (any script), single-spaced; null when empty."""
    folded = (
        expr.str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_uppercase()
        .str.replace_many(list(_LIGATURES), list(_LIGATURES.values()))
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )
    return pl.when(folded == "").then(None).otherwise(folded)


def _blank_to_null(name: str) -> pl.Expr:
    value = pl.col(name).str.strip_chars()
    return pl.when(value == "").then(None).otherwise(value)


def _folded(records: pl.DataFrame, column: str) -> pl.Series:
    """``fold`` of a column, computed once per distinct value (names repeat a lot)."""
    distinct = records.select(pl.col(column).unique().drop_nulls())
    mapping = distinct.with_columns(fold(pl.col(column)).alias("__folded"))
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
        _blank_to_null("email").str.to_lowercase().alias("email"),
        _blank_to_null("nir").str.to_uppercase().alias("nir"),
    )
    tokens = pl.concat_str([pl.col("last_f"), pl.col("first_f")], separator=" ", ignore_nulls=True)
    return frame.with_columns(
        pl.when(pl.col("last_f").is_null() & pl.col("first_f").is_null()).then(None)
        .otherwise(tokens.str.split(" ").list.sort().list.join(" ")).alias("name_key"),
        pl.coalesce(pl.concat_str([pl.col("birth_date").str.slice(2, 2), pl.col("birth_date").str.slice(5, 2)]),
                    pl.col("nir").str.slice(1, 4)).alias("birth_ym"),
    )
