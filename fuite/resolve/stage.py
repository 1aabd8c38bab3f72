"""The resolve stage over an open case: read records and relations, resolve, write records, persons, links; audit.

Also the read-only views of the result: ``persons_for_case`` (counts) and ``explain_for_case`` (masked records).
"""

from __future__ import annotations

import pyarrow as pa

from fuite.resolve.core import resolve_records
from fuite.resolve.relations import child_links, parent_record_ids
from fuite.resolve.settings import DEFAULT_SETTINGS, ResolveSettings

__all__ = ["explain_for_case", "persons_for_case", "require_tables", "resolve_case", "settings_with_memory"]


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


def resolve_case(case, progress=None, *, settings: ResolveSettings | None = None, engine: str = "duckdb") -> dict:
    """Link child rows to their parent rows, resolve persons, store ``records``, ``persons``, ``links``.

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
    resolution = resolve_records(records, settings=settings, engine=engine, progress=progress)
    summary = dict(resolution.summary)
    summary.update(child_rows_linked=children.rows.height, child_rows_unmatched=children.unmatched,
                   ambiguous_parent_keys=children.ambiguous_keys, relation_problems=children.problems)
    _step(progress, "storing persons")
    case.put_table("records", resolution.records)
    case.put_table("persons", resolution.persons)
    case.put_table("links", resolution.links)
    case.meta_set("resolve_model", resolution.model)
    case.meta_set("resolve_summary", summary)
    case.audit("resolve", records=summary["records"], detail={
        "persons": summary["persons"], "child_rows_linked": summary["child_rows_linked"],
        "splink_links": summary.get("splink_links", 0)})
    return summary


def step_count(settings: ResolveSettings) -> int:
    """How many ``progress`` steps ``resolve_case`` reports at most: child rows, deterministic links, u, one EM per
    training rule, scoring, clustering, storing (skipped ones are not reported)."""
    return 6 + len(settings.training_rules)


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
