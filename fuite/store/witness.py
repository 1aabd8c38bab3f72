"""The audit witness: the chain's heads, written outside the case folder, append-only.

One JSON line per audit entry: ``{"case", "seq", "hash", "at", "action"}`` (no identifier). The default witness is
``<state dir>/witness-<case_id>.jsonl``, where the CLI edge resolves the state dir (``$XDG_STATE_HOME/fuite``);
``case.toml`` can add a second file (``[audit] witness = "PATH"``) and syslog (``[audit] syslog = true``).
A copy of the case folder cannot carry its witness along, so a rollback, a truncation or a rewritten chain shows.
"""

from __future__ import annotations

import json
import os
import syslog
from dataclasses import dataclass
from pathlib import Path

from fuite.errors import CaseError
from fuite.store.audit import Problem

MAX_LINE = 4096


@dataclass(frozen=True)
class Witness:
    """Where the heads of one case go."""

    case_id: str
    files: tuple[Path, ...] = ()
    syslog: bool = False

    def record(self, entry: dict) -> None:
        """Append the head after ``entry`` was committed."""
        line = json.dumps({"case": self.case_id, "seq": entry["seq"], "hash": entry["hash"], "at": entry["at"],
                           "action": entry["action"]}, sort_keys=True) + "\n"
        for path in self.files:
            append_line(path, line)
        if self.syslog:
            syslog.openlog("fuite", 0, syslog.LOG_AUTHPRIV)
            syslog.syslog(syslog.LOG_INFO, f"case {self.case_id} audit {entry['seq']} {entry['hash']} {entry['action']}")


def default_file(state_dir: Path, case_id: str) -> Path:
    return Path(state_dir) / f"witness-{case_id}.jsonl"


def append_line(path: Path, line: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise CaseError(f"cannot write the audit witness {path} ({exc.strerror or type(exc).__name__})") from None


def read_heads(path: Path, case_id: str) -> list[dict]:
    """Every head this witness saw for ``case_id``, in file order; unreadable lines are skipped."""
    heads = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                head = json.loads(line[:MAX_LINE])
            except ValueError:
                continue
            if isinstance(head, dict) and head.get("case") == case_id and type(head.get("seq")) is int:
                heads.append(head)
    return heads


def compare(entries: list[dict], heads: list[dict], where: Path) -> list[Problem]:
    """What differs between the case's chain and one witness's heads (at most one problem of each kind)."""
    by_seq = {e["seq"]: e["hash"] for e in entries}
    last = max(by_seq, default=0)
    beyond = [h for h in heads if h["seq"] > last]
    rewritten = [h for h in heads if h["seq"] <= last and by_seq.get(h["seq"]) != h.get("hash")]
    problems = []
    if beyond:
        top = max(beyond, key=lambda h: h["seq"])
        problems.append(Problem(last, f"the witness {where} saw entry {top['seq']} ({top.get('action')}, "
                                      f"{top.get('at')}) but the case ends at entry {last}: the case was rolled "
                                      "back to an older copy or its log was truncated"))
    if rewritten:
        seq = min(h["seq"] for h in rewritten)
        problems.append(Problem(seq, f"entry {seq} differs from the witness {where}: the chain was rewritten "
                                     "from there on"))
    return problems


def check(witness: Witness, entries: list[dict]) -> list[Problem]:
    """Compare the chain with every witness file."""
    problems = []
    for path in witness.files:
        if not path.exists():
            if entries:
                problems.append(Problem(0, f"no witness for this case at {path}: it was removed, or the case "
                                           "was copied from another account or machine"))
            continue
        heads = read_heads(path, witness.case_id)
        if entries and not heads:
            problems.append(Problem(0, f"the witness {path} has no entry for this case"))
        problems += compare(entries, heads, path)
    return problems
