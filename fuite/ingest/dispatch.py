"""Send each file to the reader of its format; whatever cannot be read becomes a one-line ``FileProblem``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fuite.ingest.archives.archive import read_compressed, read_tar, read_zip
from fuite.ingest.archives.tarheaders import is_tar
from fuite.ingest.blob import Blob
from fuite.ingest.tabular.delimited import read_delimited
from fuite.ingest.formats import UNREADABLE, mismatch, sniff_format
from fuite.ingest.json.file import read_json
from fuite.ingest.tabular.parquet import read_parquet
from fuite.ingest.reporter import Reporter, safe_reason
from fuite.ingest.tabular.spreadsheet import read_spreadsheet
from fuite.ingest.sql.dump import read_sql
from fuite.ingest.sql.sqlite import read_sqlite
from fuite.schema import SourceTable

_READERS = {
    "delimited": read_delimited, "json": read_json, "sql": read_sql, "parquet": read_parquet,
    "sqlite": read_sqlite, "xlsx": read_spreadsheet, "xls": read_spreadsheet, "ods": read_spreadsheet,
}


def read_blob(blob: Blob, reporter: Reporter) -> Iterator[SourceTable]:
    """Every table of one file (or archive member); problems go to the reporter, never up."""
    reporter.begin(blob.name)
    try:
        kind = sniff_format(blob)
        reason = mismatch(blob, kind) or UNREADABLE.get(kind)
        if reason:
            reporter.problem(blob.name, reason)
            return
        if kind == "zip":
            yield from read_zip(blob, reporter, read_blob)
        elif kind == "tar" or (kind in ("gz", "bz2", "xz") and _is_tar_on_disk(blob)):
            yield from read_tar(blob, reporter, read_blob)
        elif kind in ("gz", "bz2", "xz", "zst"):
            yield from read_compressed(kind, blob, reporter, read_blob)
        else:
            reporter.opened(blob.name, blob.size)   # the file's bar, with its own total, from its start
            yield from _READERS[kind](blob, reporter)
    except Exception as exc:  # noqa: BLE001 - hostile input: one line, carry on
        reporter.problem(blob.name, safe_reason(exc))


def _is_tar_on_disk(blob: Blob) -> bool:
    return blob.path is not None and is_tar(blob.path)


def walk(path: Path, reporter: Reporter) -> Iterator[Blob]:
    """Files under ``path`` in a stable order, named relative to it (a file given alone: its name)."""
    if path.is_file():
        yield Blob.from_path(path, path.name)
    elif path.is_dir():
        for p in sorted(path.rglob("*")):
            name = p.relative_to(path).as_posix()
            if p.is_symlink():   # never followed: it may lead out of the evidence folder
                reporter.problem(name, "symbolic link: not followed (copy the file it points to into the folder)")
            elif p.is_file():
                yield Blob.from_path(p, name)
            elif not p.is_dir():
                reporter.problem(name, _not_regular)
    elif path.exists():
        reporter.problem(path.name, _not_regular)
    else:
        reporter.problem(path.name, "no such file or folder")


_not_regular = "not a regular file (a pipe, socket or device): skipped"
