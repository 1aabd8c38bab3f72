"""The notification ledger: one row per (person, channel), inside the encrypted case.

States: ``pending`` → ``sending`` → ``sent`` | ``failed``; ``held`` for a notice
left in doubt that an operator must settle. ``sending`` is committed *before* a
message is handed over (SMTP DATA, or a letter batch written) and ``sent`` after,
so a crash at any moment leaves every in-flight notice marked ``sending``: the
next run resolves those first (see :mod:`fuite.notify.persons`). The table holds
no identifier beyond the internal ``person_id``; ``error`` is an SMTP code or a
short reason, never an address.

Notice rounds: round 1 is the initial notification (table ``notify_ledger``); a complementary
round ``r`` (after files were added to the case, :mod:`fuite.notify.delta`) has its own table
``notify_ledger_r<r>``, so that exactly-once holds per person, channel and round. Every function
works on the round of the innermost :func:`round_scope` (round 1 outside any).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from fuite.store.case import transaction

__all__ = ["TABLE", "STATES", "ensure", "seed", "mark", "mark_many", "mark_sending", "record", "counts", "in_state",
           "entry", "round_scope", "table_for", "rounds", "rounds_begun", "first_reached", "planned", "reached",
           "current_round"]

TABLE = "notify_ledger"
STATES = ("pending", "sending", "sent", "failed", "held")
_ROUND = [1]


def table_for(round_no: int) -> str:
    """The ledger table of notice round ``round_no`` (1: the initial notification)."""
    return TABLE if round_no == 1 else f"{TABLE}_r{int(round_no)}"


def current_round() -> int:
    return _ROUND[-1]


@contextmanager
def round_scope(round_no: int) -> Iterator[None]:
    """Every ledger function inside works on round ``round_no``."""
    _ROUND.append(int(round_no))
    try:
        yield
    finally:
        _ROUND.pop()


def _t() -> str:
    return table_for(_ROUND[-1])


_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    person_id  INTEGER NOT NULL,
    channel    TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'held')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    message_id TEXT,
    batch      TEXT,
    error      TEXT,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (person_id, channel)
)"""


def _commit(conn) -> None:
    """Commit if a transaction is open (the case's connection runs in autocommit mode, sqlite3's may not)."""
    if conn.in_transaction:
        conn.commit()


def _bulk(conn, sql: str, rows) -> int:
    """Run ``sql`` for many rows in one transaction; return the number of rows changed."""
    with transaction(conn):
        cur = conn.executemany(sql, rows)
    return max(cur.rowcount, 0)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def ensure(conn) -> None:
    """Create the ledger table of the current round if the case has none."""
    conn.execute(_DDL.format(table=_t()))
    _commit(conn)


def rounds(conn) -> list[int]:
    """The notice rounds that have a ledger table, in order."""
    names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?",
                                        (f"{TABLE}%",))]
    found = {1 if n == TABLE else int(n.rsplit("_r", 1)[1]) for n in names
             if n == TABLE or n.rsplit("_r", 1)[-1].isdigit()}
    return sorted(found)


def rounds_begun(conn) -> list[int]:
    """The notice rounds with at least one ledger entry."""
    return [r for r in rounds(conn) if conn.execute(f"SELECT 1 FROM {table_for(r)} LIMIT 1").fetchone()]


def first_reached(conn, before_round: int) -> dict[int, str]:
    """``person_id -> when`` (ISO) their first notice was sent, over the rounds before ``before_round``."""
    found: dict[int, str] = {}
    for r in [r for r in rounds(conn) if r < before_round]:
        for pid, when in conn.execute(f"SELECT person_id, MIN(updated_at) FROM {table_for(r)} WHERE state = 'sent' "
                                      "GROUP BY person_id"):
            found[pid] = min(found.get(pid, when), when)
    return found


def planned(conn, before_round: int) -> set[int]:
    """Persons with a ledger entry in a round before ``before_round`` (told, or still to be told there)."""
    found: set[int] = set()
    for r in [r for r in rounds(conn) if r < before_round]:
        found |= {pid for (pid,) in conn.execute(f"SELECT DISTINCT person_id FROM {table_for(r)}")}
    return found


def reached(conn, round_no: int | None = None) -> set[int]:
    """Persons a notice reached (``sent`` on some channel), in round ``round_no`` or in any round."""
    found: set[int] = set()
    for r in rounds(conn) if round_no is None else [r for r in rounds(conn) if r == round_no]:
        found |= {pid for (pid,) in conn.execute(f"SELECT DISTINCT person_id FROM {table_for(r)} WHERE state = 'sent'")}
    return found


def seed(conn, person_ids: Iterable[int], channel: str) -> int:
    """Add a ``pending`` row for every person not yet in the ledger on this channel; return how many."""
    now = _now()
    return _bulk(conn, f"INSERT OR IGNORE INTO {_t()} (person_id, channel, state, updated_at) "
                       f"VALUES (?, ?, 'pending', ?)", [(int(p), channel, now) for p in person_ids])


def mark(conn, person_id: int, channel: str, state: str, *, message_id: str | None = None,
         batch: str | None = None, error: str | None = None, attempt: bool = False, commit: bool = True) -> None:
    """Move one entry to ``state`` (optionally counting an attempt) and commit."""
    conn.execute(
        f"UPDATE {_t()} SET state = ?, attempts = attempts + ?, message_id = COALESCE(?, message_id), "
        f"batch = COALESCE(?, batch), error = ?, updated_at = ? WHERE person_id = ? AND channel = ?",
        (state, 1 if attempt else 0, message_id, batch, error, _now(), int(person_id), channel),
    )
    if commit:
        _commit(conn)


def mark_many(conn, person_ids: Iterable[int], channel: str, state: str, *, batch: str | None = None,
              attempt: bool = False) -> None:
    """Move many entries to ``state`` in one transaction."""
    now = _now()
    _bulk(conn, f"UPDATE {_t()} SET state = ?, attempts = attempts + ?, batch = COALESCE(?, batch), "
                f"error = NULL, updated_at = ? WHERE person_id = ? AND channel = ?",
          [(state, 1 if attempt else 0, batch, now, int(p), channel) for p in person_ids])


def mark_sending(conn, entries: Iterable[tuple[int, str]], channel: str, *,
                 settled: Iterable[tuple[int, str, str | None, int]] = ()) -> None:
    """Move a group of ``(person_id, message_id)`` to ``sending`` (one attempt each) in one transaction,
    with the ``settled`` outcomes of an earlier group (as :func:`record`): one commit for both.

    Committed before the first of them is handed over: a crash leaves each of them ``sending``.
    """
    now = _now()
    with transaction(conn):
        _record(conn, settled, channel, now)
        conn.executemany(f"UPDATE {_t()} SET state = 'sending', attempts = attempts + 1, message_id = ?, "
                         f"error = NULL, updated_at = ? WHERE person_id = ? AND channel = ?",
                         [(mid, now, int(p), channel) for p, mid in entries])


def record(conn, outcomes: Iterable[tuple[int, str, str | None, int]], channel: str) -> None:
    """Commit a group's outcomes ``(person_id, state, error, extra_attempts)`` in one transaction."""
    outcomes = list(outcomes)
    if outcomes:
        with transaction(conn):
            _record(conn, outcomes, channel, _now())


def _record(conn, outcomes: Iterable[tuple[int, str, str | None, int]], channel: str, now: str) -> None:
    rows = [(state, error, int(extra), now, int(p), channel) for p, state, error, extra in outcomes]
    if rows:
        conn.executemany(f"UPDATE {_t()} SET state = ?, error = ?, attempts = attempts + ?, updated_at = ? "
                         f"WHERE person_id = ? AND channel = ?", rows)


def counts(conn) -> dict[str, dict[str, int]]:
    """``{channel: {state: n}}`` with every state present (0 when none)."""
    result: dict[str, dict[str, int]] = {}
    for channel, state, n in conn.execute(f"SELECT channel, state, COUNT(*) FROM {_t()} GROUP BY channel, state"):
        result.setdefault(channel, dict.fromkeys(STATES, 0))[state] = n
    return result


def in_state(conn, channel: str, state: str) -> list[tuple[int, str | None, str | None, int]]:
    """``(person_id, message_id, batch, attempts)`` of the entries in ``state``, by person_id."""
    return list(conn.execute(
        f"SELECT person_id, message_id, batch, attempts FROM {_t()} WHERE channel = ? AND state = ? "
        f"ORDER BY person_id", (channel, state)))


def entry(conn, person_id: int, channel: str) -> dict | None:
    """One ledger row as a dict, or None."""
    cur = conn.execute(f"SELECT * FROM {_t()} WHERE person_id = ? AND channel = ?", (int(person_id), channel))
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None
