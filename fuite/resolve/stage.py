"""The resolve stage over an open case: read records and relations, resolve, write records, persons, links; audit.

Also the read-only views of the result: ``persons_for_case`` (counts) and ``explain_for_case`` (masked records).
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from fuite.errors import LinkError
from fuite.resolve.core import resolve_records
from fuite.resolve.relations import child_links, parent_record_ids
from fuite.resolve.settings import DEFAULT_SETTINGS, ResolveSettings

__all__ = ["explain_for_case", "persons_for_case", "require_tables", "resolve_alongside", "resolve_case",
           "settings_with_memory"]

#: Case tables of a growing leak: ids retired by a re-resolution, and the delta of the current round.
GROW_TABLES = ("person_history", "delta")


def settings_with_memory(memory: str | None) -> ResolveSettings:
    """The default settings, with the linkage engine's memory cap set from ``--memory`` when given."""
    from dataclasses import replace

    from fuite.resolve.engine import memory_limit

    return DEFAULT_SETTINGS if memory is None else replace(DEFAULT_SETTINGS, memory_limit=memory_limit(memory))


def require_tables(case, *names: str) -> None:
    """Refuse to go on when the case lacks one of the tables ``names`` (the store's guard, ``NoPersons``)."""
    case.require_tables(*names)


def _with_parents(records: pa.Table, parents: pa.Array) -> pa.Table:
    if "parent_record_id" not in records.column_names:
        return records.append_column(pa.field("parent_record_id", pa.int64()), parents)
    index = records.column_names.index("parent_record_id")
    return records.set_column(index, records.schema.field(index), parents)


def _raw_fields(case, source_id: int) -> list[str] | None:
    """Field names of ``raw/<source_id>`` from its first chunk only."""
    if not case.has_table(f"raw/{source_id}"):
        return None
    first = next(iter(case.iter_table(f"raw/{source_id}")), None)
    return None if first is None else first.schema.names


def resolve_case(case, progress=None, *, settings: ResolveSettings | None = None, engine: str = "duckdb",
                 reuse_model: bool = False) -> dict:
    """Link child rows to their parent rows, resolve persons, store ``records``, ``persons``, ``links``.

    With ``reuse_model`` (files added to a resolved case), the Splink model the case was resolved with scores the
    pairs again instead of being trained anew (u and m barely move when a few files are added); the prior is
    recomputed. A model that no longer fits the settings is trained again.

    Returns a summary of counts only (no identifier), also kept as the case's ``resolve_summary`` meta.
    """
    records = case.get_table("records")
    if records is None or records.num_rows == 0:
        return {"records": 0, "persons": 0}
    settings = settings or DEFAULT_SETTINGS
    _step(progress, "linking child rows to their parent rows")
    children = child_links(case.get_table("sources"), lambda sid: case.get_table(f"raw/{sid}"),
                           lambda sid: _raw_fields(case, sid))
    records = _with_parents(records, parent_record_ids(records, children))
    before = _previous(case, records)
    model = case.meta_get("resolve_model", None) if reuse_model and before is not None else None
    try:
        resolution = resolve_records(records, settings=settings, engine=engine, progress=progress,
                                     model=model if model and model.get("comparisons") else None)
    except LinkError:
        if not model:
            raise
        resolution = resolve_records(records, settings=settings, engine=engine, progress=progress)
    summary = dict(resolution.summary)
    summary.update(child_rows_linked=children.rows.height, child_rows_unmatched=children.unmatched,
                   ambiguous_parent_keys=children.ambiguous_keys, relation_problems=children.problems)
    out_records, out_persons = resolution.records, resolution.persons
    with case.transaction():   # the ids, the delta and the persons change together or not at all
        if before is not None:
            _step(progress, "keeping person ids stable")
            out_records, out_persons, summary["stable_ids"], summary["delta"] = _keep_ids(case, before, out_records,
                                                                                          out_persons)
        _step(progress, "storing persons")
        case.put_table("records", out_records)
        case.put_table("persons", out_persons)
        case.put_table("links", resolution.links)
        case.meta_set("resolve_model", resolution.model)
        case.meta_set("resolve_summary", summary)
        case.meta_set("resolve.records_resolved", records.num_rows)
        if before is not None and case.has_table("severity"):
            case.drop_table("severity")   # scored on the persons as they were: `fuite assess` scores them again
    case.audit("resolve", records=summary["records"], detail={
        "persons": summary["persons"], "child_rows_linked": summary["child_rows_linked"],
        "splink_links": summary.get("splink_links", 0)})
    return summary


def resolve_alongside(case, records: pa.Table, sources: pa.Table, raw: dict[int, pa.Table], *,
                      settings: ResolveSettings | None = None):
    """Resolve ``records`` that are not in the case together with the case's own, in memory (``fuite match``).

    ``records`` carry record ids after the case's and source ids of ``sources`` (their raw tables in ``raw``,
    for child rows). Nothing is written to the case: returns the ``Resolution`` of all records.
    """
    children = child_links(sources, raw.get, lambda sid: raw[sid].column_names if sid in raw else None)
    records = _with_parents(records, parent_record_ids(records, children))
    held = case.get_table("records")
    if held is not None and "parent_record_id" in held.column_names:
        records = pa.concat_tables([held.select(records.column_names).cast(records.schema), records])
    model = case.meta_get("resolve_model", None)   # the case's trained model scores the dump's pairs too
    try:
        return resolve_records(records, settings=settings or DEFAULT_SETTINGS,
                               model=model if model and model.get("comparisons") else None)
    except LinkError:
        if not model:
            raise
        return resolve_records(records, settings=settings or DEFAULT_SETTINGS)


def step_count(settings: ResolveSettings) -> int:
    """How many ``progress`` steps ``resolve_case`` reports at most: child rows, deterministic links, u, one EM per
    training rule, scoring, clustering, stable ids, storing (skipped ones are not reported)."""
    return 7 + len(settings.training_rules)


def _previous(case, records: pa.Table) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """(record_id, person_id) of the records the last resolution saw, and its persons; None on a first one."""
    if not case.has_table("persons"):
        return None
    persons = pl.from_arrow(case.get_table("persons"))
    seen = case.meta_get("resolve.records_resolved", int(persons["records"].sum()))
    ids = pl.from_arrow(records.select(["record_id", "person_id"])).filter(pl.col("record_id") < seen)
    return ids, persons


def _keep_ids(case, before, records: pa.Table, persons: pa.Table) -> tuple[pa.Table, pa.Table, dict, dict]:
    """Give the new clusters the ids of the persons they continue; store the retired ids and the delta."""
    from fuite.notify import ledger
    from fuite.notify.delta import DELTA_SCHEMA, exposure_delta, merge_deltas
    from fuite.resolve.stable import FALLBACK_START, HISTORY_SCHEMA, stable_ids

    previous, old_persons = before
    started = ledger.rounds_begun(case.conn)
    notified = ledger.reached(case.conn)
    history = pl.from_arrow(case.get_table("person_history")) if case.has_table("person_history") else \
        pl.DataFrame(schema=HISTORY_SCHEMA)
    round_no = int(case.meta_get("grow.round", 1))
    current = pl.from_arrow(records.select(["record_id", "person_id"]))
    stable = stable_ids(previous, current, notified=notified, issued=set(history["person_id"].to_list()),
                        round_no=round_no, next_fallback=int(case.meta_get("resolve.next_fallback", FALLBACK_START)))
    mapping = stable.mapping.rename({"label": "person_id", "person_id": "final"})

    def renumber(table: pa.Table) -> pa.Table:
        frame = pl.from_arrow(table).join(mapping, on="person_id", how="left")
        frame = frame.with_columns(pl.coalesce("final", "person_id").alias("person_id")).drop("final")
        return frame.to_arrow().cast(table.schema)

    new_records = renumber(records)
    new_persons = pl.from_arrow(renumber(persons)).sort("person_id").to_arrow().cast(persons.schema)
    pending = pl.from_arrow(case.get_table("delta")) if case.has_table("delta") else None
    target = 1 + max(started) if started else 1   # a round whose notices began is closed: this opens the next
    if pending is not None and round_no != target:
        case.put_table(f"delta/{round_no}", pending.to_arrow())
        pending = None
    round_no = target
    fresh = exposure_delta(old_persons, pl.from_arrow(new_persons), stable.retired, round_no)
    delta = merge_deltas(pending, fresh, stable.retired) if pending is not None else fresh
    if delta.height or case.has_table("delta"):
        case.put_table("delta", delta.cast(DELTA_SCHEMA).to_arrow())
    case.meta_set("grow.round", round_no)
    if stable.retired.height:
        case.put_table("person_history", pl.concat([history, stable.retired]).to_arrow())
    case.meta_set("resolve.next_fallback", stable.next_fallback)
    counts = {"round": round_no, "new": int((delta["status"] == "new").sum()),
              "grown": int((delta["status"] == "grown").sum())}
    return new_records, new_persons, stable.counts, counts


def _step(progress, message: str) -> None:
    if progress is not None:
        progress(message)


def persons_for_case(case) -> dict:
    """Counts about the persons of the case (``fuite persons``): no identifier."""
    from fuite.resolve.stats import person_stats

    require_tables(case, "persons")
    stats = person_stats(case.get_table("persons"), case.get_table("links") if case.has_table("links") else None,
                         case.table_rows("records") if case.has_table("records") else None)
    stats["resolve"] = case.meta_get("resolve_summary", {})
    return stats


def explain_for_case(case, person: int | None = None, records: tuple[int, int] | None = None) -> dict:
    """Why records were joined into a person (values masked); audited."""
    from fuite.resolve.explain import explain_person, explain_records

    require_tables(case, "records", "links")
    recs, links = case.get_table("records"), case.get_table("links")
    result = explain_person(recs, links, person) if person is not None else explain_records(recs, links, *records)
    case.audit("explain-person", records=len(result["records"]), detail={"masked": True})
    return result
