"""Notices by email against a real SMTP server on loopback (aiosmtpd): exactly once, bounces, retries, TLS."""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from hypothesis import given, settings
from hypothesis import strategies as st
from test_notify_support import FILLED_CASE, PEOPLE, Sink, body_text, many_persons, make_cert, new_case, persons_table, start_sink

from fuite import taxonomy
from fuite.notify import ledger
from fuite.store.casefile import parse_case_file
from fuite.notify.notice import usable_email
from fuite.notify.persons import PersonsOptions, notify_persons
from fuite.notify.smtp import SmtpConfig, Throttle
from conftest import access

CASE_FILE = parse_case_file(tomllib.loads(FILLED_CASE))
NO_WAIT = dict(rate=0, backoff=0.0)


PIPELINED = pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])


@pytest.fixture(params=[False, True], ids=["one-by-one", "pipelined"])
def sink(tmp_path, request):
    """A real aiosmtpd server on loopback, with and without PIPELINING (RFC 2920)."""
    handler = Sink(maildir=tmp_path / "journal", pipelining=request.param)
    controller = start_sink(handler)
    yield handler, controller
    controller.stop()


def _conn(tmp_path):
    from fuite.store import open_case
    return open_case(tmp_path / "case", access(), create=True)


def _run(case, rows, port, **kw):
    opts = PersonsOptions(smtp_url=f"smtp://127.0.0.1:{port}", **{**NO_WAIT, **kw})
    return notify_persons(case.conn, persons_table(rows), CASE_FILE, opts, secret=b"s" * 32, case_dir=case.dir,
                          sleep=lambda s: None)


def _expected_words(row: dict) -> set[str]:
    cats = set((row.get("categories") or "").split(";"))
    names = cats & {"last_name", "first_name", "full_name"}
    if "full_name" in names or len(names) == 2:   # one line for the name: "vos nom et prénom"
        cats = (cats - names) | {"full_name"}
    return {taxonomy.get(c).patient_fr for c in cats if c and taxonomy.get(c).patient_fr}


@pytest.mark.parametrize("connections", [1, 3])
def test_each_person_with_an_email_gets_exactly_one_message_naming_their_own_data(tmp_path, sink, connections):
    handler, controller = sink
    with _conn(tmp_path) as case:
        report = _run(case, PEOPLE, controller.port, connections=connections)
        again = _run(case, PEOPLE, controller.port, connections=connections)   # a rerun sends nothing more
    with_email = {r["email"]: r for r in PEOPLE if usable_email(r.get("email"))}
    received = handler.by_recipient()
    assert set(received) == set(with_email)
    assert all(len(msgs) == 1 for msgs in received.values())
    assert report.sent == len(with_email) and again.sent == 0
    all_words = {w for r in PEOPLE for w in _expected_words(r)}
    for address, (msg,) in received.items():
        row = with_email[address]
        assert msg["To"] == address
        text = body_text(msg)
        assert row["first_name"] in text
        own = _expected_words(row)
        for word in own:
            assert f"- {word}" in text
        for word in all_words - own - {"votre adresse postale"}:
            assert f"- {word}\n" not in text
        assert "ENGLISH VERSION" in text
        assert msg.get_body(("html",)) is not None


@PIPELINED
def test_hard_bounce_is_recorded_failed_and_temporary_error_is_retried(tmp_path, pipelining):
    rows = many_persons(3)
    handler = Sink(refuse={"p1@example.org"}, busy_once={"p2@example.org"}, pipelining=pipelining)
    controller = start_sink(handler)
    try:
        with _conn(tmp_path) as case:
            report = _run(case, rows, controller.port)
            bounced = ledger.entry(case.conn, 1, "email")
            retried = ledger.entry(case.conn, 2, "email")
    finally:
        controller.stop()
    assert (report.sent, report.failed) == (2, 1)
    assert bounced["state"] == "failed" and bounced["error"].startswith("550")
    assert retried["state"] == "sent" and retried["attempts"] == 2
    assert sorted(handler.by_recipient()) == ["p2@example.org", "p3@example.org"]


def test_bounced_person_with_an_address_gets_a_letter_queued(tmp_path):
    row = dict(PEOPLE[0])
    handler = Sink(refuse={row["email"]})
    controller = start_sink(handler)
    try:
        with _conn(tmp_path) as case:
            report = _run(case, [row], controller.port)
            letter = ledger.entry(case.conn, row["person_id"], "letter")
    finally:
        controller.stop()
    assert report.failed == 1 and report.letters_waiting == 1
    assert letter["state"] == "pending"


@pytest.mark.parametrize("journal, in_doubt, copies, state", [
    (True, "resend", 1, "sent"),     # the journal proves delivery: no duplicate
    (False, "hold", 1, "held"),      # at-most-once: kept for an operator
    (False, "resend", 2, "sent"),    # at-least-once: a second copy, same Message-ID
])
@PIPELINED
def test_connection_cut_after_data_is_settled_by_policy(tmp_path, journal, in_doubt, copies, state, pipelining):
    rows = many_persons(2)
    handler = Sink(maildir=tmp_path / "journal", drop_after_data={"p1@example.org"}, pipelining=pipelining)
    controller = start_sink(handler)
    try:
        with _conn(tmp_path) as case:
            _run(case, rows, controller.port, in_doubt=in_doubt,
                 journal=f"maildir:{tmp_path / 'journal'}" if journal else "")
            entry = ledger.entry(case.conn, 1, "email")
    finally:
        controller.stop()
    got = handler.by_recipient()["p1@example.org"]
    assert len(got) == copies and entry["state"] == state
    assert len({m["Message-ID"] for m in got}) == 1
    assert len(handler.by_recipient()["p2@example.org"]) == 1
    if state == "held":   # the operator checked the server's logs: not delivered, send it again
        controller = start_sink(handler)
        try:
            with _conn(tmp_path) as case:
                report = _run(case, rows, controller.port, resend_held=True)
        finally:
            controller.stop()
        assert report.settled == {"released": 1} and report.sent == 1
        assert len(handler.by_recipient()["p1@example.org"]) == 2


def _ssl_context(cert, key) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"notifier" and auth_data.password == b"s3cret:pw"
    return AuthResult(success=ok)


@PIPELINED
def test_starttls_and_login(tmp_path, pipelining):
    cert, key = make_cert(tmp_path)
    handler = Sink(pipelining=pipelining)
    controller = start_sink(handler, tls_context=_ssl_context(cert, key), require_starttls=True,
                            authenticator=_authenticator, auth_require_tls=True)
    try:
        with _conn(tmp_path) as case:
            report = notify_persons(
                case.conn, persons_table(many_persons(2)), CASE_FILE,
                PersonsOptions(smtp_url=f"smtp://notifier:s3cret%3Apw@127.0.0.1:{controller.port}?cafile={cert}",
                               **NO_WAIT), secret=b"k" * 32)
    finally:
        controller.stop()
    assert report.sent == 2 and handler.tls_sessions == 2


@PIPELINED
def test_implicit_tls(tmp_path, pipelining):
    cert, key = make_cert(tmp_path)
    handler = Sink(pipelining=pipelining)
    controller = start_sink(handler, ssl_context=_ssl_context(cert, key))
    try:
        with _conn(tmp_path) as case:
            report = notify_persons(case.conn, persons_table(many_persons(1)), CASE_FILE,
                                    PersonsOptions(smtp_url=f"smtps://127.0.0.1:{controller.port}?cafile={cert}",
                                                   **NO_WAIT), secret=b"k" * 32)
    finally:
        controller.stop()
    assert report.sent == 1 and len(handler.messages) == 1


def test_password_is_never_sent_without_tls(tmp_path, sink):
    from fuite.errors import NotifyError

    handler, controller = sink
    with _conn(tmp_path) as case, pytest.raises(NotifyError, match="without TLS") as info:
        notify_persons(case.conn, persons_table(many_persons(1)), CASE_FILE,
                       PersonsOptions(smtp_url=f"smtp://u:topsecret@127.0.0.1:{controller.port}", **NO_WAIT),
                       secret=b"k" * 32)
    assert "topsecret" not in str(info.value)
    assert handler.messages == []


def test_throttle_spaces_calls_evenly():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    throttle = Throttle(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        throttle.wait()
    assert now[0] == pytest.approx(1.0)   # 5 calls at 4/s: the 5th at t = 1 s
    assert Throttle(0, clock=lambda: 0.0, sleep=sleep).interval == 0


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.org", ("mail.example.org", 25, False, "", "")),
    ("smtp://u:p%40ss@mail.example.org:587", ("mail.example.org", 587, False, "u", "p@ss")),
    ("smtps://u:p@mail.example.org", ("mail.example.org", 465, True, "u", "p")),
])
def test_smtp_url(url, expected):
    c = SmtpConfig.from_url(url)
    assert (c.host, c.port, c.implicit_tls, c.user, c.password) == expected


@pytest.mark.parametrize("url", ["http://u:hunter2@h", "smtp://u:hunter2@", "smtp://u:hunter2@h:99999",
                                 "smtp://u:hunter2@h?starttls=maybe", "smtp://u:hunter2@h?bogus=1"])
def test_bad_smtp_url_is_one_line_without_the_password(url):
    from fuite.errors import UsageError

    with pytest.raises(UsageError) as info:
        SmtpConfig.from_url(url)
    assert "hunter2" not in str(info.value) and "\n" not in str(info.value)


# -- kill -9 in the middle, then resume ---------------------------------------------------------------------------

def _notify_cmd(case_dir: Path, port: int, journal: Path, rate: int, connections: int = 1) -> list[str]:
    return [sys.executable, "-m", "fuite.cli", "notify", "persons", "--case", str(case_dir),
            "--smtp", f"smtp://127.0.0.1:{port}", "--rate", str(rate), "--journal", f"maildir:{journal}",
            "--backoff", "0", "--connections", str(connections)]


class KillingSink(Sink):
    """SIGKILLs the sender at a chosen moment, decided by the server itself (no timing in the test).

    ``at="data"``: after storing the n-th message, before answering 250 (the worst moment);
    ``at="rcpt"``: when the next message is announced after n were stored (between two messages).
    """

    def __init__(self, maildir, kill_at: int, at: str = "data", pipelining: bool = False):
        super().__init__(maildir=maildir, pipelining=pipelining)
        self.kill_at, self.at, self.pid = kill_at, at, None

        self.killed = False

    async def _kill(self) -> None:
        while self.pid is None and not self.killed:   # the test hands over the pid right after starting it
            await asyncio.sleep(0.01)
        if not self.killed:
            os.kill(self.pid, signal.SIGKILL)
            self.killed = True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.at == "rcpt" and len(self.messages) >= self.kill_at:
            await self._kill()
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.at == "data" and len(self.messages) == self.kill_at:
            await self._kill()
        return reply


@pytest.mark.slow
@pytest.mark.parametrize("moment, connections, pipelining", [
    ("after the server stored a message, before its 250", 1, False), ("between two messages", 1, False),
    ("between two messages", 3, True), ("after the server stored a message, before its 250", 3, True)])
def test_sigkill_mid_way_then_resume_gives_no_duplicate_and_nobody_missing(tmp_path, moment, connections,
                                                                           pipelining):
    rows = many_persons(60)
    journal = tmp_path / "journal"
    in_doubt = moment.startswith("after")
    handler = KillingSink(journal, kill_at=15, at="data" if in_doubt else "rcpt", pipelining=pipelining)
    controller = start_sink(handler)
    try:
        new_case(tmp_path / "case", rows).close()
        proc = subprocess.Popen(_notify_cmd(tmp_path / "case", controller.port, journal, rate=0,
                                            connections=connections),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
        handler.pid = proc.pid   # the sink kills it at the chosen moment: no sleep, no race
        proc.wait(timeout=300)
        assert proc.returncode == -signal.SIGKILL
        before = len(handler.messages)
        assert 15 <= before < len(rows)
        resumed = subprocess.run(_notify_cmd(tmp_path / "case", controller.port, journal, rate=0),
                                 capture_output=True, text=True, env=os.environ.copy())
        assert resumed.returncode == 0, resumed.stderr[-2000:]
    finally:
        controller.stop()
    received = handler.by_recipient()
    assert sorted(received) == sorted(r["email"] for r in rows)
    assert all(len(m) == 1 for m in received.values())
    if in_doubt:  # the 15th notice was stored by the server but never marked sent: the journal settles it
        assert ("in doubt settled: sent 1" if connections == 1 else "in doubt settled: sent") in resumed.stderr
    for r in rows:
        assert r["email"] not in resumed.stderr and r["last_name"] not in resumed.stderr


def test_unreachable_server_stops_the_run_and_leaves_everyone_pending(tmp_path):
    from fuite.errors import NotifyError
    from test_notify_support import free_port

    port = free_port()   # nothing listens there
    with _conn(tmp_path) as case:
        with pytest.raises(NotifyError, match="cannot reach the SMTP server"):
            _run(case, many_persons(3), port, max_attempts=2)
        counts = ledger.counts(case.conn)
    assert counts["email"]["pending"] == 3 and counts["email"]["sent"] == 0


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.from_regex(r"smtps?://[^\s]{0,40}", fullmatch=True)))
def test_junk_smtp_urls_fail_only_with_usage_errors(url):
    from fuite.errors import UsageError

    try:
        config = SmtpConfig.from_url(url)
    except UsageError as exc:
        assert "\n" not in str(exc)
    else:
        assert config.host and 0 < config.port < 65536


def test_limit_sends_part_and_a_rerun_sends_the_rest(tmp_path, sink):
    handler, controller = sink
    rows = many_persons(7)
    with _conn(tmp_path) as case:
        first = _run(case, rows, controller.port, limit=3)
        middle = ledger.counts(case.conn)["email"]
        rest = _run(case, rows, controller.port)
    assert first.sent == 3 and middle["sent"] == 3 and middle["pending"] == 4
    assert rest.sent == 4
    received = handler.by_recipient()
    assert sorted(received) == sorted(r["email"] for r in rows) and all(len(m) == 1 for m in received.values())


def test_a_mailbox_shared_by_several_persons_never_reads_a_condition(tmp_path, sink):
    handler, controller = sink
    rows = [dict(PEOPLE[1], email="famille@example.org"),                      # HIV
            dict(PEOPLE[4], email="Famille@example.org"),                      # pregnancy, same mailbox
            dict(PEOPLE[1], person_id=9, email="seul@example.org")]            # HIV, own mailbox
    with _conn(tmp_path) as case:
        report = _run(case, rows, controller.port)
    assert report.sent == 3
    received = handler.by_recipient()
    family = [body_text(m) for m in received["famille@example.org"] + received["Famille@example.org"]]
    assert len(family) == 2
    for text in family:
        assert "VIH" not in text and "grossesse" not in text and "particulièrement sensibles" in text
    (alone,) = received["seul@example.org"]
    assert "VIH" in body_text(alone)


def test_8bit_parts_say_the_same_as_quoted_printable_and_keep_within_smtp_lines():
    import email
    import email.policy

    from fuite.notify.notice import NoticeRenderer

    renderer = NoticeRenderer(CASE_FILE, secret=b"s" * 32)
    row = dict(PEOPLE[1])
    address = usable_email(row["email"])
    _, qp = renderer.email(row, address)
    _, raw = renderer.email(row, address, eight_bit=True)
    assert b"quoted-printable" in qp and b"Content-Transfer-Encoding: 8bit" in raw and len(raw) < len(qp)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998 and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    a, b = (email.message_from_bytes(m, policy=email.policy.default) for m in (qp, raw))
    assert body_text(a) == body_text(b)
    html_a, html_b = (" ".join(m.get_body(("html",)).get_content().split()) for m in (a, b))
    assert html_a == html_b and raw.count(b"\r\n") < qp.count(b"\r\n") / 2
    long = dict(row, first_name="é" * 1200)   # a line over 998 octets: that part falls back to quoted-printable
    _, mixed = renderer.email(long, address, eight_bit=True)
    assert max(len(line) for line in mixed.split(b"\r\n")) <= 998 and b"quoted-printable" in mixed


def test_a_server_offering_8bitmime_receives_8bit_and_one_without_it_quoted_printable(tmp_path):
    from aiosmtpd.smtp import SMTP

    class No8Bit(SMTP):
        async def smtp_EHLO(self, hostname):   # the same server, minus the 8BITMIME line
            push = self.push

            async def without(status):
                if "8BITMIME" not in status:
                    await push(status)
            self.push = without
            try:
                await super().smtp_EHLO(hostname)
            finally:
                self.push = push

    for offers in (True, False):
        handler = Sink()
        if offers:
            controller = start_sink(handler)
        else:
            from aiosmtpd.controller import Controller
            from test_notify_support import free_port

            class Plain(Controller):
                def factory(self):
                    return No8Bit(self.handler, **self.SMTP_kwargs)
            controller = Plain(handler, hostname="127.0.0.1", port=free_port())
            controller.start()
        try:
            with _conn(tmp_path / str(offers)) as case:
                report = _run(case, many_persons(2), controller.port)
        finally:
            controller.stop()
        assert report.sent == 2
        raws = [raw for _, raw in handler.messages]
        assert all((b"Content-Transfer-Encoding: 8bit" in raw) == offers for raw in raws)
        assert all("Prenom" in body_text(m[0]) for m in handler.by_recipient().values())


def _persons_cmd(case_dir: Path, port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "fuite.cli", "notify", "persons", "--case", str(case_dir),
            "--smtp", f"smtp://127.0.0.1:{port}", "--rate", "0", "--backoff", "0", *extra]


@pytest.mark.slow
def test_sigkill_without_a_journal_duplicates_at_most_the_in_flight_window_and_misses_nobody(tmp_path):
    """At-least-once: after a SIGKILL, only the notices of the groups in flight can arrive twice."""
    rows = many_persons(400)
    connections, every = 2, 10
    window = connections * every                                     # docs/notify.md, "Crash window"
    handler = KillingSink(tmp_path / "store", kill_at=150, at="data",   # stored, before its 250: the worst moment
                          pipelining=True)
    controller = start_sink(handler)
    try:
        new_case(tmp_path / "case", rows).close()
        proc = subprocess.Popen(_persons_cmd(tmp_path / "case", controller.port, "--connections", str(connections),
                                             "--commit-every", str(every)),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
        handler.pid = proc.pid
        proc.wait(timeout=300)
        assert proc.returncode == -signal.SIGKILL
        before = len(handler.messages)
        resumed = subprocess.run(_persons_cmd(tmp_path / "case", controller.port, "--connections", "2"),
                                 capture_output=True, text=True, env=os.environ.copy())
        assert resumed.returncode == 0, resumed.stderr[-2000:]
    finally:
        controller.stop()
    received = handler.by_recipient()
    assert sorted(received) == sorted(r["email"] for r in rows)          # nobody missed
    twice = [a for a, msgs in received.items() if len(msgs) > 1]
    assert 1 <= len(twice) <= window and all(len(received[a]) == 2 for a in twice)   # the 150th at least
    assert all(len({m["Message-ID"] for m in received[a]}) == 1 for a in twice)       # same Message-ID
    assert 150 <= before < len(rows)
    assert len(handler.messages) == len(rows) + len(twice)


def test_a_run_with_undelivered_notices_exits_1_and_says_how_many(tmp_path):
    rows = many_persons(6)
    handler = Sink(refuse={"p2@example.org", "p5@example.org"})
    controller = start_sink(handler)
    try:
        new_case(tmp_path / "case", rows).close()
        run = subprocess.run(_persons_cmd(tmp_path / "case", controller.port), capture_output=True, text=True,
                             env=os.environ.copy())
    finally:
        controller.stop()
    assert run.returncode == 1, run.stderr[-2000:]                      # docs/cli.md: only part done
    assert "sent 4, failed 2" in run.stderr and "2 notice(s) not delivered" in run.stderr
    assert "Traceback" not in run.stderr and "p2@example.org" not in run.stderr
