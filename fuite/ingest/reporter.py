"""Where ingest sends what it sets aside, with reasons that never carry an identifier."""

from __future__ import annotations

import bz2  # noqa: F401  (its OSError is mapped below)
import gzip
import lzma
import sqlite3
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from fuite.errors import IngestError
from fuite.ingest.limits import DEFAULT_LIMITS, Limits
from fuite.schema import FileProblem, Quarantined


@dataclass
class Reporter:
    """The callbacks of ``read_paths`` plus the options every reader shares."""

    on_quarantine: Callable[[Quarantined], None]
    on_problem: Callable[[FileProblem], None]
    on_progress: Callable[[str, int, int | None], None] | None = None
    encoding: str | None = None
    limits: Limits = field(default_factory=lambda: DEFAULT_LIMITS)
    began: dict[str, float] = field(default_factory=dict)   # when each file's reading began (time budget)

    def problem(self, file: str, reason: str) -> None:
        self.on_problem(FileProblem(file, reason))

    def begin(self, file: str) -> None:
        """The reading of ``file`` starts: its time budget runs from now."""
        self.began[file] = time.monotonic()

    def over_budget(self, file: str) -> str:
        """Why ``file`` must stop being read (its time budget is spent), or ""."""
        budget = self.limits.max_file_seconds
        if time.monotonic() - self.began.setdefault(file, time.monotonic()) < budget:
            return ""
        return f"time budget of {budget:g} s per file spent; the rest of the file is not read"

    def quarantine(self, file: str, table: str, location: str, reason: str, raw: bytes = b"") -> None:
        raw = raw[: self.limits.max_raw_bytes]
        self.on_quarantine(Quarantined(file, table, location, reason, raw))

    def moved(self, file: str, done: int, total: int | None) -> None:
        """Report how far the reading is, without checking the time budget (``progress`` checks it)."""
        if self.on_progress is not None:
            self.on_progress(file, done, total)

    def opened(self, file: str, total: int | None) -> None:
        """The file's bar starts, with its own total; nothing is read yet, so no budget is checked."""
        if self.on_progress is not None:
            self.on_progress(file, 0, total)

    def progress(self, file: str, done: int, total: int | None) -> None:
        """Report progress; ``IngestError`` once the file's time budget is spent."""
        if self.on_progress is not None:
            self.on_progress(file, done, total)
        reason = self.over_budget(file)
        if reason:
            raise IngestError(reason)


def two_pass(done: int, total: int | None, second: bool) -> int:
    """The progress position of a reader that goes over its file twice (a survey, then the rows): the first
    pass fills the first half of the file's bar, the second the other half."""
    if not total:
        return done
    done = min(done, total)
    return (total + done) // 2 if second else done // 2


def shared_progress(batches: Iterator[pa.RecordBatch], reporter: Reporter, file: str, total: int | None,
                    share: tuple[float, float], rows: int) -> Iterator[pa.RecordBatch]:
    """``batches`` of one table of a surveyed file, reporting before each one how far the second pass is: the
    table counts for ``share`` (its start, its part) of that pass, ``rows`` its row count from the survey."""
    done = 0
    for batch in batches:
        done += batch.num_rows
        if total:
            within = share[0] + share[1] * min(1.0, done / max(rows, 1))
            reporter.moved(file, two_pass(int(total * within), total, True), total)   # budget: ``guarded``
        yield batch


def safe_reason(exc: BaseException) -> str:
    """A one-line reason for ``exc`` that cannot leak a value from the file.

    Only fuite's own messages are passed through; library messages (which may
    quote the offending row) are replaced by a description of the failure kind.
    """
    if isinstance(exc, IngestError):
        return str(exc)
    for kinds, reason in _REASONS:
        if isinstance(exc, kinds):
            return reason
    module = type(exc).__module__ or ""
    if module.startswith("python_calamine"):
        return f"spreadsheet could not be read ({type(exc).__name__})"
    if module.startswith("pyarrow"):
        return f"invalid data ({type(exc).__name__})"
    return f"unexpected error ({type(exc).__name__})"


_REASONS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (EOFError, "truncated compressed data"),
    (gzip.BadGzipFile, "not a valid gzip stream"),
    (zlib.error, "corrupt compressed data"),
    (lzma.LZMAError, "corrupt xz/lzma data"),
    (zipfile.BadZipFile, "corrupt zip archive"),
    (tarfile.TarError, "corrupt tar archive"),
    (sqlite3.DatabaseError, "not a readable SQLite database (corrupt or encrypted)"),
    (UnicodeError, "undecodable bytes"),
    (RecursionError, "structure nested too deeply"),
    (MemoryError, "out of memory"),
    (NotImplementedError, "unsupported feature"),
    (OSError, "read error (corrupt or truncated data)"),
)


def guarded(file: str, reporter: Reporter, make: Callable[[], Iterator[pa.RecordBatch]]) -> Iterator[pa.RecordBatch]:
    """Run a batch generator; a failure mid-way becomes a ``FileProblem`` instead of an exception."""
    rows = 0
    batches = make()
    try:
        for batch in batches:
            rows += batch.num_rows
            yield batch
            spent = reporter.over_budget(file)
            if spent:
                reporter.problem(file, f"reading stopped after {rows} rows: {spent}")
                return
    except Exception as exc:  # noqa: BLE001 - hostile input: report, never crash
        where = f"reading stopped after {rows} rows: " if rows else ""
        reporter.problem(file, where + safe_reason(exc))
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()
