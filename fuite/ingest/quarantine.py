"""What a scan set aside: the case's ``quarantine`` (rows) and ``problems`` (files) tables, as listings.

Pure functions over Arrow tables; the CLI opens the case and prints. Raw content
is only shown when asked for, because it may hold identifiers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import pyarrow as pa

from fuite.schema import FileProblem, Quarantined

QUARANTINE_SCHEMA = pa.schema([("file", pa.string()), ("table", pa.string()), ("location", pa.string()),
                               ("reason", pa.string()), ("raw", pa.binary())])
PROBLEM_SCHEMA = pa.schema([("file", pa.string()), ("reason", pa.string())])
RAW_PREVIEW = 200


@dataclass(frozen=True)
class Entry:
    """One line of the listing: a quarantined row (``kind`` "row") or an unreadable file (``kind`` "file")."""

    kind: str
    file: str
    table: str
    location: str
    reason: str
    raw: str | None = None


def quarantine_table(items: Iterable[Quarantined]) -> pa.Table:
    """Quarantined rows as the case's ``quarantine`` table."""
    return pa.Table.from_pylist([asdict(q) for q in items], schema=QUARANTINE_SCHEMA)


def problems_table(items: Iterable[FileProblem]) -> pa.Table:
    """Unreadable files as the case's ``problems`` table."""
    return pa.Table.from_pylist([asdict(p) for p in items], schema=PROBLEM_SCHEMA)


def preview(raw: bytes | None, limit: int = RAW_PREVIEW) -> str:
    """Raw bytes as one printable line (UTF-8 with replacement, controls escaped, cut at ``limit``)."""
    if not raw:
        return ""
    text = raw[: limit * 4].decode("utf-8", errors="replace")
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else text[:limit] + "…"


def listing(quarantine: pa.Table | None, problems: pa.Table | None, *, show_raw: bool = False,
            file: str | None = None) -> list[Entry]:
    """Unreadable files first, then quarantined rows, each in stored order; ``file`` filters by prefix."""
    entries: list[Entry] = []
    if problems is not None:
        for p in problems.select(["file", "reason"]).to_pylist():
            entries.append(Entry("file", p["file"] or "", "", "", p["reason"] or ""))
    if quarantine is not None:
        columns = ["file", "table", "location", "reason"] + (["raw"] if show_raw and "raw" in quarantine.column_names
                                                              else [])
        for q in quarantine.select(columns).to_pylist():
            entries.append(Entry("row", q["file"] or "", q["table"] or "", q["location"] or "", q["reason"] or "",
                                 preview(q.get("raw")) if show_raw else None))
    if file:
        entries = [e for e in entries if e.file == file or e.file.startswith(file.rstrip("/") + "/")]
    return entries


def summary(entries: list[Entry]) -> dict[str, int]:
    """Counts for the closing line: unreadable files, quarantined rows, files with quarantined rows."""
    rows = [e for e in entries if e.kind == "row"]
    return {"unreadable_files": sum(e.kind == "file" for e in entries), "quarantined_rows": len(rows),
            "files_with_quarantined_rows": len({e.file for e in rows})}
