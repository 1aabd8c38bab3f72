"""A mail-server failure is not a bounce: real aiosmtpd servers on loopback refuse the session, then one works."""

from __future__ import annotations

import tomllib

import pytest
from test_notify_support import FILLED_CASE, Sink, many_persons, persons_table, start_sink

from fuite.errors import NotifyError
from fuite.notify import ledger
from fuite.notify.persons import PersonsOptions, notify_persons
from fuite.store.casefile import parse_case_file
from conftest import access

CASE_FILE = parse_case_file(tomllib.loads(FILLED_CASE))
PEOPLE = many_persons(12)


class Refusing(Sink):
    """Answers ``mail`` to every MAIL FROM, or ``rcpt`` to every RCPT TO; counts the RSETs it receives."""

    def __init__(self, mail: str | None = None, rcpt: str | None = None, data: str | None = None,
                 pipelining: bool = False):
        super().__init__(pipelining=pipelining)
        self.mail, self.rcpt, self.data, self.rsets = mail, rcpt, data, 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail:
            return self.mail
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt:
            return self.rcpt
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        if self.data:
            return self.data
        return await super().handle_DATA(server, session, envelope)

    async def handle_RSET(self, server, session, envelope):
        self.rsets += 1
        return "250 OK"


def _run(case, port, **kw):
    opts = PersonsOptions(smtp_url=f"smtp://127.0.0.1:{port}", rate=0, backoff=0, **kw)
    return notify_persons(case.conn, persons_table(PEOPLE), CASE_FILE, opts, secret=b"s" * 32, case_dir=case.dir,
                          sleep=lambda s: None)


@pytest.fixture
def case(tmp_path):
    from fuite.store import open_case
    with open_case(tmp_path / "case", access(), create=True) as c:
        yield c


PIPELINED = pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])


@PIPELINED
@pytest.mark.parametrize("refusal", [
    dict(mail="530 5.7.0 Authentication required"),
    dict(mail="550 5.7.1 Sender address rejected"),
    dict(mail="554 5.7.1 Access denied"),
    dict(rcpt="550 5.7.1 Relaying denied"),
], ids=["530-at-MAIL", "550-at-MAIL", "554-at-MAIL", "relay-refused-for-everyone"])
def test_a_refusing_server_stops_the_run_then_a_working_one_delivers_everyone_once(case, refusal, pipelining):
    refusing = Refusing(**refusal, pipelining=pipelining)
    bad = start_sink(refusing)
    try:
        with pytest.raises(NotifyError) as info:
            _run(case, bad.port)
    finally:
        bad.stop()
    assert "\n" not in str(info.value) and "nothing was marked failed" in str(info.value)
    counts = ledger.counts(case.conn)["email"]
    assert counts["failed"] == 0 and counts["sent"] == 0 and counts["pending"] == len(PEOPLE)
    assert "letter" not in ledger.counts(case.conn)      # nobody queued for a letter
    assert refusing.rsets >= 1                           # every failed transaction was reset
    good = Sink(pipelining=pipelining)
    ok = start_sink(good)
    try:
        report = _run(case, ok.port, connections=3)
    finally:
        ok.stop()
    received = good.by_recipient()
    assert report.sent == len(PEOPLE) and sorted(received) == sorted(p["email"] for p in PEOPLE)
    assert all(len(msgs) == 1 for msgs in received.values())
    assert ledger.counts(case.conn)["email"]["sent"] == len(PEOPLE)


@PIPELINED
def test_a_refused_data_is_reset_and_the_next_message_goes_through(case, pipelining):
    """One recipient's DATA refused (552): a bounce for that one, RSET, and the others delivered."""
    class OneBigMessage(Refusing):
        async def handle_DATA(self, server, session, envelope):
            if PEOPLE[0]["email"] in envelope.rcpt_tos:
                return "552 5.3.4 Message too big"
            return await super().handle_DATA(server, session, envelope)

    handler = OneBigMessage(pipelining=pipelining)
    sink = start_sink(handler)
    try:
        report = _run(case, sink.port)
    finally:
        sink.stop()
    assert report.failed == 1 and report.sent == len(PEOPLE) - 1 and handler.rsets >= 1
    assert ledger.entry(case.conn, PEOPLE[0]["person_id"], "email")["state"] == "failed"
