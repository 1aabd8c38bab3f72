"""The report's figures: a pure function from the case's Arrow tables to a JSON-ready dict.

``build_figures`` reads only what it needs from each table and returns aggregate counts,
never an identifier. The dict is exactly what ``fuite report --format json`` prints (its
keys are documented in ``docs/report.md``); the HTML/PDF report renders it after masking.

Free-text values (lab names) appear only when at least ``SMALL_COUNT`` distinct persons share
them, so a misclassified column can never put one person's data in the report.
"""

from __future__ import annotations

import re

import polars as pl
import pyarrow as pa

from fuite.assess.figures import exposure_figures, persons_of_records
from fuite.report.masking import SMALL_COUNT
from fuite.taxonomy import CATEGORY_IDS

__all__ = ["build_figures", "FORMAT", "LOW_CONFIDENCE", "SEVERITY_LEVELS"]

#: Version tag of the JSON figure sheet; bumped on any incompatible change.
FORMAT = "fuite-report/1"

#: Columns classified below this confidence are listed in the data-quality notes.
LOW_CONFIDENCE = 0.6

#: ENISA levels, lowest first (``fuite assess`` writes these names, or 1..4).
SEVERITY_LEVELS = ("low", "medium", "high", "very_high")

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])")


def build_figures(
    *,
    sources: pa.Table | None,
    records: pa.Table | pl.DataFrame | None,
    persons: pa.Table | None = None,
    columns: pa.Table | None = None,
    quarantine: pa.Table | None = None,
    problems: pa.Table | None = None,
    severity: pa.Table | None = None,
    breach: dict | None = None,
    low_confidence: float = LOW_CONFIDENCE,
    name_labs: bool = False,
) -> dict:
    """Aggregate the case's tables into the report's figures (exact counts, no identifier).

    ``persons`` may be absent before resolve: each ``person_id`` of ``records`` is then a person.
    ``severity`` (person_id, level) is optional; ``breach`` is ``fuite assess``'s summary (its
    ``level`` and ``score`` are kept). ``name_labs``: list the laboratories shared by at least
    ``SMALL_COUNT`` persons by name (off by default: a lab column is leaked text, and a misread
    one could hold a physician's name).
    """
    recs = _frame(records, ["record_id", "source_id", "file", "table", "person_id", "lab", "sample_date",
                            "categories", "hiv", "health", "conditions"])
    people = _frame(persons, ["person_id", "categories", "hiv", "health", "conditions"])
    if persons is None:
        people = _persons_from_records(recs)
    srcs = _sources_frame(sources, recs, quarantine)
    cols = _frame(columns, ["file", "table", "column", "position", "category", "confidence"])
    exposure = exposure_figures(people)
    return {
        "format": FORMAT,
        "records": recs.height,
        "persons": people.height,
        "persons_health": exposure["health"],
        "persons_hiv": exposure["hiv"],
        "persons_per_category": exposure["categories"],
        "persons_per_condition": exposure["conditions"],
        "severity": _severity(severity, people, breach),
        "sample_period": _sample_period(recs),
        "samples_per_month": _samples_per_month(recs),
        "labs": _labs(recs, name_labs),
        "files": _per_file(srcs, recs),
        "sources": _per_source(srcs, recs, cols),
        "quality": _quality(srcs, recs, cols, quarantine, problems, low_confidence),
    }


# -- inputs --------------------------------------------------------------------------------------

_DTYPES = {"record_id": pl.Int64, "source_id": pl.Int64, "person_id": pl.Int64, "rows": pl.Int64,
           "quarantined": pl.Int64, "position": pl.Int64, "hiv": pl.Boolean, "health": pl.Boolean,
           "confidence": pl.Float64}


def _frame(table: pa.Table | pl.DataFrame | None, wanted: list[str]) -> pl.DataFrame:
    """The wanted columns of ``table`` as polars, typed; missing columns (or table) become nulls. A polars frame's
    columns are taken as they are (no copy when already of their type)."""
    height = 0 if table is None else table.height if isinstance(table, pl.DataFrame) else table.num_rows
    names = [] if table is None else table.columns if isinstance(table, pl.DataFrame) else table.column_names
    present = [name for name in wanted if name in names]
    data = {name: table[name] if isinstance(table, pl.DataFrame) else pl.from_arrow(table.column(name))
            for name in present}
    series = [data[name].alias(name) if name in data else pl.Series(name, [None] * height)
              for name in wanted]
    frame = pl.DataFrame(series)
    return frame.with_columns(pl.col(name).cast(_DTYPES.get(name, pl.String), strict=False) for name in wanted
                              if frame.schema[name] != pl.Categorical)   # categoricals stay (read_tables' compact form)


def _persons_from_records(recs: pl.DataFrame) -> pl.DataFrame:
    """Before resolve: one person per ``person_id`` with the union of their records' flags."""
    return persons_of_records(recs.select("person_id", "categories", "hiv", "health", "conditions"))


def _sources_frame(sources: pa.Table | None, recs: pl.DataFrame, quarantine: pa.Table | None) -> pl.DataFrame:
    """One row per source table: source_id, file, table, format, rows, quarantined."""
    wanted = ["source_id", "file", "table", "format", "rows", "quarantined"]
    if sources is not None:
        srcs = _frame(sources, wanted)
    else:  # no sources table: rebuild it from the records
        srcs = recs.group_by("source_id", "file", "table").agg(pl.len().alias("rows")).with_columns(
            pl.col("file", "table").cast(pl.String), pl.lit(None, pl.String).alias("format"),
            pl.lit(None, pl.Int64).alias("quarantined"))
    srcs = srcs.with_columns(pl.col("table").fill_null(""))
    if srcs["quarantined"].null_count() == srcs.height and quarantine is not None:
        counts = _frame(quarantine, ["file", "table"]).with_columns(pl.col("table").fill_null("")).group_by(
            "file", "table").agg(pl.len().alias("q"))
        srcs = srcs.join(counts, on=["file", "table"], how="left").with_columns(
            pl.col("q").alias("quarantined")).drop("q")
    return srcs.with_columns(pl.col("rows").fill_null(0).cast(pl.Int64),
                             pl.col("quarantined").fill_null(0).cast(pl.Int64)).sort("source_id", "file", "table")


# -- persons ---------------------------------------------------------------------------------------

def _severity(severity: pa.Table | None, people: pl.DataFrame, breach: dict | None) -> dict | None:
    if severity is None:
        return None
    sev = _frame(severity, ["person_id", "level"]).unique("person_id")
    levels = sev["level"].cast(pl.String).str.to_lowercase().str.replace_all(r"[ -]", "_")
    by_number = {str(i + 1): name for i, name in enumerate(SEVERITY_LEVELS)}
    levels = levels.replace(by_number)
    counts = levels.value_counts()
    found = {row[0]: int(row[1]) for row in counts.iter_rows() if row[0] is not None}
    per_level = {name: found.pop(name, 0) for name in SEVERITY_LEVELS} | dict(sorted(found.items()))
    assessed = sev.height - int(levels.null_count())
    breach = breach or {}
    score = breach.get("score")
    return {"persons_per_level": per_level, "assessed": assessed,
            "not_assessed": max(people.height - assessed, 0),
            "breach_level": breach.get("level") if breach.get("level") in SEVERITY_LEVELS else None,
            "breach_score": round(float(score), 2) if isinstance(score, int | float) else None}


# -- records -----------------------------------------------------------------------------------------

def _months(recs: pl.DataFrame) -> pl.Series:
    """``YYYY-MM`` of each record's sample date, null when absent or not ISO."""
    date = pl.col("sample_date")
    return recs.select(pl.when(date.str.contains(_MONTH.pattern)).then(date.str.slice(0, 7))
                       .alias("month"))["month"]


def _samples_per_month(recs: pl.DataFrame) -> dict[str, int]:
    counts = _months(recs).drop_nulls().value_counts().sort("month")
    return {row[0]: int(row[1]) for row in counts.iter_rows()}


def _sample_period(recs: pl.DataFrame) -> dict | None:
    months = _months(recs).drop_nulls()
    if months.is_empty():
        return None
    return {"first": months.min(), "last": months.max()}


def _labs(recs: pl.DataFrame, name_labs: bool) -> dict:
    """Distinct labs; when asked, the names of labs shared by ``SMALL_COUNT`` persons or more."""
    per_lab = recs.drop_nulls("lab").group_by("lab").agg(pl.col("person_id").n_unique().alias("persons")) \
        .with_columns(pl.col("lab").cast(pl.String))
    named = per_lab.filter(pl.col("persons") >= SMALL_COUNT) if name_labs else per_lab.clear()
    named = named.sort(["persons", "lab"], descending=[True, False])
    return {"count": per_lab.height,
            "named": [{"lab": row[0], "persons": int(row[1])} for row in named.iter_rows()],
            "unnamed": per_lab.height - named.height}


# -- files and sources ---------------------------------------------------------------------------

def _persons_per(recs: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return recs.group_by(keys).agg(pl.col("person_id").n_unique().alias("persons")).with_columns(
        pl.col(k).cast(pl.String) for k in keys)


def _per_file(srcs: pl.DataFrame, recs: pl.DataFrame) -> dict[str, dict]:
    by_file = srcs.group_by("file").agg(pl.col("rows").sum(), pl.col("quarantined").sum(), pl.len().alias("tables"))
    by_file = by_file.join(_persons_per(recs, ["file"]), on="file", how="left").sort("file")
    return {row["file"]: {"rows_read": int(row["rows"]), "rows_quarantined": int(row["quarantined"]),
                          "tables": int(row["tables"]), "persons": int(row["persons"] or 0)}
            for row in by_file.iter_rows(named=True)}


def _categories_per_source(recs: pl.DataFrame, cols: pl.DataFrame) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    seen = recs.select("file", "table", "categories").unique().drop_nulls("categories")
    for file, table, cats in seen.iter_rows():
        found.setdefault((file, table or ""), set()).update(c for c in cats.split(";") if c)
    for file, table, category in cols.select("file", "table", "category").unique().iter_rows():
        if category and category != "other":
            found.setdefault((file, table or ""), set()).add(category)
    order = {cid: i for i, cid in enumerate(CATEGORY_IDS)}
    return {key: sorted(cats, key=lambda c: (order.get(c, len(order)), c)) for key, cats in found.items()}


def _per_source(srcs: pl.DataFrame, recs: pl.DataFrame, cols: pl.DataFrame) -> list[dict]:
    recs = recs.with_columns(pl.col("table").fill_null(""))
    joined = srcs.join(_persons_per(recs, ["file", "table"]), on=["file", "table"], how="left")
    categories = _categories_per_source(recs, cols)
    return [{"file": row["file"], "table": row["table"], "format": row["format"] or "",
             "rows_read": int(row["rows"]), "rows_quarantined": int(row["quarantined"]),
             "persons": int(row["persons"] or 0),
             "categories": categories.get((row["file"], row["table"]), [])}
            for row in joined.iter_rows(named=True)]


# -- data quality ------------------------------------------------------------------------------------

def _quality(srcs: pl.DataFrame, recs: pl.DataFrame, cols: pl.DataFrame, quarantine: pa.Table | None,
             problems: pa.Table | None, low_confidence: float) -> dict:
    reasons = _frame(quarantine, ["reason"])["reason"].fill_null("").value_counts(sort=True)
    probs = _frame(problems, ["file", "reason"]).sort("file")
    low = cols.filter(pl.col("confidence").cast(pl.Float64) < low_confidence).sort("file", "table", "position")
    return {
        "rows_quarantined": int(srcs["quarantined"].sum()),
        "quarantine_reasons": {row[0]: int(row[1]) for row in reasons.iter_rows()},
        "problems": probs.height,
        "unreadable_files": [{"file": f, "reason": r} for f, r in probs.iter_rows()],
        "columns_classified": cols.height,
        "low_confidence_threshold": low_confidence,
        # the column is named by its position only: a header may be a misread data row
        "low_confidence_columns": [
            {"file": r["file"], "table": r["table"] or "", "position": int(r["position"]),
             "category": r["category"], "confidence": round(float(r["confidence"]), 3)}
            for r in low.iter_rows(named=True)],
        "records_without_sample_date": int(_months(recs).null_count()),
    }
