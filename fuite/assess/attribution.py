"""Which controller holds each record: from a column (lab, FINESS, insurer, AMC) or a file/table rule.

Pure functions over polars frames and the typed case file; the case's tables are read by
:func:`fuite.assess.stage.attribution_for_case`.

- A **rule** (``files``/``tables`` globs of a ``[[controllers]]`` entry) attributes every record of a file
  or table. It states a fact the data cannot, so it comes first.
- Else a **column**: every value of the record's attribution columns (those detect classifies as
  ``lab_name``, ``lab_id`` or ``insurer_name``, and those named under ``[attribution] columns``) is
  compared with the controllers' keys: names folded by :func:`fuite.text.fold.name_key`, numbers compacted
  by :func:`fuite.ids.finess.compact`.
- A child record (an analysis under a patient) with neither takes its parent's controllers, and a parent
  with neither takes the union of its children's.

Nothing is ever assigned by default: a record whose values name two controllers is a ``conflict``, one
whose values name none is ``unknown``, one with no value and no rule is ``none``. They are counted and
listed by file. The one ``[controller]`` of a single-controller case holds every file (rule ``*``).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import polars as pl

from fuite.ids import finess
from fuite.store.casefile import CaseFile, clean_number
from fuite.text.fold import fold_header, name_key, name_key_column

__all__ = ["ATTRIBUTION_CATEGORIES", "UNATTRIBUTED", "attribution_keys", "rule_controllers", "attribution_columns",
           "values_controllers", "attribute", "unattributed_summary", "controllers_of_persons"]

#: Column categories whose values name a controller.
ATTRIBUTION_CATEGORIES = ("lab_name", "lab_id", "insurer_name")
#: Reasons a record has no controller.
UNATTRIBUTED = ("none", "unknown", "conflict")


def attribution_keys(cf: CaseFile) -> dict[str, str]:
    """``key → controller id``: ``n:<folded name>`` for lab and insurer names, ``#:<number>`` for FINESS/AMC."""
    keys = {}
    for c in cf.controllers:
        keys |= {f"n:{name_key(v)}": c.id for v in c.labs + c.insurers if name_key(v)}
        keys |= {f"#:{clean_number(v)}": c.id for v in c.finess + c.amc}
    return keys


def rule_controllers(cf: CaseFile, file: str, table: str) -> list[str]:
    """Controllers whose ``files`` rule matches ``file`` or whose ``tables`` rule matches ``file:table``."""
    return [c.id for c in cf.controllers
            if any(fnmatchcase(file, g) for g in c.files) or any(fnmatchcase(f"{file}:{table or ''}", g)
                                                                 for g in c.tables)]


def attribution_columns(cf: CaseFile, columns: pl.DataFrame) -> pl.DataFrame:
    """The columns (``file, table, column, position, category``) whose values may name a controller.

    Lab columns when a controller is known by a lab name or FINESS, insurer columns when one is known by an
    insurer name or AMC number, and the columns ``[attribution] columns`` names.
    """
    named = {fold_header(h) for h in cf.attribution_columns}
    wanted = [cat for cat, used in (("lab_name", any(c.labs or c.finess for c in cf.controllers)),
                                    ("lab_id", any(c.labs or c.finess for c in cf.controllers)),
                                    ("insurer_name", any(c.insurers or c.amc for c in cf.controllers))) if used]
    by_header = pl.Series([fold_header(h or "") in named for h in columns["column"].to_list()], dtype=pl.Boolean)
    return columns.filter(pl.col("category").is_in(wanted) | by_header)


def values_controllers(values: pl.Series, keys: dict[str, str]) -> pl.Series:
    """The controller id each value names (a name or a number), null when it names none."""
    by_name = ("n:" + name_key_column(values)).replace_strict(keys, default=None, return_dtype=pl.String)
    number = finess.compact_column(values)   # FINESS and AMC numbers alike: spaces, dots, dashes dropped
    by_number = ("#:" + number).replace_strict(keys, default=None, return_dtype=pl.String)
    return by_name.fill_null(by_number)


def attribute(records: pl.DataFrame, values: pl.DataFrame, cf: CaseFile) -> pl.DataFrame:
    """``record_id, person_id, file, controllers, attribution`` for every record.

    ``records``: ``record_id, person_id, file, table, parent_record_id``. ``values``: ``record_id, value``,
    one row per value of an attribution column (several per record allowed). ``controllers`` is the
    ``;``-joined ids in case-file order (null when unattributed); ``attribution`` says how: ``rule``,
    ``column``, ``parent``, ``children``, or why not: ``none``, ``unknown``, ``conflict``.
    """
    order = {c.id: i for i, c in enumerate(cf.controllers)}
    recs = records.select("record_id", "person_id", "file", pl.col("table").fill_null(""), "parent_record_id")
    rules = {(f, t): rule_controllers(cf, f, t) for f, t in recs.select("file", "table").unique().iter_rows()}
    by_rule = pl.DataFrame([(f, t, ";".join(ids) if len(ids) == 1 else None, len(ids) > 1)
                            for (f, t), ids in rules.items()],
                           schema={"file": pl.String, "table": pl.String, "rule": pl.String, "rule_conflict": pl.Boolean},
                           orient="row")
    if by_rule.height and by_rule["rule"].null_count() == 0:   # one rule for every file (one controller): no more to do
        return (recs.join(by_rule.select("file", "table", pl.col("rule").alias("controllers")), on=["file", "table"],
                          how="left", maintain_order="left")
                .select("record_id", "person_id", "file", "controllers", pl.lit("rule").alias("attribution")))
    named = values.with_columns(values_controllers(values["value"], attribution_keys(cf)).alias("cid"))
    per_record = named.group_by("record_id").agg(
        pl.col("cid").drop_nulls().unique().alias("ids"), pl.col("cid").is_null().any().alias("unknown_value"))
    out = recs.join(by_rule, on=["file", "table"], how="left").join(per_record, on="record_id", how="left")
    n_ids = pl.col("ids").list.len().fill_null(0)
    out = out.with_columns(
        pl.when(pl.col("rule").is_not_null()).then(pl.col("rule"))
        .when(pl.col("rule_conflict")).then(None)
        .when(n_ids == 1).then(pl.col("ids").list.first()).alias("own"),
        pl.when(pl.col("rule").is_not_null()).then(pl.lit("rule"))
        .when(pl.col("rule_conflict") | (n_ids > 1)).then(pl.lit("conflict"))
        .when(n_ids == 1).then(pl.lit("column"))
        .when(pl.col("unknown_value").fill_null(False)).then(pl.lit("unknown"))
        .otherwise(pl.lit("none")).alias("attribution"),
    )
    out = _through_relations(out)
    return out.with_columns(
        pl.col("own").str.split(";").list.eval(pl.element().sort_by(pl.element().replace_strict(order, default=99)))
        .list.join(";").alias("controllers")).select("record_id", "person_id", "file", "controllers", "attribution")


def _through_relations(out: pl.DataFrame) -> pl.DataFrame:
    """A child record with no controller takes its parent's; a parent with none, the union of its children's."""
    parents = out.filter(pl.col("own").is_not_null()).select(pl.col("record_id").alias("parent_record_id"),
                                                             pl.col("own").alias("from_parent"))
    out = out.join(parents, on="parent_record_id", how="left")
    children = (out.filter(pl.col("parent_record_id").is_not_null() & pl.col("own").is_not_null())
                .group_by("parent_record_id").agg(pl.col("own").str.split(";").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
                                                  .str.join(";").alias("from_children"))
                .rename({"parent_record_id": "record_id"}))
    out = out.join(children, on="record_id", how="left")
    free = pl.col("own").is_null() & (pl.col("attribution") == "none")
    return out.with_columns(
        pl.when(free & pl.col("from_parent").is_not_null()).then(pl.col("from_parent"))
        .when(free & pl.col("from_children").is_not_null()).then(pl.col("from_children"))
        .otherwise(pl.col("own")).alias("own"),
        pl.when(free & pl.col("from_parent").is_not_null()).then(pl.lit("parent"))
        .when(free & pl.col("from_children").is_not_null()).then(pl.lit("children"))
        .otherwise(pl.col("attribution")).alias("attribution"),
    )


def unattributed_summary(attributed: pl.DataFrame) -> dict:
    """``{"records", "persons", "records_per_reason", "records_per_file"}`` of the records with no controller.

    ``persons`` counts the persons none of whose records has a controller (nobody can notify them yet).
    """
    free = attributed.filter(pl.col("controllers").is_null())
    held = attributed.filter(pl.col("controllers").is_not_null()).select("person_id").unique()
    orphans = free.select("person_id").unique().join(held, on="person_id", how="anti").height
    return {"records": free.height, "persons": orphans,
            "records_per_reason": {r: int(free.filter(pl.col("attribution") == r).height) for r in UNATTRIBUTED},
            "records_per_file": {f: int(n) for f, n in free.group_by("file").len().sort("file").iter_rows()}}


def controllers_of_persons(attributed: pl.DataFrame, cf: CaseFile) -> pl.DataFrame:
    """``person_id, controllers``: the ``;``-joined ids (case-file order) of every controller holding one of
    their records; persons with none are absent."""
    order = {c.id: i for i, c in enumerate(cf.controllers)}
    return (attributed.drop_nulls("controllers")
            .select("person_id", pl.col("controllers").str.split(";").alias("c")).explode("c").unique()
            .with_columns(pl.col("c").replace_strict(order, default=len(order)).alias("rank"))
            .sort("person_id", "rank").group_by("person_id", maintain_order=True)
            .agg(pl.col("c").str.join(";").alias("controllers")))
