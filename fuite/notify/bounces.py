"""Asynchronous bounces: delivery status notifications (RFC 3464) read back into the ledger.

A relay often accepts a message (250) and the final server refuses it later; the
refusal comes back as a DSN mail to the sender. :func:`parse_dsn` finds, in one
such mail, the Message-ID of the notice it is about (in the returned message or
headers, or anywhere in a non-standard bounce) and whether the failure is
permanent (``Action: failed`` with a ``5.x.x`` status). :func:`apply_bounces`
marks those notices ``failed`` in the ledger, so that the next
``fuite notify persons --letters DIR`` sends those persons a letter.
Nothing here reads or keeps an address.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from fuite.errors import UsageError
from fuite.notify import ledger

__all__ = ["Bounce", "parse_dsn", "read_maildir", "apply_bounces"]

#: The shape of fuite's own Message-IDs (see :func:`fuite.notify.notice.message_id`).
_OUR_ID = re.compile(rb"<[0-9a-f]{32}\.fuite@[A-Za-z0-9.-]+>")
_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


@dataclass(frozen=True)
class Bounce:
    message_id: str
    permanent: bool
    status: str      # e.g. "5.1.1"; "" when the bounce gives none


def _delivery_status(msg) -> tuple[str, str]:
    """(action, status) of the first failed recipient in a message/delivery-status part, or ("", "")."""
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload() if part.is_multipart() else []
        for block in blocks:
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip().split(" ")[0]
            if action in ("failed", "delayed"):
                return action, status if _STATUS.match(status) else ""
    return "", ""


def parse_dsn(raw: bytes) -> Bounce | None:
    """The bounce one mail reports about a fuite notice, or None if it is not one."""
    ids = _OUR_ID.findall(raw)
    if not ids:
        return None
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    own = (msg.get("Message-ID") or "").strip().encode()
    about = [i for i in ids if i != own]
    if not about:
        return None
    action, status = _delivery_status(msg)
    if action == "delayed" or status.startswith("4"):
        return Bounce(about[0].decode(), False, status)
    # a standard DSN says failed/5.x.x; a non-standard bounce quoting our Message-ID is taken as permanent
    return Bounce(about[0].decode(), True, status)


def read_maildir(path: Path) -> list[Bounce]:
    """Every bounce about a fuite notice in a Maildir (``new/`` and ``cur/``)."""
    path = Path(path)
    if not (path / "new").is_dir() and not (path / "cur").is_dir():
        raise UsageError("bounces: not a Maildir (no new/ or cur/ folder)")
    box = mailbox.Maildir(path, factory=None, create=False)
    found = []
    for key in box.iterkeys():
        try:
            raw = box.get_bytes(key)
        except (OSError, KeyError):
            continue
        bounce = parse_dsn(raw)
        if bounce:
            found.append(bounce)
    return found


def apply_bounces(conn, bounces: list[Bounce]) -> Counter:
    """Mark sent notices that hard-bounced as ``failed``; count what was found, applied, ignored."""
    ledger.ensure(conn)
    counts: Counter = Counter()
    for b in bounces:
        if not b.permanent:
            counts["temporary"] += 1
            continue
        row, round_no = None, 1
        for round_no in ledger.rounds(conn):   # each round's notices have their own Message-IDs
            row = conn.execute(f"SELECT person_id, state FROM {ledger.table_for(round_no)} WHERE channel = 'email' "
                               "AND message_id = ?", (b.message_id,)).fetchone()
            if row is not None:
                break
        if row is None:
            counts["unknown"] += 1
        elif row[1] == "failed":
            counts["already_failed"] += 1
        else:
            with ledger.round_scope(round_no):
                ledger.mark(conn, row[0], "email", "failed", error=f"bounce {b.status}".strip())
            counts["failed"] += 1
    return counts
