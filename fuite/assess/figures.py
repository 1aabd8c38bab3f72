"""The one source of the breach's exposure figures: the CNIL draft, the DPO report and the notices read these.

:func:`exposure_figures` counts persons (never records) from the persons table's own
flags: per data category (the ``categories`` column), with health data, with HIV data
(the flag or the ``hiv`` condition: one count, one line), with a NIR, and per other
special condition. Only ``person_id, categories, health, hiv, conditions`` are read: no
identifier is needed to count.

:func:`controller_figures` gives the same figures per controller, over the persons each
controller's own records expose (:mod:`fuite.assess.attribution` says which records those are).
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from fuite.taxonomy import CATEGORY_IDS, SPECIAL_CONDITIONS

__all__ = ["FIGURE_COLUMNS", "exposure_figures", "persons_of_records", "controller_figures"]

#: The persons columns the figures need.
FIGURE_COLUMNS = ("person_id", "categories", "health", "hiv", "conditions")


def _frame(persons: pa.Table | pl.DataFrame) -> pl.DataFrame:
    frame = persons if isinstance(persons, pl.DataFrame) else pl.from_arrow(
        persons.select([c for c in FIGURE_COLUMNS if c in persons.column_names]))
    exprs = [(pl.col(c).cast(pl.String) if c in frame.columns else pl.lit(None, pl.String)).alias(c)
             for c in ("categories", "conditions")]
    exprs += [(pl.col(c).cast(pl.Boolean).fill_null(False) if c in frame.columns else pl.lit(False)).alias(c)
              for c in ("health", "hiv")]
    return frame.select(exprs)


def _split_counts(frame: pl.DataFrame, name: str) -> dict[str, int]:
    """Persons per item of a ';'-joined column (grouped on the joined string first: cheap)."""
    grouped = frame.group_by(name).len().drop_nulls(name)
    exploded = grouped.with_columns(pl.col(name).str.split(";")).explode(name).filter(pl.col(name) != "")
    return {k: int(v) for k, v in exploded.group_by(name).agg(pl.col("len").sum()).iter_rows()}


def exposure_figures(persons: pa.Table | pl.DataFrame) -> dict:
    """``{"persons", "categories": {id: n}, "health", "hiv", "nir", "conditions": {id: n}}``, counts of persons.

    ``categories`` lists every taxonomy category in taxonomy order (0 when absent), then unknown ids;
    ``conditions`` every special condition, its ``hiv`` entry being ``hiv`` (the flag or the condition).
    """
    frame = _frame(persons)
    cats = _split_counts(frame, "categories")
    has_hiv = frame.select((pl.col("hiv") | pl.col("conditions").fill_null("").str.contains(r"(^|;)hiv(;|$)"))
                           .alias("h"))["h"]
    health = frame.select((pl.col("health") | has_hiv).sum()).item() if frame.height else 0
    conditions = _split_counts(frame, "conditions")
    return {
        "persons": frame.height,
        "categories": {cid: cats.get(cid, 0) for cid in CATEGORY_IDS}
        | {cid: n for cid, n in sorted(cats.items()) if cid not in CATEGORY_IDS},
        "health": int(health or 0),
        "hiv": int(has_hiv.sum() or 0),
        "nir": cats.get("nir", 0),
        "conditions": {key: int(has_hiv.sum() or 0) if key == "hiv" else conditions.get(key, 0)
                       for key in SPECIAL_CONDITIONS},
    }


def persons_of_records(records: pl.DataFrame) -> pl.DataFrame:
    """One row per ``person_id`` of ``records``: the union of their categories and conditions (the items of the
    ``;``-joined values, sorted, ``""`` when none), any health/hiv."""
    out = records.group_by("person_id").agg(pl.col("hiv").any(), pl.col("health").any())
    for name in ("categories", "conditions"):
        out = out.join(_union(records.select("person_id", name), name), on="person_id", how="left")
    return out.select("person_id", pl.col("categories").fill_null(""), "hiv", "health",
                      pl.col("conditions").fill_null(""))


def _union(records: pl.DataFrame, name: str) -> pl.DataFrame:
    """``person_id, name``: the union of each person's ``;``-joined values. Each distinct value is split once and
    stands as a bit mask of its items (records repeat a few thousand values of a few dozen items), the masks are
    or-ed per person: no per-record lists (the report's peak memory on a million records)."""
    values = records[name].drop_nulls().unique().to_list()
    items = sorted({item for value in values for item in value.split(";")})
    if len(items) > 64:   # more items than a mask holds: split every value
        return records.group_by("person_id").agg(
            pl.col(name).cast(pl.String).str.split(";").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
            .str.join(";"))
    bit = {item: 1 << k for k, item in enumerate(items)}   # bits in sorted order: a mask reads back sorted
    masks = {value: sum(bit[item] for item in set(value.split(";"))) for value in values}
    per = records.select("person_id", pl.col(name).replace_strict(masks, default=None, return_dtype=pl.UInt64)) \
        .group_by("person_id").agg(pl.col(name).bitwise_or())
    joined = {m: ";".join(item for item in items if m & bit[item]) for m in per[name].drop_nulls().unique().to_list()}
    return per.with_columns(pl.col(name).replace_strict(joined, default=None, return_dtype=pl.String))


def controller_figures(records: pl.DataFrame, controllers) -> list[dict]:
    """``[{id, name, persons, records, persons_hiv, persons_health, categories}]``, one per controller.

    ``records``: ``person_id, categories, health, hiv, conditions, controllers`` (``;``-joined ids, null when
    unattributed); ``controllers``: the case file's, in order. A person counts for each controller holding one
    of their records, with what those records expose.
    """
    held = (records.drop_nulls("controllers").with_columns(pl.col("controllers").str.split(";"))
            .explode("controllers"))
    out = []
    for c in controllers:
        own = held.filter(pl.col("controllers") == c.id)
        figures = exposure_figures(persons_of_records(own.drop("controllers")))
        out.append({"id": c.id, "name": c.name, "persons": figures["persons"], "records": own.height,
                    "persons_hiv": figures["hiv"], "persons_health": figures["health"],
                    "categories": figures["categories"]})
    return out
