"""The hash-chained audit log kept inside the case.

Each entry's MAC covers the previous entry's MAC and the entry itself, keyed by a
key derived from the case's data key, so an edited, inserted or deleted entry breaks
the chain. The head (count and last MAC) is mirrored in the ``meta`` table.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, operator TEXT NOT NULL, os_user TEXT NOT NULL, host TEXT NOT NULL,
  action TEXT NOT NULL, records INTEGER NOT NULL, detail TEXT NOT NULL, prev TEXT NOT NULL, mac TEXT NOT NULL
)"""
GENESIS = "0" * 64


@dataclass(frozen=True)
class Problem:
    seq: int
    reason: str


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def entry_mac(key: bytes, prev: str, fields: dict) -> str:
    payload = prev.encode() + json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def append(conn, key: bytes, *, operator: str, action: str, records: int, detail: dict) -> int:
    """Append one entry in the current transaction and return its sequence number."""
    row = conn.execute("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    fields = {
        "seq": seq, "at": datetime.now(UTC).isoformat(timespec="seconds"), "operator": operator,
        "os_user": os_user(), "host": socket.gethostname(), "action": action, "records": int(records),
        "detail": json.dumps(detail, sort_keys=True, ensure_ascii=False),
    }
    mac = entry_mac(key, prev, fields)
    conn.execute("INSERT INTO audit VALUES (:seq,:at,:operator,:os_user,:host,:action,:records,:detail,:prev,:mac)",
                 {**fields, "prev": prev, "mac": mac})
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('audit_head', ?)", (json.dumps([seq, mac]),))
    return seq


def entries(conn) -> list[dict]:
    cur = conn.execute("SELECT seq, at, operator, os_user, host, action, records, detail, prev, mac FROM audit ORDER BY seq")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def verify(conn, key: bytes) -> list[Problem]:
    """Return every break in the chain; an empty list means the log is intact."""
    problems: list[Problem] = []
    prev, expected_seq = GENESIS, 1
    rows = entries(conn)
    for e in rows:
        if e["seq"] != expected_seq:
            problems.append(Problem(e["seq"], f"entry {expected_seq} is missing"))
        if e["prev"] != prev:
            problems.append(Problem(e["seq"], "link to the previous entry is broken"))
        fields = {k: e[k] for k in ("seq", "at", "operator", "os_user", "host", "action", "records", "detail")}
        if not hmac.compare_digest(entry_mac(key, e["prev"], fields), e["mac"]):
            problems.append(Problem(e["seq"], "entry was modified"))
        prev, expected_seq = e["mac"], e["seq"] + 1
    head = conn.execute("SELECT value FROM meta WHERE key='audit_head'").fetchone()
    if head:
        head_seq, head_mac = json.loads(head[0])
        if not rows or rows[-1]["seq"] != head_seq or rows[-1]["mac"] != head_mac:
            problems.append(Problem(head_seq, "entries after this one were removed or the head was altered"))
    return problems
