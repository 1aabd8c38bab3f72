"""The scan stage: files -> ingest -> detect -> encrypted case (-> resolve stage); audited. No parsing of its own."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from itertools import chain
from pathlib import Path

import pyarrow as pa

from fuite.errors import NothingUsable, UsageError
from fuite.progress import NO_PROGRESS, Tracker, step_bar
from fuite.schema import RECORD_SCHEMA, ROW_FIELD, ColumnFinding, FileProblem, Quarantined, SourceTable
from fuite.store import Case

#: Rows read before a table's columns are classified; the rest streams with that classification.
SAMPLE_ROWS = 200_000

#: Case tables a scan owns (``purge``-like clearing in tests and the demo); a scan into a case adds to them.
SCAN_TABLES = ("sources", "columns", "records", "quarantine", "problems", "persons", "links", "severity")

#: Prefix of the tables a scan writes before it commits them (an interrupted scan leaves only these).
STAGING = "staging/"
#: Formats whose tables may be parent or child rows of one another (their raw rows link them).
RELATIONAL = ("sql", "sqlite", "json")
#: One row per file read into the case: its name in the case, SHA-256, size and the scan that added it.
FILES_TABLE = "scan_files"



@dataclass
class ScanSummary:
    files: int = 0
    tables: int = 0
    records: int = 0
    quarantined: int = 0
    problems: list[dict] = field(default_factory=list)
    resolved: dict | None = None
    added: bool = False                                         # the case held records before this scan
    skipped: list[dict] = field(default_factory=list)           # files already in the case: file, known_as
    renamed: list[dict] = field(default_factory=list)           # new files whose name the case used: file, as

    @property
    def persons(self) -> int | None:
        """Distinct persons found, or None when the scan did not resolve them (``--no-resolve``)."""
        return None if self.resolved is None else self.resolved.get("persons")

    def to_dict(self) -> dict:
        """The ``fuite scan --json`` document (stable keys; counts, and the unreadable files with the reason)."""
        return {"files": self.files, "tables": self.tables, "records": self.records, "persons": self.persons,
                "resolved": self.resolved is not None, "quarantined_rows": self.quarantined,
                "unreadable_files": len(self.problems),
                "problems": [{"file": p["file"], "reason": p["reason"]} for p in self.problems],
                "added_to_existing_case": self.added, "already_in_case": self.skipped, "renamed": self.renamed,
                "stable_ids": (self.resolved or {}).get("stable_ids"), "delta": (self.resolved or {}).get("delta")}


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

    The bar follows what is stored, not what is read ahead: as each batch is taken from ingest its reading
    position is noted (``taken``), and the bar moves there once that batch is stored (``stored``, batches being
    stored in the order they are taken). Before a file's first batch (a survey pass) it follows the reading.
    Ingest reads one file after the other: a file's bar is complete when the next file begins, or at the end.
    """

    def __init__(self, tracker: Tracker):
        self.tracker, self.bars, self.current = tracker, {}, None
        self.position, self.marks = 0, None

    def read(self, name: str, done: int, total: int | None) -> None:
        bar = self.bars.get(name)
        if bar is None:
            self.finish()
            bar = self.bars[name] = self.current = self.tracker.bar(name, total, "bytes")
            self.position, self.marks = 0, None
        self.position = max(self.position, done)
        if self.marks is None:
            bar.update(done)

    def taken(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """``batch``, just taken from ingest: note where the reading was."""
        if self.marks is None:
            self.marks = deque()
        self.marks.append(self.position)
        return batch

    def stored(self) -> None:
        """The oldest batch taken is stored: the bar moves to its position."""
        if self.marks and self.current is not None:
            self.current.update(self.marks.popleft())

    def finish(self) -> None:
        if self.current is not None:
            self.current.finish()
            self.current = None





def _discard_unfinished(case: Case) -> None:
    """Drop what an interrupted scan left: its staged tables and the raw tables of no committed source."""
    committed = set(_sources(case).column("source_id").to_pylist()) if case.has_table("sources") else set()
    for name in case.table_names():
        if name.startswith(STAGING) or (name.startswith("raw/") and int(name[4:]) not in committed):
            case.drop_table(name)


def _sources(case: Case) -> pa.Table:
    return case.get_table("sources")


def _commit_staged(case: Case, name: str) -> None:
    """Move the staged chunks of ``name`` after its committed ones (no chunk is decoded or copied)."""
    row = case.conn.execute("SELECT COALESCE(MAX(seq), -1) + 1 FROM arrow_chunks WHERE name=?", (name,)).fetchone()
    case.conn.execute("UPDATE arrow_chunks SET name=?, seq=seq+? WHERE name=?", (name, row[0], STAGING + name))


def _append_issues(case: Case, name: str, table: pa.Table) -> None:
    if table.num_rows or not case.has_table(name):
        case.append_table(name, table)


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


def detected_tables(tables: Iterator[SourceTable], rename: Callable[[str], str] = lambda name: name,
                    files: FileBars | None = None):
    """``(table, findings, batches)`` for each table ingest yields: its columns classified on a first sample,
    then ``batches`` yields ``(raw batch, records)`` (``fuite.detect``), streaming. Nothing is stored.
    ``files``: each batch taken is noted in the files' bars (the caller says when it is stored)."""
    from fuite import detect

    for st in tables:
        st.file = rename(st.file)
        batches = st.batches() if files is None else (files.taken(b) for b in st.batches())
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
        yield st, findings, ((batch, detect.extract_records(batch, findings)) for batch in chain(head, batches))


def source_row(source_id: int, st: SourceTable, rows: int) -> dict:
    """The ``sources`` row of one table."""
    return {"source_id": source_id, "file": st.file, "table": st.table, "format": st.format,
            "encoding": st.encoding, "columns": json.dumps(st.columns, ensure_ascii=False),
            "relations": json.dumps([asdict(r) for r in st.relations]), "parent": st.parent or "",
            "rows": rows, "quarantined": 0}


def _next_ids(case: Case) -> tuple[int, int]:
    """The first free source id and record id of the case (0, 0 for a new one)."""
    if not case.has_table("sources"):
        return 0, 0
    sources = case.get_table("sources").column("source_id").to_pylist()
    return (max(sources) + 1 if sources else 0), int(case.meta_get("scan.next_record_id",
                                                                   case.table_rows("records")))


def scan_tables(case: Case, tables: Iterator[SourceTable], *, quarantined: list[Quarantined],
                problems: list[FileProblem], names: Callable[[str], str] | None = None,
                files: FileBars | None = None) -> ScanSummary:
    """Classify and store every table ingest yields, after those the case already holds.

    ``quarantined``/``problems`` fill as ingest reports; ``names`` maps a file name as ingest gives it
    to its name in the case (a new file whose name the case already uses for other bytes is renamed).
    Everything is staged, then committed in one transaction: an interrupted scan leaves the case as it was.
    ``files``: the files' bars, moved as their batches are stored.
    """
    rename = names or (lambda name: name)
    files = files or FileBars(NO_PROGRESS)
    _discard_unfinished(case)
    first_source, first_record = _next_ids(case)
    summary = ScanSummary(added=first_record > 0)
    sources = []
    for source_id, (st, findings, batches) in enumerate(detected_tables(tables, rename, files), start=first_source):
        case.append_table(STAGING + "columns", _findings_table(findings))
        rows = 0
        for batch, rec in batches:
            case.append_table(f"raw/{source_id}", batch)
            case.append_table(STAGING + "records", _complete_records(
                rec, first_id=first_record + summary.records, source_id=source_id, st=st))
            summary.records += batch.num_rows
            rows += batch.num_rows
            files.stored()
        sources.append(source_row(source_id, st, rows))
        summary.tables += 1
    quarantined[:] = [replace(q, file=rename(q.file)) for q in quarantined]
    problems[:] = [replace(p, file=rename(p.file)) for p in problems]
    per_table = Counter((q.file, q.table) for q in quarantined)
    for src in sources:
        src["quarantined"] = per_table[(src["file"], src["table"])]
    with case.transaction():
        for name in ("columns", "records"):
            _commit_staged(case, name)
        if sources:
            new = pa.Table.from_pylist(sources)
            old = case.get_table("sources") if first_source else None
            case.put_table("sources", pa.concat_tables([old, new.cast(old.schema)]) if old is not None else new)
        _store_issues(case, quarantined, problems)
        case.meta_set("scan.next_record_id", first_record + summary.records)
    summary.files = len({s["file"] for s in sources})
    summary.quarantined = len(quarantined)
    summary.problems = [asdict(p) for p in problems]
    return summary


def _store_issues(case: Case, quarantined: list[Quarantined], problems: list[FileProblem]) -> None:
    from fuite.ingest.quarantine import problems_table, quarantine_table

    _append_issues(case, "quarantine", quarantine_table(quarantined))
    _append_issues(case, "problems", problems_table(problems))


class FileRegistry:
    """The files a case already holds, by SHA-256: decides which new files to read and their names in the case."""

    def __init__(self, case: Case):
        known = case.get_table(FILES_TABLE)
        rows = known.to_pylist() if known is not None else []
        self.by_hash = {r["sha256"]: r["file"] for r in rows}
        self.names = {r["file"] for r in rows}
        if case.has_table("sources"):   # cases scanned before files were hashed
            self.names |= {prefix for f in case.get_table("sources").column("file").to_pylist()
                           for prefix in _prefixes(f)}
        self.round = 1 + max((r["scan"] for r in rows), default=0)
        self.new: list[dict] = []
        self.skipped: list[dict] = []
        self.renamed: list[dict] = []
        self._alias: dict[str, str] = {}

    def skip(self, name: str, path: Path) -> bool:
        """True for a file whose bytes the case (or this scan) already holds; otherwise note it as new."""
        with open(path, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        if digest in self.by_hash:
            self.skipped.append({"file": name, "known_as": self.by_hash[digest]})
            return True
        stored = name
        k = 2
        while stored in self.names:
            stored, k = f"{name} ({k})", k + 1
        if stored != name:
            self._alias[name] = stored
            self.renamed.append({"file": name, "as": stored})
        self.by_hash[digest] = stored
        self.names.add(stored)
        self.new.append({"file": stored, "sha256": digest, "bytes": path.stat().st_size, "scan": self.round})
        return False

    def name(self, file: str) -> str:
        """The name in the case of ``file`` (a file, or an archive member ``a.zip/x.csv``)."""
        top, _, rest = file.partition("/")
        for head in (file, top):
            if head in self._alias:
                return self._alias[head] + file[len(head):]
        return file

    def store(self, case: Case) -> None:
        """Record the new files that gave at least one table (an unreadable file is tried again next time)."""
        read = {prefix for f in case.get_table("sources").column("file").to_pylist() for prefix in _prefixes(f)} \
            if case.has_table("sources") else set()
        rows = [r for r in self.new if r["file"] in read]
        if rows:
            case.append_table(FILES_TABLE, pa.Table.from_pylist(rows, schema=_FILES_SCHEMA))


_FILES_SCHEMA = pa.schema([("file", pa.string()), ("sha256", pa.string()), ("bytes", pa.int64()),
                          ("scan", pa.int64())])


def _prefixes(name: str) -> list[str]:
    """``a/b/c.csv`` → ``a``, ``a/b``, ``a/b/c.csv``: the names a file on disk may have given this source."""
    parts = name.split("/")
    return ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]


def scan_paths(case: Case, paths: list[Path], *, encoding: str | None = None, progress: Tracker = NO_PROGRESS,
               resolve: bool = True, on_problem: Callable[[FileProblem], None] | None = None,
               resolve_settings=None) -> ScanSummary:
    """Read ``paths`` into ``case`` (after what it holds: files with the same bytes are skipped); then resolve
    the records into persons, keeping the ids of the persons already there.

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
    registry = FileRegistry(case)
    tables = ingest.read_paths([Path(p) for p in paths], encoding=encoding, on_quarantine=quarantined.append,
                               on_problem=problem, on_progress=files.read, skip=registry.skip)
    summary = scan_tables(case, tables, quarantined=quarantined, problems=problems, names=registry.name,
                          files=files)
    files.finish()
    registry.store(case)
    summary.skipped, summary.renamed = registry.skipped, registry.renamed
    if resolve and summary.records:
        from fuite.resolve.stage import DEFAULT_SETTINGS, resolve_case, step_count

        settings = resolve_settings or DEFAULT_SETTINGS
        steps = progress.bar("linking", step_count(settings), "steps")
        summary.resolved = resolve_case(case, step_bar(steps), settings=settings, reuse_model=summary.added)
        steps.finish()
    case.audit("scan", records=summary.records, detail={
        "files": summary.files, "tables": summary.tables, "quarantined": summary.quarantined,
        "unreadable": len(summary.problems), "already_in_case": len(summary.skipped),
        "added_to_existing_case": summary.added})
    return summary


def match_paths(case: Case, paths: list[Path], *, encoding: str | None = None, progress: Tracker = NO_PROGRESS,
                resolve_settings=None) -> dict:
    """How much of the files ``paths`` the case already holds (``fuite match``): counts and a verdict.

    The files are read, classified and resolved with the case's records in memory; nothing of them is written
    (no case table, no temporary file). Audited with the counts only.
    """
    import polars as pl

    from fuite import ingest
    from fuite.notify.delta import exposure_delta
    from fuite.resolve.persons import build_persons
    from fuite.resolve.stage import resolve_alongside
    from fuite.scan.match import match_figures, verdict

    case.require_tables("records")
    quarantined: list[Quarantined] = []
    problems: list[FileProblem] = []
    files = FileBars(progress)
    tables = ingest.read_paths([Path(p) for p in paths], encoding=encoding, on_quarantine=quarantined.append,
                               on_problem=problems.append, on_progress=files.read)
    first_source, first_record = _next_ids(case)
    parts, sources, raw = [], [], {}
    count = 0
    for source_id, (st, _findings, batches) in enumerate(detected_tables(tables), start=first_source):
        held, rows = [], 0
        related = st.relations or st.parent or st.format in RELATIONAL   # only these need their raw rows kept
        for batch, rec in batches:
            if related:
                held.append(batch)
            parts.append(_complete_records(rec, first_id=first_record + count, source_id=source_id, st=st))
            count += batch.num_rows
            rows += batch.num_rows
        raw[source_id] = pa.Table.from_batches(held) if held else None
        sources.append(source_row(source_id, st, rows))
    files.finish()
    figures = {"files": len({s["file"] for s in sources}), "tables": len(sources),
               "quarantined_rows": len(quarantined), "unreadable_files": len(problems)}
    if not parts:
        figures.update(match_figures(pl.DataFrame({"record_id": [], "person_id": []}, schema={
            "record_id": pl.Int64, "person_id": pl.Int64}), 0, pl.DataFrame(), pl.DataFrame(), pl.DataFrame()))
    else:
        resolution = resolve_alongside(case, pa.concat_tables(parts), pa.Table.from_pylist(sources),
                                       {k: v for k, v in raw.items() if v is not None}, settings=resolve_settings)
        del raw, parts
        labelled = pl.from_arrow(resolution.records)
        in_dump = labelled.filter(pl.col("record_id") >= first_record)["person_id"].unique()
        persons_case = pl.from_arrow(build_persons(labelled.filter(pl.col("record_id") < first_record)))
        persons_all = pl.from_arrow(resolution.persons).filter(pl.col("person_id").is_in(in_dump.implode()))
        delta = exposure_delta(persons_case, persons_all, pl.DataFrame(schema={"person_id": pl.Int64,
                                                                               "merged_into": pl.Int64}), 0)
        figures.update(match_figures(labelled, first_record, persons_case, persons_all, delta))
    figures["verdict"], figures["verdict_line"] = verdict(figures)
    case.audit("match", records=figures["rows"], detail={k: v for k, v in figures.items()
                                                         if k not in ("verdict_line", "categories_new")})
    return figures
