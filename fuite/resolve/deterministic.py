"""Deterministic links on strong identifiers (pure polars).

Each of ``settings.deterministic_rules`` groups rows whose
key columns all agree and links every row to the first row of its group (a star,
so a group of n rows costs n-1 edges, never n²). Identifier values shared by too
many rows are placeholders and are blanked first. Rows with the same NIR but
different birth dates are linked only within each birth date (a child's record
filed under a parent's NIR); Splink weighs what remains.
"""

from __future__ import annotations

import polars as pl

from fuite.resolve.settings import ResolveSettings

__all__ = ["blank_placeholders", "deterministic_edges", "IDENTIFIERS"]

#: Identifier columns whose over-shared values are blanked before linking.
IDENTIFIERS = ("nir", "email", "phone")


def blank_placeholders(frame: pl.DataFrame, limit: int) -> tuple[pl.DataFrame, dict[str, int]]:
    """Null identifier values held by more than ``limit`` rows; return the frame and counts blanked."""
    blanked: dict[str, int] = {}
    exprs = []
    for name in IDENTIFIERS:
        too_common = pl.col(name).count().over(name) > limit
        blanked[name] = int(frame.select((too_common & pl.col(name).is_not_null()).sum()).item())
        exprs.append(pl.when(too_common).then(None).otherwise(pl.col(name)).alias(name))
    return frame.with_columns(exprs), blanked


def _nir_key() -> pl.Expr:
    births = pl.col("birth_date").drop_nulls().n_unique().over("nir")
    split = pl.concat_str([pl.col("nir"), pl.col("birth_date")], separator="|")
    return pl.when(births <= 1).then(pl.col("nir")).otherwise(split)


def _key(columns: tuple[str, ...]) -> pl.Expr:
    if columns == ("nir",):
        return _nir_key()
    return pl.concat_str([pl.col(c) for c in columns], separator="|")


def deterministic_edges(frame: pl.DataFrame, settings: ResolveSettings) -> pl.DataFrame:
    """Edges ``record_id_l, record_id_r, rule`` joining rows that share a strong identifier."""
    parts = []
    for rule, columns in settings.deterministic_rules:
        keyed = frame.select("record_id", _key(columns).alias("key")).drop_nulls("key")
        edges = (
            keyed.with_columns(pl.col("record_id").min().over("key").alias("head"))
            .filter(pl.col("record_id") != pl.col("head"))
            .select(pl.col("head").alias("record_id_l"), pl.col("record_id").alias("record_id_r"),
                    pl.lit(rule).alias("rule"))
        )
        parts.append(edges)
    if not parts:
        return pl.DataFrame(schema={"record_id_l": pl.Int64, "record_id_r": pl.Int64, "rule": pl.String})
    # keep the strongest rule for a pair found by several
    return pl.concat(parts).unique(["record_id_l", "record_id_r"], keep="first", maintain_order=True)
