"""Why a column got its category: re-classify it with explanations and render them (pure functions + one case reader).

``explain_column`` works on any (columns, table) pair; ``explain_in_case``
finds the column in a case's ``sources`` and ``raw/<source_id>`` tables;
``render_text`` turns an explanation into the lines ``fuite explain`` prints.
Examples are masked (``1 85 ** ** *** *** 42``).
"""

from __future__ import annotations

import json

import pyarrow as pa

from fuite import taxonomy
from fuite.detect.columns import classify_table
from fuite.errors import UsageError
from fuite.schema import ColumnFinding

__all__ = ["explain_column", "explain_in_case", "find_column", "render_text"]


def find_column(columns: list[str], column: str) -> int:
    """Position of ``column``: a header as written, ``#k``, or a 0-based position when no header matches."""
    if column in columns:
        return columns.index(column)
    folded = [c.strip().lower() for c in columns]
    if column.strip().lower() in folded:
        return folded.index(column.strip().lower())
    text = column.lstrip("#")
    if text.isdigit() and int(text) < len(columns):
        return int(text)
    raise UsageError(f"no column named like that among the {len(columns)} columns of this table")


def explain_column(columns: list[str], table: pa.Table, column: str) -> ColumnFinding:
    """The finding of one column, classified with its table's other columns, with its explanation."""
    position = find_column(columns, column)
    return classify_table(columns, table, explain=True)[position]


def _source(sources: pa.Table, file: str, table: str | None) -> dict:
    rows = [r for r in sources.to_pylist() if r["file"] == file and (table is None or r["table"] == table)]
    if not rows:
        rows = [r for r in sources.to_pylist() if r["file"].endswith(file) and (table is None or r["table"] == table)]
    if not rows:
        raise UsageError("no scanned table comes from that file (see `fuite export columns` for the names)")
    if len(rows) > 1:
        tables = ", ".join(sorted(repr(r["table"]) for r in rows))
        raise UsageError(f"that file holds several tables ({tables}): add --table")
    return rows[0]


def explain_in_case(case, file: str, column: str, table: str | None = None) -> ColumnFinding:
    """Re-classify ``column`` of ``file`` from the case's raw table, with explanations."""
    sources = case.get_table("sources")
    if sources is None:
        raise UsageError("this case holds no scanned table yet: run `fuite scan` first")
    source = _source(sources, file, table)
    raw = case.get_table(f"raw/{source['source_id']}")
    columns = json.loads(source["columns"])
    if raw is None:
        raw = pa.table({f"c{i}": pa.array([], pa.string()) for i in range(len(columns))})
    finding = explain_column(columns, raw, column)
    finding.file, finding.table = source["file"], source["table"]
    return finding


def _pct(share: float) -> str:
    return f"{100 * share:5.1f} %"


def render_text(finding: ColumnFinding) -> list[str]:
    """Plain lines (no identifiers: examples are masked)."""
    e = finding.explanation or {}
    label = taxonomy.get(finding.category)
    where = f"{finding.file}" + (f" [{finding.table}]" if finding.table else "")
    lines = [f"{where} · column {finding.position} {finding.column!r}",
             f"category: {finding.category} ({label.en} / {label.fr}), confidence {finding.confidence:.2f}"]
    if e.get("detector", {}).get("finds"):
        lines.append(f"detector: {e['detector']['name']}: {e['detector']['finds']}")
    header = e.get("header", {})
    if header.get("meaningless"):
        lines.append("header: says nothing (classified from the values alone)")
    else:
        matches = ", ".join(f"{c} {s:.2f}" for c, s in sorted(header.get("matches", {}).items(), key=lambda kv: -kv[1]))
        lines.append(f"header words: {' '.join(header.get('words', []))} -> {matches or 'no vocabulary match'}")
    values = e.get("values", {})
    lines.append(f"values: {values.get('non_empty', 0)} non-empty of {values.get('sampled', 0)} read")
    for name, share in sorted(values.get("share_valid", {}).items(), key=lambda kv: -kv[1])[:6]:
        lines.append(f"  {_pct(share)} valid as {name}")
    if e.get("examples"):
        lines.append("examples (masked): " + " | ".join(e["examples"]))
    for rule in e.get("rules", []):
        lines.append(f"rule: {rule}")
    runner = ", ".join(f"{r['category']} {r['score']:.2f}" for r in e.get("runner_ups", []))
    lines.append(f"runner-ups: {runner or 'none'}")
    return lines
