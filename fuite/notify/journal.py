"""Journals: where a rerun can check whether an in-doubt email was in fact delivered.

A notice whose ledger entry is still ``sending`` after a crash may or may not have
been accepted by the SMTP server: SMTP has no way to ask. When the mail system
keeps a copy of what it accepted (a journal or BCC mailbox delivered to a Maildir,
or the test sink), pointing ``--journal maildir:PATH`` at it lets the rerun look
the deterministic Message-ID up and settle each in-doubt entry exactly.
"""

from __future__ import annotations

import os
from pathlib import Path

from fuite.errors import UsageError

__all__ = ["MaildirJournal", "open_journal"]


def _message_id(path: Path) -> str | None:
    """The Message-ID header of one stored message (headers only are read)."""
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                line = raw.rstrip(b"\r\n")
                if not line:
                    return None
                if line[:11].lower() == b"message-id:":
                    return line[11:].strip().decode("ascii", "replace")
    except OSError:
        return None
    return None


class MaildirJournal:
    """A Maildir (``cur/`` and ``new/``) holding copies of accepted messages."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not (self.path / "new").is_dir() and not (self.path / "cur").is_dir():
            raise UsageError("journal: not a Maildir (no new/ or cur/ folder)")
        self.seen: dict[str, str] = {}   # file name -> Message-ID
        self.ids: set[str] = set()

    def refresh(self) -> None:
        """Read the headers of messages not seen yet."""
        for sub in ("new", "cur"):
            folder = self.path / sub
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                key = entry.name.split(":", 1)[0]
                if key not in self.seen:
                    mid = _message_id(Path(entry.path)) or ""
                    self.seen[key] = mid
                    self.ids.add(mid)

    def __contains__(self, message_id: str) -> bool:
        if message_id not in self.ids:
            self.refresh()
        return message_id in self.ids


def open_journal(spec: str) -> MaildirJournal | None:
    """``maildir:PATH`` → a journal; ``""`` → None."""
    if not spec:
        return None
    kind, _, where = spec.partition(":")
    if kind != "maildir" or not where:
        raise UsageError("journal: expected maildir:PATH")
    return MaildirJournal(Path(where))
