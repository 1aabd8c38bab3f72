"""Verify a case: its pages, its tables, its audit chain and the chain's witness.

Pure reads over an open case; ``fuite audit`` and ``fuite case verify`` print what these return.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa
import sqlcipher3

from fuite.store.audit import INTERRUPTED, Problem, unfinished
from fuite.store import witness as witnesses
from fuite.store.case import Case


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def audit_problems(case: Case) -> list[Problem]:
    """The chain's breaks, what differs from the witness now, and mismatches recorded by earlier commands."""
    problems = list(case.audit_verify()) + list(case.witness_problems)
    for e in case.audit_entries():
        if e["action"] == "witness.mismatch" and e["seq"] <= case.opened_after:
            for reason in json.loads(e["detail"]).get("problems", []):
                problems.append(Problem(e["seq"], f"recorded on {e['at']}: {reason}"))
    return problems


def interruptions(case: Case) -> list[str]:
    """One line per command that did not finish: recorded interruptions and starts still open."""
    rows = case.audit_entries()
    lines = []
    for e in rows:
        if e["action"] == INTERRUPTED:
            d = json.loads(e["detail"])
            lines.append(f"entry {d.get('started')}: `{d.get('command')}` was interrupted (recorded at entry {e['seq']})")
    current = (case.command or {}).get("seq")
    for e in unfinished(rows):
        if e["seq"] != current:
            d = json.loads(e["detail"])
            lines.append(f"entry {e['seq']}: `{d.get('command')}` on {e['host']} has not finished "
                         "(still running, or interrupted on another machine)")
    return lines


def _pragma_rows(case: Case, pragma: str) -> list[str]:
    try:
        return [" ".join(str(v) for v in row) for row in case.conn.execute(f"PRAGMA {pragma}")]
    except sqlcipher3.DatabaseError as exc:
        return [f"{type(exc).__name__}"]


def check_pages(case: Case) -> list[Check]:
    cipher = _pragma_rows(case, "cipher_integrity_check")
    sqlite = _pragma_rows(case, "integrity_check")
    return [
        Check("pages (cipher_integrity_check)", not cipher,
              "every page authenticates" if not cipher else f"{len(cipher)} page(s) fail their HMAC"),
        Check("structure (integrity_check)", sqlite == ["ok"],
              "ok" if sqlite == ["ok"] else f"{len(sqlite)} problem(s)"),
    ]


def check_tables(case: Case) -> Check:
    """Every Arrow chunk decodes and holds the row count it claims."""
    bad, chunks, names = 0, 0, set()
    try:
        for name, rows, blob in case.conn.execute("SELECT name, rows, ipc FROM arrow_chunks ORDER BY name, seq"):
            chunks += 1
            names.add(name)
            try:
                bad += pa.ipc.open_stream(blob).read_all().num_rows != rows
            except (pa.ArrowInvalid, OSError):
                bad += 1
    except sqlcipher3.DatabaseError as exc:
        return Check("tables", False, f"cannot be read ({type(exc).__name__})")
    detail = f"{len(names)} tables, {chunks} chunks" + (f", {bad} unreadable" if bad else "")
    return Check("tables", not bad, detail)


def check_audit(case: Case) -> list[Check]:
    """The chain on its own, then against its witnesses (and what earlier commands recorded)."""
    try:
        chain = case.audit_verify()
        others = [p for p in audit_problems(case) if p not in chain] if case.command else \
            witnesses.check(case.witness, case.audit_entries())
    except sqlcipher3.DatabaseError as exc:
        return [Check("audit chain", False, f"cannot be read ({type(exc).__name__})"),
                Check("witness", False, "not compared: the audit chain cannot be read")]
    where = ", ".join(str(p) for p in case.witness.files)
    return [
        Check("audit chain", not chain, "intact" if not chain else "; ".join(f"entry {p.seq}: {p.reason}"
                                                                          for p in chain)),
        Check("witness", not others and bool(where), "; ".join(p.reason for p in others) if others else
              (f"matches ({where})" if where else "no witness configured")),
    ]


def verify_case(case: Case) -> list[Check]:
    """Every check of ``fuite case verify``, in order."""
    return check_pages(case) + [check_tables(case)] + check_audit(case)
