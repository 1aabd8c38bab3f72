"""The hash-chained audit log kept inside the case.

Each entry's ``hash`` is SHA-256 of the previous entry's hash and the entry itself, so an edited, inserted or
deleted entry breaks the chain; its ``mac`` is HMAC-SHA-256 of that hash under a key derived from the case
secret (never stored), so only a holder of the secret can extend the chain. The chain can still be rewritten
whole by someone holding the secret, or rolled back with an older copy of the folder: the heads are therefore
also written to a witness outside the case (``fuite.store.witness``), which ``fuite audit`` compares against.

Every command writes ``started`` before doing anything and ``finished`` when it ends; a ``started`` entry whose
process died without ``finished`` is recorded as ``interrupted`` by the next command.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, operator TEXT NOT NULL, os_user TEXT NOT NULL, host TEXT NOT NULL,
  action TEXT NOT NULL, records INTEGER NOT NULL, detail TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL,
  mac TEXT NOT NULL
)"""
GENESIS = "0" * 64
FIELDS = ("seq", "at", "operator", "os_user", "host", "action", "records", "detail")
STARTED, FINISHED, INTERRUPTED = "started", "finished", "interrupted"


@dataclass(frozen=True)
class Problem:
    seq: int
    reason: str


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def entry_hash(prev: str, fields: dict) -> str:
    payload = prev.encode() + json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(payload).hexdigest()


def entry_mac(key: bytes, digest: str) -> str:
    return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()


def last(conn) -> tuple[int, str]:
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def append(conn, key: bytes, *, operator: str, action: str, records: int, detail: dict) -> dict:
    """Append one entry in the current transaction and return it."""
    seq, prev = last(conn)
    fields = {
        "seq": seq + 1, "at": datetime.now(UTC).isoformat(timespec="seconds"), "operator": operator,
        "os_user": os_user(), "host": socket.gethostname(), "action": action, "records": int(records),
        "detail": json.dumps(detail, sort_keys=True, ensure_ascii=False),
    }
    digest = entry_hash(prev, fields)
    row = {**fields, "prev": prev, "hash": digest, "mac": entry_mac(key, digest)}
    conn.execute("INSERT INTO audit VALUES (:seq,:at,:operator,:os_user,:host,:action,:records,:detail,:prev,"
                 ":hash,:mac)", row)
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('audit_head', ?)", (json.dumps([row["seq"], digest]),))
    return row


def remac(conn, key: bytes, schema: str = "main") -> None:
    """Re-sign every entry under a new key (key rotation); the hashes, which the witness holds, do not change."""
    rows = conn.execute(f"SELECT seq, hash FROM {schema}.audit").fetchall()
    conn.executemany(f"UPDATE {schema}.audit SET mac=? WHERE seq=?", [(entry_mac(key, h), s) for s, h in rows])


def entries(conn) -> list[dict]:
    cur = conn.execute(f"SELECT {', '.join(FIELDS)}, prev, hash, mac FROM audit ORDER BY seq")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _entry_problems(e: dict, prev: str, expected_seq: int, key: bytes) -> list[Problem]:
    problems = []
    if e["seq"] != expected_seq:
        problems.append(Problem(e["seq"], f"entry {expected_seq} is missing"))
    if e["prev"] != prev:
        problems.append(Problem(e["seq"], "link to the previous entry is broken"))
    if entry_hash(e["prev"], {k: e[k] for k in FIELDS}) != e["hash"]:
        problems.append(Problem(e["seq"], "entry was modified"))
    elif not hmac.compare_digest(entry_mac(key, e["hash"]), e["mac"]):
        problems.append(Problem(e["seq"], "entry is not signed with this case's key (forged or re-signed)"))
    return problems


def verify(conn, key: bytes) -> list[Problem]:
    """Every break in the chain and its mirrored head; an empty list means the log is self-consistent."""
    problems: list[Problem] = []
    prev, expected_seq = GENESIS, 1
    rows = entries(conn)
    for e in rows:
        problems += _entry_problems(e, prev, expected_seq, key)
        prev, expected_seq = e["hash"], e["seq"] + 1
    head = conn.execute("SELECT value FROM meta WHERE key='audit_head'").fetchone()
    if head:
        head_seq, head_hash = json.loads(head[0])
        if not rows or rows[-1]["seq"] != head_seq or rows[-1]["hash"] != head_hash:
            problems.append(Problem(head_seq, "entries after this one were removed or the head was altered"))
    return problems


# -- command lifecycle -----------------------------------------------------------------------
def process_start(pid: int) -> str | None:
    """The kernel's start time of process ``pid`` (so that a reused pid is not taken for the same process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def this_process() -> dict:
    return {"pid": os.getpid(), "proc_start": process_start(os.getpid())}


def still_running(started: dict) -> bool:
    """True when the process that wrote ``started`` is alive (on this host); unknown hosts count as alive."""
    detail = json.loads(started["detail"])
    if started["host"] != socket.gethostname():
        return True
    pid, start = detail.get("pid"), detail.get("proc_start")
    return isinstance(pid, int) and start is not None and process_start(pid) == start


def unfinished(rows: list[dict]) -> list[dict]:
    """``started`` entries that no ``finished`` or ``interrupted`` entry closes."""
    closed = {json.loads(e["detail"]).get("started") for e in rows if e["action"] in (FINISHED, INTERRUPTED)}
    return [e for e in rows if e["action"] == STARTED and e["seq"] not in closed]
