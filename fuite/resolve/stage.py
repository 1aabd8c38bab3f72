"""The resolve stage over an open case: read records and relations, resolve, write records, persons, links; audit.

Also the read-only views of the result: ``persons_for_case`` (counts) and ``explain_for_case`` (masked records).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from fuite.errors import LinkError, UsageError
from fuite.resolve.core import LINK_SCHEMA, resolve_records
from fuite.resolve.partition import partition_cap
from fuite.resolve.relations import child_links, parent_record_ids
from fuite.resolve.settings import DEFAULT_SETTINGS, ResolveSettings

__all__ = ["explain_for_case", "persons_for_case", "require_tables", "resolve_alongside", "resolve_case",
           "settings_with_memory"]

#: Case tables of a growing leak: ids retired by a re-resolution, and the delta of the current round.
GROW_TABLES = ("person_history", "delta")


def settings_with_memory(memory: str | None) -> ResolveSettings:
    """The default settings, with the memory cap (DuckDB's, and the partitions' size) set from ``--memory``."""
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
    settings = settings or DEFAULT_SETTINGS
    total = case.table_rows("records") if case.has_table("records") else 0
    if total == 0:
        return {"records": 0, "persons": 0}
    _drop_staged(case)
    _step(progress, "linking child rows to their parent rows")
    children = child_links(case.get_table("sources"), lambda sid: case.get_table(f"raw/{sid}"),
                           lambda sid: _raw_fields(case, sid),
                           load_fields=lambda sid, fields: case.get_table(f"raw/{sid}", fields))
    if reuse_model and case.has_table("persons"):   # files added: only what the new records reach
        summary = _resolve_in_parts(case, children, settings, engine, reuse_model, progress, added=True)
        if summary is not None:
            return summary
    if total > partition_cap(settings, total):
        summary = _resolve_in_parts(case, children, settings, engine, reuse_model, progress)
        if summary is not None:
            return summary
    records = case.get_table("records")
    records = _with_parents(records, parent_record_ids(records, children))
    before = _previous(case, records)
    model = _reusable_model(case, reuse_model, before)
    try:
        resolution = resolve_records(records, settings=settings, engine=engine, progress=progress, model=model)
    except LinkError:
        if not model:
            raise
        resolution = resolve_records(records, settings=settings, engine=engine, progress=progress)
    summary = _with_children(dict(resolution.summary), children)
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
        _finish(case, summary, resolution.model, records.num_rows, before is not None)
    return _audited(case, summary)


def _reusable_model(case, reuse_model: bool, before) -> dict | None:
    model = case.meta_get("resolve_model", None) if reuse_model and before is not None else None
    return model if model and model.get("comparisons") else None


def _with_children(summary: dict, children) -> dict:
    summary.update(child_rows_linked=children.rows.height, child_rows_unmatched=children.unmatched,
                   ambiguous_parent_keys=children.ambiguous_keys, relation_problems=children.problems)
    return summary


def _finish(case, summary: dict, model: dict, resolved: int, again: bool) -> None:
    """The metadata of a resolution (inside its transaction)."""
    case.meta_set("resolve_model", model)
    case.meta_set("resolve_summary", summary)
    case.meta_set("resolve.records_resolved", resolved)
    if again and case.has_table("severity"):
        case.drop_table("severity")   # scored on the persons as they were: `fuite assess` scores them again


def _audited(case, summary: dict) -> dict:
    case.audit("resolve", records=summary["records"], detail={
        "persons": summary["persons"], "child_rows_linked": summary["child_rows_linked"],
        "splink_links": summary.get("splink_links", 0), "partitions": summary.get("partitions", 1)})
    return summary


#: Case tables a partitioned resolution stages (encrypted like every table): the records of each partition,
#: then the new records, persons and links until they replace the old ones.
PART_PREFIX, NEXT_PREFIX = "resolve.part/", "resolve.next/"


def _drop_staged(case) -> None:
    """What an interrupted partitioned resolution left."""
    for name in case.table_names():
        if name.startswith((PART_PREFIX, NEXT_PREFIX)):
            case.drop_table(name)


def _record_batches(case, columns=None):
    """(offset, batch) over the ``records`` table in store order."""
    offset = 0
    for batch in case.iter_table("records", columns):
        yield offset, batch
        offset += batch.num_rows


def _resolve_in_parts(case, children, settings: ResolveSettings, engine: str, reuse_model: bool,
                      progress, added: bool = False) -> dict | None:
    """Resolve the case a partition at a time (``fuite.resolve.partition``), in memory for one partition plus a few
    integers a record; None when the rules cannot be partitioned or everything lands in one partition.

    ``added`` (files added to a resolved case, with its model): only the components the new records reach are
    resolved again, each previous person kept whole in one component; every other record, person and link stays
    as it was. None when that cannot be done (no model, nothing new), for a whole re-resolution."""
    import time

    started = time.perf_counter()
    planned = _planned(case, children, settings, reuse_model, progress, added)
    if planned is None:
        return None
    plan, record_ids, parents, before, model = planned
    with case.transaction():   # each partition's records, staged encrypted in the case
        for offset, batch in _record_batches(case):
            batch = _with_parents(pa.Table.from_batches([batch]), parents.slice(offset, batch.num_rows))
            part = plan.part[offset:offset + batch.num_rows]
            for p in np.unique(part[part >= 0]).tolist():
                case.append_table(f"{PART_PREFIX}{p}", batch.filter(pa.array(part == p)))
    # each record's person, in store order (in an addition, the records not resolved again keep theirs)
    person_at = _in_order(record_ids, case.get_table("records", ["record_id", "person_id"])).copy() if added else \
        np.zeros(len(record_ids), dtype=np.int64)
    summaries, model = _resolve_partitions(case, plan, record_ids, person_at, settings, engine, model, progress)
    summary = _with_children(_merged(summaries), children)
    summary.update(plan.summary)
    with case.transaction():   # the ids, the delta and the persons change together or not at all
        if before is not None:
            _step(progress, "keeping person ids stable")
            _stable_parts(case, before, plan.part >= 0, record_ids, person_at, summary, added)
        _step(progress, "storing persons")
        for offset, batch in _record_batches(case):
            table = _with_parents(pa.Table.from_batches([batch]), parents.slice(offset, batch.num_rows))
            field = table.schema.field("person_id")
            table = table.set_column(table.column_names.index("person_id"), field,
                                     pa.array(person_at[offset:offset + batch.num_rows]).cast(field.type))
            case.append_table(f"{NEXT_PREFIX}records", table)
        for name in ("records", "persons", "links"):
            case.rename_table(f"{NEXT_PREFIX}{name}", name)
        summary["seconds"] = round(time.perf_counter() - started, 2)
        _finish(case, summary, model, len(record_ids), before is not None)
    return _audited(case, summary)


def _planned(case, children, settings: ResolveSettings, reuse_model: bool, progress, added: bool):
    """The partition plan of the case, with its record ids, parents, previous persons and reusable model; None
    when the case is better resolved whole."""
    from fuite.resolve.partition import FEATURE_COLUMNS, memory_bytes, partition_cap, plan_floor, plan_partitions

    keys = case.get_table("records", ["record_id", "source_id", "row", "person_id"])
    parents = parent_record_ids(keys, children)
    record_ids = keys.column("record_id").to_numpy()
    before = _previous_ids(case, pl.from_arrow(keys.select(["record_id", "person_id"])))
    model = _reusable_model(case, reuse_model, before)
    groups = touched = None
    if added:
        if model is None:
            return None
        touched = ~np.isin(record_ids, before[0]["record_id"].to_numpy())
        if not touched.any():
            return None
        groups = pl.DataFrame({"g": pl.from_arrow(keys.column("person_id")).cast(pl.Int64), "new": touched}).select(
            pl.when(~pl.col("new")).then(pl.col("g")))[:, 0]   # each previous person, in one component
    del keys
    floor = plan_floor(len(record_ids))
    if floor > memory_bytes(settings):
        raise UsageError(f"--memory {settings.memory_limit} is too small to cut {len(record_ids):,} records into "
                         f"partitions: the plan alone needs about {floor / 2**30:.1f} GB; give --memory "
                         f"{-(-floor // 2**30)}GB or more")
    _step(progress, "cutting the records into partitions")
    plan = plan_partitions(lambda: (b for _, b in _record_batches(case, FEATURE_COLUMNS)), record_ids, parents,
                           settings, partition_cap(settings, len(record_ids)), groups=groups, touched=touched)
    if plan is None or (not added and plan.count == 1):
        return None
    return plan, record_ids, parents, before, model


def _resolve_partitions(case, plan, record_ids: np.ndarray, person_at: np.ndarray, settings: ResolveSettings,
                        engine: str, model, progress) -> tuple[list[dict], dict]:
    """Each staged partition resolved by the pure core in turn (the first trains the model when there is none):
    its persons set in ``person_at``, its links and persons appended to the next tables, its stage dropped."""
    summaries = []
    for p in range(plan.count):
        _step(progress, f"resolving partition {p + 1} of {plan.count}")
        records = case.get_table(f"{PART_PREFIX}{p}")
        resolution = resolve_records(records, settings=settings, engine=engine, model=model,
                                     population=plan.linkable, placeholders=plan.placeholders)
        del records
        model = model or resolution.model
        person_at[np.flatnonzero(plan.part == p)] = _in_order(record_ids[plan.part == p], resolution.person_ids)
        case.append_table(f"{NEXT_PREFIX}links", resolution.links)
        case.append_table(f"{NEXT_PREFIX}persons", resolution.persons)
        case.drop_table(f"{PART_PREFIX}{p}")
        summaries.append(resolution.summary)
        del resolution
    return summaries, model


def _stable_parts(case, before, again: np.ndarray, record_ids: np.ndarray, person_at: np.ndarray, summary: dict,
                  added: bool) -> None:
    """The previous ids kept for the persons resolved ``again`` (``person_at`` and ``summary`` updated); in an
    addition, the persons no new record reached and their links join the next tables as they were."""
    kept = _kept(case, before, record_ids[again]) if added else None
    ids_table, persons, summary["stable_ids"], summary["delta"] = _keep_ids(
        case, kept[0] if added else before, pa.table({"record_id": record_ids[again], "person_id": person_at[again]}),
        case.get_table(f"{NEXT_PREFIX}persons"))
    if added:
        persons = pl.concat([kept[1], pl.from_arrow(persons)]).sort("person_id").to_arrow().cast(persons.schema)
        case.append_table(f"{NEXT_PREFIX}links", kept[2])
        summary["records"], summary["persons"] = len(record_ids), persons.num_rows
        summary["stable_ids"] = _with_untouched(case, summary["stable_ids"], kept[1])
    case.put_table(f"{NEXT_PREFIX}persons", persons)
    person_at[again] = _in_order(record_ids[again], ids_table)


def _kept(case, before, again: np.ndarray):
    """For an addition: the previous ids and persons of the records resolved ``again`` (what the stable ids
    compare), the previous persons of all the other records, and the links between those other records."""
    previous, old_persons = before
    resolved = pl.Series(again).cast(pl.Int64).implode()
    touched_previous = previous.filter(pl.col("record_id").is_in(resolved))
    reached = touched_previous["person_id"].unique().implode()
    links = pl.from_arrow(case.get_table("links")).filter(~pl.col("record_id_l").is_in(resolved)).to_arrow() \
        if case.has_table("links") else LINK_SCHEMA.empty_table()
    return ((touched_previous, old_persons.filter(pl.col("person_id").is_in(reached))),
            old_persons.filter(~pl.col("person_id").is_in(reached)), links.cast(LINK_SCHEMA))


def _with_untouched(case, counts: dict, untouched: pl.DataFrame) -> dict:
    """The stable-id counts of an addition with the persons no new record reached (all keep their id)."""
    from fuite.notify import ledger

    notified = ledger.reached(case.conn)
    return {**counts, "kept": counts.get("kept", 0) + untouched.height,
            "notified_kept": counts.get("notified_kept", 0) + int(untouched["person_id"].is_in(
                pl.Series(sorted(notified), dtype=pl.Int64).implode()).sum())}


def _in_order(record_ids: np.ndarray, person_ids: pa.Table) -> np.ndarray:
    """The ``person_id`` of each of ``record_ids`` (in that order), from a ``record_id, person_id`` table."""
    order = pl.DataFrame({"record_id": pl.Series(record_ids).cast(pl.Int64)})
    found = pl.from_arrow(person_ids).select(pl.col("record_id").cast(pl.Int64), pl.col("person_id").cast(pl.Int64))
    return order.join(found, on="record_id", how="left", maintain_order="left")["person_id"].to_numpy()


def _merged(summaries: list[dict]) -> dict:
    """The summaries of the partitions as one: counts added up (per key for dicts), the rest from the first."""
    out: dict = {}
    for one in summaries:
        for key, value in one.items():
            if isinstance(value, bool) or key not in out:
                out.setdefault(key, value)
            elif isinstance(value, (int, float)):
                out[key] += value
            elif isinstance(value, dict):
                out[key] = {k: out[key].get(k, 0) + value.get(k, 0) for k in {*out[key], *value}}
    out["seconds"] = round(sum(s.get("seconds", 0) for s in summaries), 2)
    return out


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
    return _previous_ids(case, pl.from_arrow(records.select(["record_id", "person_id"])))


def _previous_ids(case, ids: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    if not case.has_table("persons"):
        return None
    persons = pl.from_arrow(case.get_table("persons"))
    seen = case.meta_get("resolve.records_resolved", int(persons["records"].sum()))
    return ids.filter(pl.col("record_id") < seen), persons


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
