"""The assess stage over a case: read persons, score, store ``severity``, audit."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from fuite.assess.attribution import attribute, attribution_columns
from fuite.assess.rules import Circumstances
from fuite.assess.severity import BreachAssessment, assess_breach, assess_persons, facts_columns

__all__ = ["assess_case", "attribution_for_case"]


def assess_case(case) -> BreachAssessment:
    """Score every person of the case, store the ``severity`` table and the breach summary."""
    persons = case.persons(("person_id", *facts_columns))
    circumstances = Circumstances.of(case.settings)
    severity = assess_persons(persons, circumstances)
    breach = assess_breach(persons, circumstances, severity)
    case.put_table("severity", severity)
    case.meta_set("assess.breach", breach.to_dict())
    case.audit("assess", records=persons.num_rows, detail={"level": breach.level, "score": breach.score.value})
    return breach


def attribution_for_case(case) -> pl.DataFrame:
    """``record_id, person_id, file, controllers, attribution`` of every record (see :mod:`.attribution`).

    Reads only provenance columns of ``records``, the ``columns`` findings and, in the sources that have
    one, the attribution columns of ``raw/<source_id>``; nothing is written.
    """
    cf = case.settings
    wanted = ("record_id", "person_id", "file", "table", "parent_record_id", "source_id", "row")
    records = pl.from_arrow(pa.Table.from_batches(list(case.iter_table("records", wanted))))
    if "parent_record_id" not in records.columns:
        records = records.with_columns(pl.lit(None, pl.Int64).alias("parent_record_id"))
    empty = pl.DataFrame(schema={"record_id": pl.Int64, "value": pl.String})
    if not cf.many or not case.has_table("columns") or not case.has_table("sources"):
        return attribute(records, empty, cf)
    columns = pl.from_arrow(case.get_table("columns", ["file", "table", "column", "position", "category"]))
    sources = pl.from_arrow(case.get_table("sources", ["source_id", "file", "table"]))
    where = attribution_columns(cf, columns).join(sources, on=["file", "table"]).select("source_id", "position")
    parts = [empty]
    for (source_id,), group in where.group_by("source_id"):
        fields = [f"c{p}" for p in sorted(set(group["position"].to_list()))]
        keys = records.filter(pl.col("source_id") == source_id).select("record_id", pl.col("row").alias("__row"))
        for batch in case.iter_table(f"raw/{source_id}", ["__row", *fields]):
            frame = pl.from_arrow(batch)
            long = frame.unpivot(index="__row", value_name="value").drop_nulls("value")
            parts.append(long.join(keys, on="__row").select("record_id", "value"))
    return attribute(records, pl.concat(parts), cf)
