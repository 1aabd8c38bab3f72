"""The notify stage over an open case: read its tables and case file, run the pure parts, audit."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from fuite.assess.rules import Circumstances
from fuite.assess.severity import facts_columns
from fuite.assess.severity import assess_breach
from fuite.notify import ledger
from fuite.notify.cnil import build_cnil_draft
from fuite.notify.names import with_best_names
from fuite.notify.persons import PersonsOptions, PersonsReport, notice_secret, notify_persons, plan_channels
from fuite.store.casefile import gaps, processor_gaps, require_complete

__all__ = ["cnil_draft_for_case", "cnil_drafts_for_case", "controller_shares", "processor_notices_for_case",
           "notify_persons_for_case", "status_for_case", "preview_for_case"]


#: The persons columns the CNIL draft reads: the profile the breach is assessed on, and what decides the channel.
CNIL_PERSON_COLUMNS = ("person_id", *facts_columns, "emails", "postal_code", "city")


def _persons(case, columns=None):
    return case.persons(columns)


def _named_persons(case):
    """The persons, each named by the best-attested spelling among their records, in the usual case."""
    records = None
    if case.has_table("records"):
        wanted = ("person_id", "record_id", "first_name", "last_name")
        parts = list(case.iter_table("records", wanted))
        records = pa.Table.from_batches(parts) if parts and all(len(p.schema) == 4 for p in parts) else None
    return with_best_names(_persons(case), records)


def _notified_persons(case) -> tuple[pa.Table, int]:
    """The persons to notify, named; in a case of several controllers each with its ``controllers`` (who signs,
    who is named), without the persons no controller holds: those are counted, never assigned."""
    persons = _named_persons(case)
    case_file = case.settings
    if not case_file.many:
        return persons, 0
    from fuite.assess.attribution import controllers_of_persons
    from fuite.assess.stage import attribution_for_case

    held = controllers_of_persons(attribution_for_case(case), case_file)
    aligned = pl.DataFrame({"person_id": pl.from_arrow(persons["person_id"])}).join(
        held, on="person_id", how="left", maintain_order="left")["controllers"]
    persons = persons.append_column("controllers", aligned.to_arrow().cast(pa.string()))
    kept = persons.filter(pc.is_valid(persons["controllers"]))
    return kept, persons.num_rows - kept.num_rows


def _ledger_counts(case) -> dict:
    ledger.ensure(case.conn)
    return ledger.counts(case.conn)


def cnil_draft_for_case(case, draft: bool = False) -> dict:
    """The CNIL draft for this case (counts only); refused while the case file lacks a fact, unless ``draft``."""
    persons = _persons(case, CNIL_PERSON_COLUMNS)
    case_file = case.settings
    if not draft:
        require_complete(case_file, "notifying CNIL")
    severity = case.get_table("severity")
    if severity is not None and severity.num_rows != persons.num_rows:
        severity = None   # persons were resolved again since `fuite assess`: score them afresh
    breach = assess_breach(persons, Circumstances.of(case_file), severity)
    plan = plan_channels(persons)
    channels = {c: sum(1 for v in plan.values() if v == c) for c in ("email", "letter", "none")}
    return build_cnil_draft(breach, case_file, records=case.get_table("records", ["categories"]),
                            sources=case.get_table("sources", ["file"]),
                            channels=channels, ledger_counts=_ledger_counts(case), delta=growth_since_first(case))


def growth_since_first(case) -> pa.Table | None:
    """The delta of every round since the initial notification, one row per person still in the case (a person
    new in any round counts as new), or None when no file was added after the first resolution."""
    from fuite.notify.delta import DELTA_SCHEMA, merge_deltas

    parts = [pl.from_arrow(case.get_table(n)) for n in sorted(case.table_names()) if n.startswith("delta/")]
    if case.has_table("delta"):
        parts.append(pl.from_arrow(case.get_table("delta")))
    if not parts:
        return None
    merged = parts[0]
    for later in parts[1:]:
        merged = merge_deltas(merged, later, pl.from_arrow(case.get_table("person_history"))
                              if case.has_table("person_history") else pl.DataFrame(
                                  schema={"person_id": pl.Int64, "merged_into": pl.Int64}))
    alive = pl.from_arrow(case.get_table("persons").select(["person_id"]))
    return merged.join(alive, on="person_id", how="semi").cast(DELTA_SCHEMA).to_arrow()


def _round_plan(case, persons: pa.Table) -> list[tuple[int, pa.Table]]:
    """``(round, persons rows)`` to run, in order: round 1 (everyone, or when a later round is open only those
    its ledger holds, to finish it), then every complementary round that is open or unfinished."""
    from fuite.notify.rounds import round_persons

    current = int(case.meta_get("grow.round", 1))
    if current == 1 or not case.has_table("delta"):
        return [(1, persons)]
    conn = case.conn
    plan = []
    for r in range(1, current + 1):
        if r < current and r not in ledger.rounds_begun(conn):
            continue
        if r == 1:
            rows = persons
        else:
            delta = case.get_table("delta" if r == current else f"delta/{r}")
            if delta is None:
                continue
            rows = round_persons(persons, delta, ledger.first_reached(conn, r), ledger.planned(conn, r))
        if r < current:   # a round already under way: only the persons its ledger holds
            with ledger.round_scope(r):
                held = {pid for (pid,) in conn.execute(f"SELECT DISTINCT person_id FROM {ledger.table_for(r)}")}
            rows = rows.filter(pc.is_in(rows.column("person_id"), pa.array(sorted(held), pa.int64())))
        plan.append((r, rows))
    return plan


def _add(total: PersonsReport, part: PersonsReport) -> PersonsReport:
    for name, value in vars(part).items():
        mine = getattr(total, name)
        if isinstance(value, int):
            setattr(total, name, mine + value)
        elif isinstance(value, dict):
            for key, n in value.items():
                mine[key] = mine.get(key, 0) + n
        elif isinstance(value, list):
            mine.extend(v for v in value if v not in mine)
        elif isinstance(value, set):
            mine |= value
    return total


def channel_bars(tracker):
    """``notify_persons``' ``progress(channel, done, total)`` as one bar per channel of a ``fuite.progress.Tracker``."""
    bars = {}

    def progress(channel: str, done: int, total: int | None = None) -> None:
        if channel not in bars:
            bars[channel] = tracker.bar(f"notify persons: {channel}s", total, "notices")
        bars[channel].update(done)
        if done == bars[channel].total:
            bars[channel].finish()

    return progress


def cnil_drafts_for_case(case, draft: bool = False) -> tuple[list[tuple[str | None, dict]], dict | None]:
    """``(controller id, draft)`` per controller, with that controller's counts, and the summary of the records
    no controller holds (they are in no draft); ``([(None, draft)], None)`` for a case of one ``[controller]``
    (its draft as :func:`cnil_draft_for_case` writes it)."""
    from fuite.assess.attribution import unattributed_summary

    case_file = case.settings
    if not draft:
        require_complete(case_file, "notifying CNIL")
    if not case_file.many:
        return [(None, cnil_draft_for_case(case, draft=True))], None
    severity = case.get_table("severity")
    states = _ledger_states(case)
    growth = growth_since_first(case)
    held = _held_records(case)
    drafts = []
    for c, persons, records in controller_shares(case, held):
        ids = set(persons.column("person_id").to_pylist())
        own_severity = None
        if severity is not None:
            own_severity = severity.filter(pc.is_in(severity["person_id"], persons["person_id"]))
            own_severity = own_severity if own_severity.num_rows == persons.num_rows else None
        breach = assess_breach(persons, Circumstances.of(case_file.view(c)), own_severity)   # its own sector
        plan = plan_channels(persons)
        channels = {ch: sum(1 for v in plan.values() if v == ch) for ch in ("email", "letter", "none")}
        sources = case.get_table("sources", ["source_id", "file"])
        if sources is not None:
            sources = sources.filter(pc.is_in(sources["source_id"], pa.array(sorted(set(
                records.column("source_id").to_pylist())), sources.schema.field("source_id").type)))
        counts: dict[str, dict[str, int]] = {}
        for pid, channel, state in states:
            if pid in ids:
                counts.setdefault(channel, dict.fromkeys(ledger.STATES, 0))[state] += 1
        own_growth = None if growth is None else growth.filter(pc.is_in(growth["person_id"], persons["person_id"]))
        doc = build_cnil_draft(breach, case_file.view(c), records=records, sources=sources, channels=channels,
                               ledger_counts=counts, delta=own_growth)
        doc["a_completer"] = [key.replace("controller.", f"controllers[{c.id}].", 1) for key in doc["a_completer"]]
        drafts.append((c.id, doc))
    return drafts, unattributed_summary(held)


def _ledger_states(case) -> list[tuple[int, str, str]]:
    ledger.ensure(case.conn)
    return list(case.conn.execute(f"SELECT person_id, channel, state FROM {ledger.TABLE}"))


def _held_records(case) -> pl.DataFrame:
    """The records' counting columns (no identifier) with each record's ``controllers``."""
    from fuite.assess.stage import attribution_for_case

    wanted = ("record_id", "person_id", "source_id", "file", "categories", "health", "hiv", "conditions")
    records = pl.from_arrow(case.get_table("records", wanted))
    return records.join(attribution_for_case(case).select("record_id", "controllers", "attribution"),
                        on="record_id", how="left")


def processor_notices_for_case(case, draft: bool = False) -> list[tuple[str, dict]]:
    """``(controller id, notice)``: the processor's art. 33(2) notice to each controller, counts only.

    Refused while ``[processor]`` or a breach fact is missing, unless ``draft``.
    """
    from fuite.assess.attribution import controllers_of_persons
    from fuite.assess.figures import controller_figures
    from fuite.notify.processor import build_processor_notice

    case_file = case.settings
    if not draft:
        require_complete(case_file, "notifying the controllers", extra=processor_gaps(case_file))
    held = _held_records(case)
    per_person = controllers_of_persons(held.select("person_id", "controllers"), case_file)
    shared = per_person.filter(pl.col("controllers").str.contains(";"))["controllers"].str.split(";").explode()
    shared_counts = {k: int(v) for k, v in shared.value_counts().iter_rows()} if shared.len() else {}
    figures = controller_figures(held, case_file.controllers)
    return [(c.id, build_processor_notice(case_file, c, f, shared=shared_counts.get(c.id, 0)))
            for c, f in zip(case_file.controllers, figures)]


def controller_shares(case, held: pl.DataFrame | None = None):
    """``(controller, persons, records)`` per controller: its persons (contact columns as resolved, exposure
    from its own records only) and its records (counting columns only); ``held``: :func:`_held_records`."""
    from fuite.assess.figures import persons_of_records

    held = _held_records(case) if held is None else held
    persons = pl.from_arrow(_persons(case))
    exposure = ("categories", "health", "hiv", "conditions")
    for c in case.settings.controllers:
        mine = held.filter(pl.col("controllers").str.split(";").list.contains(c.id)).drop("controllers", "attribution", strict=False)
        own = persons_of_records(mine.select("person_id", *exposure))
        theirs = persons.drop([e for e in exposure if e in persons.columns]).join(own, on="person_id", how="inner")
        yield c, theirs.select(persons.columns).to_arrow(), mine.to_arrow()


def notify_persons_for_case(case, opts: PersonsOptions, progress=None) -> PersonsReport:
    """Notify every person of the case, round by round, and record it in the audit trail (``progress``: a
    ``fuite.progress.Tracker``, a bar per channel with the notices to send as its total).

    In a case of several controllers, each person gets one notice signed as ``[notification] signing`` says and
    naming every controller of theirs; persons no controller holds are not notified (a warning counts them).
    After files were added to a notified case, the complementary round notifies only its delta
    (:mod:`fuite.notify.rounds`).
    """
    from dataclasses import replace

    persons, unattributed = _notified_persons(case)
    case_file = case.settings
    if opts.dry_run:
        opts.gaps = gaps(case_file)
    else:
        require_complete(case_file, "notifying persons")
    report = PersonsReport()
    limit = opts.limit
    rounds = []
    bars = channel_bars(progress) if progress is not None else None
    for round_no, rows in _round_plan(case, persons):
        part = notify_persons(case.conn, rows, case_file, replace(opts, round=round_no, limit=limit),
                              secret=notice_secret(case), case_dir=case.dir, progress=bars)
        done = part.rendered if opts.dry_run else part.sent + part.failed + part.deferred + part.held + part.letters
        limit = None if limit is None else max(0, limit - done)
        rounds.append({"round": round_no, "persons": rows.num_rows, "handled": done})
        report = _add(report, part)
    report.rounds = rounds
    if unattributed:
        report.warnings.append(f"{unattributed} persons are held by no controller and were not notified: attribute "
                               "their files in case.toml (see `fuite report`, unattributed)")
    handled = report.rendered if opts.dry_run else report.sent + report.failed + report.deferred + report.held \
        + report.letters
    case.audit("notify.persons", records=handled, detail={"dry_run": opts.dry_run, **report.to_dict()})
    return report


def status_for_case(case) -> dict:
    """Ledger counts per channel and state, plus persons not in the ledger yet."""
    persons = case.get_table("persons")
    counts = _ledger_counts(case)
    planned = ledger.planned(case.conn, before_round=1 << 30)   # in any round
    total = persons.num_rows if persons is not None else 0
    later = {}
    for r in [r for r in ledger.rounds(case.conn) if r > 1]:
        with ledger.round_scope(r):
            later[r] = ledger.counts(case.conn)
    delta = case.get_table("delta")
    status = {"persons": total, "not_planned": total - len(planned) if total else 0, "channels": counts,
              "round": int(case.meta_get("grow.round", 1)), "delta": delta.num_rows if delta is not None else 0,
              "later_rounds": {str(r): c for r, c in later.items()}}
    if case.settings.many and persons is not None:
        status["controllers"] = _status_per_controller(case)
    return status


def _status_per_controller(case) -> list[dict]:
    """``[{id, persons, reached, not_reached}]``: each controller's persons, and how many a notice reached (sent
    by email or letter: the one notice a person of several controllers gets counts for each)."""
    from fuite.assess.attribution import controllers_of_persons
    from fuite.assess.stage import attribution_for_case

    cf = case.settings
    held = controllers_of_persons(attribution_for_case(case), cf).with_columns(pl.col("controllers").str.split(";"))
    reached = {pid for (pid,) in case.conn.execute(
        f"SELECT DISTINCT person_id FROM {ledger.TABLE} WHERE state = 'sent' AND channel IN ('email', 'letter')")}
    per = held.explode("controllers").with_columns(pl.col("person_id").is_in(list(reached)).alias("reached"))
    counts = {cid: (n, int(r)) for cid, n, r in per.group_by("controllers").agg(pl.len(), pl.col("reached").sum())
              .iter_rows()}
    return [{"id": c.id, "persons": counts.get(c.id, (0, 0))[0], "reached": counts.get(c.id, (0, 0))[1],
             "not_reached": counts.get(c.id, (0, 0))[0] - counts.get(c.id, (0, 0))[1]} for c in cf.controllers]


def preview_for_case(case, out, templates=None) -> list:
    """Sample notices of every variant drawn from the case's persons (audited: they hold identifiers)."""
    from fuite.notify.persons import shared_mailboxes
    from fuite.notify.preview import preview_rows, write_preview

    persons, _ = _notified_persons(case)
    rows = preview_rows(persons, shared_mailboxes(persons))
    for _, later in _round_plan(case, persons)[1:]:   # an open complementary round: one of its notices
        grown = later.filter(pc.equal(later["complement_kind"], "grown"))
        if grown.num_rows:
            rows["complementary"] = grown.slice(0, 1).to_pylist()[0]
            break
    written = write_preview(case.settings, rows, out, override_dirs=[p for p in (templates, case.dir / "templates")
                                                                    if p])
    case.audit("notify.preview", records=len(rows), detail={"variants": sorted(rows), "files": len(written)})
    return written
