"""How a notice names its person: the best-attested spelling among their records, in the usual case.

Leaked files write one name many ways ("CORINNE ANDRE", "Corinne André", "corinne andre", and the odd
typo). :func:`best_names` votes per person over the records' spellings folded to one form (case and
accents ignored), so a typo seen once loses to the spelling seen most; within the winning form it keeps
the most informative writing (mixed case, then accents). :func:`usual_case` writes a name left in
capitals or in lower case the usual way ("Corinne André", "Jean-Pierre", "D'Almeida", "Le Goff").
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from fuite.text.fold import fold_expr

__all__ = ["best_names", "usual_case", "with_best_names"]

_PARTICLES = frozenset({"de", "du", "des", "d'"})


def usual_case(name: str | None) -> str:
    """``"CORINNE"`` → ``"Corinne"``, ``"DE LA FONTAINE"`` → ``"de La Fontaine"``; mixed case is kept as written."""
    if not name:
        return ""
    name = " ".join(name.split())
    if not (name.isupper() or name.islower()):
        return name
    words = name.lower().split(" ")
    out = [w if i and w in _PARTICLES and i < len(words) - 1 else w.title() for i, w in enumerate(words)]
    return " ".join(out).replace("’", "'")


def best_names(records: pa.Table) -> pl.DataFrame:
    """``person_id, first_name, last_name``: each person's best-attested spelling, in the usual case."""
    df = pl.from_arrow(records.select(["person_id", "record_id", "first_name", "last_name"]))
    df = df.with_columns(pl.col("first_name").str.strip_chars(), pl.col("last_name").str.strip_chars())
    df = df.filter(pl.col("first_name").is_not_null() & pl.col("last_name").is_not_null()
                   & (pl.col("first_name") != "") & (pl.col("last_name") != ""))
    df = df.with_columns(
        form=fold_expr(pl.concat_str([pl.col("first_name"), pl.lit("|"), pl.col("last_name")])),
        written=pl.concat_str([pl.col("first_name"), pl.lit("|"), pl.col("last_name")]))
    forms = (df.group_by("person_id", "form").agg(pl.len().alias("n"), pl.col("record_id").min().alias("first"))
             .sort(["person_id", "n", "first"], descending=[False, True, False])
             .unique("person_id", keep="first", maintain_order=True).select("person_id", "form"))
    variants = (df.join(forms, on=["person_id", "form"])
                .with_columns(mixed=(pl.col("written") != pl.col("written").str.to_uppercase())
                              & (pl.col("written") != pl.col("written").str.to_lowercase()),
                              accents=pl.col("written").str.contains(r"[^\x00-\x7F]"))
                .group_by("person_id", "written", "mixed", "accents")
                .agg(pl.len().alias("n"), pl.col("record_id").min().alias("first"))
                .sort(["person_id", "mixed", "accents", "n", "first"], descending=[False, True, True, True, False])
                .unique("person_id", keep="first", maintain_order=True))
    parts = variants.select("person_id", pl.col("written").str.split_exact("|", 1).alias("p")).unnest("p")
    return parts.select("person_id",
                        pl.col("field_0").map_elements(usual_case, return_dtype=pl.String).alias("first_name"),
                        pl.col("field_1").map_elements(usual_case, return_dtype=pl.String).alias("last_name"))


def with_best_names(persons: pa.Table, records: pa.Table | None) -> pa.Table:
    """``persons`` with ``first_name``/``last_name`` replaced by the best-attested spelling (usual case)."""
    if records is None or not {"person_id", "record_id", "first_name", "last_name"} <= set(records.column_names):
        best = pl.DataFrame({"person_id": [], "first_name": [], "last_name": []},
                            schema={"person_id": pl.Int64, "first_name": pl.String, "last_name": pl.String})
    else:
        best = best_names(records)
    frame = pl.from_arrow(persons)
    joined = frame.join(best.rename({"first_name": "_first", "last_name": "_last"}), on="person_id", how="left")
    joined = joined.with_columns(
        first_name=pl.coalesce("_first", pl.col("first_name").map_elements(usual_case, return_dtype=pl.String)),
        last_name=pl.coalesce("_last", pl.col("last_name").map_elements(usual_case, return_dtype=pl.String)),
    ).drop("_first", "_last")
    return joined.select(frame.columns).to_arrow().cast(persons.schema)
