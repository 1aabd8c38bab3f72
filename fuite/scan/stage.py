"""The scan stage: files -> ingest -> detect -> encrypted case (-> resolve stage); audited. No parsing of its own."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import chain
from pathlib import Path

import pyarrow as pa

from fuite.errors import NothingUsable, UsageError
from fuite.progress import NO_PROGRESS, Tracker, step_bar
from fuite.schema import RECORD_SCHEMA, ROW_FIELD, ColumnFinding, FileProblem, Quarantined, SourceTable
from fuite.store import Case

#: Rows read before a table's columns are classified; the rest streams with that classification.
SAMPLE_ROWS = 200_000

#: Case tables a scan owns; a new scan replaces them.
SCAN_TABLES = ("sources", "columns", "records", "quarantine", "problems", "persons", "links", "severity")



@dataclass
class ScanSummary:
    files: int = 0
    tables: int = 0
    records: int = 0
    quarantined: int = 0
    problems: list[dict] = field(default_factory=list)
    resolved: dict | None = None

    @property
    def persons(self) -> int | None:
        """Distinct persons found, or None when the scan did not resolve them (``--no-resolve``)."""
        return None if self.resolved is None else self.resolved.get("persons")

    def to_dict(self) -> dict:
        """The ``fuite scan --json`` document (stable keys; counts, and the unreadable files with the reason)."""
        return {"files": self.files, "tables": self.tables, "records": self.records, "persons": self.persons,
                "resolved": self.resolved is not None, "quarantined_rows": self.quarantined,
                "unreadable_files": len(self.problems),
                "problems": [{"file": p["file"], "reason": p["reason"]} for p in self.problems]}


def require_input(paths: list[Path]) -> None:
    """Refuse a scan with nothing to read: a path that does not exist, or no file at all under the paths."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"not found: {', '.join(missing)}")
    if not any(_has_file(Path(p)) for p in paths):
        raise NothingUsable(f"no file found in {', '.join(str(p) for p in paths)}")


def _has_file(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(p.is_file() for p in path.rglob("*")))


class FileBars:
    """One bar per file read, with the file's own size as its total (``on_progress`` of ``fuite.ingest``).

    Ingest reads one file after the other: a file's bar is complete when the next file begins, or at the end.
    """

    def __init__(self, tracker: Tracker):
        self.tracker, self.bars, self.current = tracker, {}, None

    def read(self, name: str, done: int, total: int | None) -> None:
        bar = self.bars.get(name)
        if bar is None:
            self.finish()
            bar = self.bars[name] = self.current = self.tracker.bar(name, total, "bytes")
        bar.update(done)

    def finish(self) -> None:
        if self.current is not None:
            self.current.finish()
            self.current = None



def _clear(case: Case) -> None:
    for name in case.table_names():
        if name in SCAN_TABLES or name.startswith("raw/"):
            case.drop_table(name)


def _data_only(batches: list[pa.RecordBatch], width: int) -> pa.Table:
    names = [f"c{i}" for i in range(width)]
    if not batches:
        return pa.table({n: pa.array([], pa.string()) for n in names})
    return pa.Table.from_batches(batches).select(names)


def _complete_records(rec: pa.Table, *, first_id: int, source_id: int, st: SourceTable) -> pa.Table:
    n = rec.num_rows
    ids = pa.array(range(first_id, first_id + n), pa.int64())
    fixed = {
        "record_id": ids, "source_id": pa.array([source_id] * n, pa.int32()),
        "file": pa.array([st.file] * n, pa.string()), "table": pa.array([st.table] * n, pa.string()),
        "parent_record_id": pa.nulls(n, pa.int64()), "person_id": ids,
    }
    cols = []
    for f in RECORD_SCHEMA:
        if f.name in fixed:
            cols.append(fixed[f.name])
        elif f.name in rec.column_names:
            cols.append(rec.column(f.name).cast(f.type))
        else:
            cols.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(cols, schema=RECORD_SCHEMA)


def _findings_table(findings: list[ColumnFinding]) -> pa.Table:
    return pa.table({
        "file": [f.file for f in findings], "table": [f.table for f in findings],
        "column": [f.column for f in findings], "position": pa.array([f.position for f in findings], pa.int32()),
        "category": [f.category for f in findings], "confidence": pa.array([f.confidence for f in findings], pa.float64()),
    })


def scan_tables(case: Case, tables: Iterator[SourceTable], *, quarantined: list[Quarantined],
                problems: list[FileProblem]) -> ScanSummary:
    """Classify and store every table ingest yields. ``quarantined``/``problems`` fill as ingest reports."""
    from fuite import detect

    _clear(case)
    summary = ScanSummary()
    sources = []
    for source_id, st in enumerate(tables):
        batches = st.batches()
        head: list[pa.RecordBatch] = []
        seen = 0
        for batch in batches:
            head.append(batch)
            seen += batch.num_rows
            if seen >= SAMPLE_ROWS:
                break
        findings = detect.classify_table(st.columns, _data_only(head, len(st.columns)))
        for f in findings:
            f.file, f.table = st.file, st.table
        case.append_table("columns", _findings_table(findings))
        rows = 0
        for batch in chain(head, batches):
            case.append_table(f"raw/{source_id}", batch)
            rec = detect.extract_records(batch, findings)
            case.append_table("records", _complete_records(rec, first_id=summary.records, source_id=source_id, st=st))
            summary.records += batch.num_rows
            rows += batch.num_rows
        sources.append({
            "source_id": source_id, "file": st.file, "table": st.table, "format": st.format,
            "encoding": st.encoding, "columns": json.dumps(st.columns, ensure_ascii=False),
            "relations": json.dumps([asdict(r) for r in st.relations]), "parent": st.parent or "",
            "rows": rows, "quarantined": 0,
        })
        summary.tables += 1
    per_table = Counter((q.file, q.table) for q in quarantined)
    for src in sources:
        src["quarantined"] = per_table[(src["file"], src["table"])]
    if sources:
        case.put_table("sources", pa.Table.from_pylist(sources))
    _store_issues(case, quarantined, problems)
    summary.files = len({s["file"] for s in sources})
    summary.quarantined = len(quarantined)
    summary.problems = [asdict(p) for p in problems]
    return summary


def _store_issues(case: Case, quarantined: list[Quarantined], problems: list[FileProblem]) -> None:
    from fuite.ingest.quarantine import problems_table, quarantine_table

    case.put_table("quarantine", quarantine_table(quarantined))
    case.put_table("problems", problems_table(problems))


def scan_paths(case: Case, paths: list[Path], *, encoding: str | None = None, progress: Tracker = NO_PROGRESS,
               resolve: bool = True, on_problem: Callable[[FileProblem], None] | None = None,
               resolve_settings=None) -> ScanSummary:
    """Read ``paths`` into ``case``; then resolve the records into persons.

    ``progress``: a bar per file (its bytes), then one for the linkage (its steps).
    """
    from fuite import ingest

    quarantined: list[Quarantined] = []
    problems: list[FileProblem] = []

    def problem(p: FileProblem) -> None:
        problems.append(p)
        if on_problem:
            on_problem(p)

    files = FileBars(progress)
    tables = ingest.read_paths([Path(p) for p in paths], encoding=encoding, on_quarantine=quarantined.append,
                               on_problem=problem, on_progress=files.read)
    summary = scan_tables(case, tables, quarantined=quarantined, problems=problems)
    files.finish()
    if resolve and summary.records:
        from fuite.resolve.stage import DEFAULT_SETTINGS, resolve_case, step_count

        settings = resolve_settings or DEFAULT_SETTINGS
        steps = progress.bar("linking", step_count(settings), "steps")
        summary.resolved = resolve_case(case, step_bar(steps), settings=settings)
        steps.finish()
    case.audit("scan", records=summary.records, detail={
        "files": summary.files, "tables": summary.tables, "quarantined": summary.quarantined,
        "unreadable": len(summary.problems)})
    return summary
