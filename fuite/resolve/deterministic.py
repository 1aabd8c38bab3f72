"""Deterministic links on strong identifiers (pure polars).

Each of ``settings.deterministic_rules`` groups rows whose
key columns all agree and links every row to the first row of its group (a star,
so a group of n rows costs n-1 edges, never n²). Identifier values shared by too
many rows are placeholders and are blanked first. The NIR links only where it is
the record's own (``nir_own``) or with a beneficiary rank (``nir_rank``): an insured
parent's NIR on a child's record is household evidence. Every edge is then checked
by the incompatibility rules (``constraints``) before it joins anything.
"""

from __future__ import annotations

import polars as pl

from fuite.resolve.settings import ResolveSettings

__all__ = ["blank_placeholders", "deterministic_edges", "IDENTIFIERS"]

#: Identifier columns whose over-shared values are blanked before linking.
IDENTIFIERS = ("nir_own", "email", "phone")


def blank_placeholders(frame: pl.DataFrame, limit: int,
                       known: dict[str, pl.Series] | None = None) -> tuple[pl.DataFrame, dict[str, int]]:
    """Null identifier values held by more than ``limit`` rows, or whose hash is among ``known[name]`` (counted over
    a whole case resolved a partition at a time); return the frame and counts blanked."""
    blanked: dict[str, int] = {}
    exprs = []
    for name in IDENTIFIERS:
        too_common = pl.col(name).count().over(name) > limit
        if known is not None and len(known.get(name, ())):
            too_common = too_common | pl.col(name).hash().is_in(known[name].implode())
        blanked[name] = int(frame.select((too_common & pl.col(name).is_not_null()).sum()).item())
        exprs.append(pl.when(too_common).then(None).otherwise(pl.col(name)).alias(name))
    return frame.with_columns(exprs), blanked


def _key(columns: tuple[str, ...]) -> pl.Expr:
    return pl.concat_str([pl.col(c) for c in columns], separator="|")


def _star(keyed: pl.DataFrame, group: str, rule: str) -> pl.DataFrame:
    head = pl.col("record_id").min().over(group)
    return (keyed.with_columns(head.alias("head")).filter(pl.col("record_id") != pl.col("head"))
            .select(pl.col("head").alias("record_id_l"), pl.col("record_id").alias("record_id_r"),
                    pl.lit(rule).alias("rule")))


def deterministic_edges(frame: pl.DataFrame, settings: ResolveSettings) -> pl.DataFrame:
    """Edges ``record_id_l, record_id_r, rule`` joining rows that share a strong identifier.

    Within a key's group, rows with the same first names and sex form a star around their first
    row, and those first rows a star around the group's first row: a twin sharing the family
    email and birth date is one refused edge away, never the hub the sibling's rows hang on.
    """
    parts = []
    person = pl.concat_str([pl.col("first_tokens").list.join(" ").fill_null(""), pl.col("sex").fill_null("")],
                           separator="|")
    for rule, columns in settings.deterministic_rules:
        keyed = frame.select("record_id", _key(columns).alias("key"), person.alias("who")).drop_nulls("key")
        keyed = keyed.with_columns(pl.concat_str(["key", "who"], separator="#").alias("sub"))
        heads = keyed.filter(pl.col("record_id") == pl.col("record_id").min().over("sub"))
        parts += [_star(keyed, "sub", rule), _star(heads, "key", rule)]
    if not parts:
        return pl.DataFrame(schema={"record_id_l": pl.Int64, "record_id_r": pl.Int64, "rule": pl.String})
    # keep the strongest rule for a pair found by several
    return pl.concat(parts).unique(["record_id_l", "record_id_r"], keep="first", maintain_order=True)
