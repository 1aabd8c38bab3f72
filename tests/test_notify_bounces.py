"""Asynchronous bounces (RFC 3464 DSNs) found in a Maildir mark notices failed and queue a letter."""

from __future__ import annotations

import mailbox
import tomllib
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_notify_support import FILLED_CASE, PEOPLE, Sink, new_case, start_sink

from conftest import run_fuite, access
from fuite.notify import ledger
from fuite.notify.bounces import parse_dsn
from fuite.store.casefile import parse_case_file
from fuite.notify.notice import NoticeRenderer


def _dsn(original: bytes, action: str = "failed", status: str = "5.1.1", headers_only: bool = True) -> bytes:
    """A delivery status notification as MTAs write them (multipart/report; report-type=delivery-status)."""
    report = EmailMessage()
    report["From"] = "MAILER-DAEMON@mx.example.net"
    report["To"] = "dpo@laboratoire.example"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = "<dsn-1@mx.example.net>"
    report.set_content("This is the mail system at host mx.example.net. I'm sorry to have to inform you ...")
    report.make_mixed()
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")
    status_part = EmailMessage()
    status_part.set_type("message/delivery-status")
    per_message, per_recipient = EmailMessage(), EmailMessage()
    per_message["Reporting-MTA"] = "dns; mx.example.net"
    per_recipient["Final-Recipient"] = "rfc822; someone@example.org"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    status_part.set_payload([per_message, per_recipient])
    report.attach(status_part)
    returned = EmailMessage()
    if headers_only:
        returned.set_type("text/rfc822-headers")
        returned.set_payload(original.split(b"\r\n\r\n")[0].decode())
    else:
        returned.set_type("message/rfc822")
        returned.set_payload([__import__("email").message_from_bytes(original)])
    report.attach(returned)
    return report.as_bytes()


def _notice(person_id: int = 1) -> bytes:
    cf = parse_case_file(tomllib.loads(FILLED_CASE))
    row = next(p for p in PEOPLE if p["person_id"] == person_id)
    return NoticeRenderer(cf, secret=b"k" * 32).email(row, row["email"])[1]


@pytest.mark.parametrize("action, status, headers_only, permanent", [
    ("failed", "5.1.1", True, True), ("failed", "5.2.2", False, True), ("delayed", "4.4.1", True, False),
    ("failed", "4.7.0", True, False),
])
def test_parse_dsn(action, status, headers_only, permanent):
    original = _notice()
    bounce = parse_dsn(_dsn(original, action, status, headers_only))
    mid = next(line for line in original.split(b"\r\n") if line.startswith(b"Message-ID:")).split(b" ", 1)[1]
    assert bounce.message_id == mid.decode() and bounce.permanent is permanent and bounce.status == status


def test_mail_that_is_not_about_a_notice_is_ignored():
    msg = EmailMessage()
    msg["Message-ID"] = "<abc@example.org>"
    msg.set_content("Out of office")
    assert parse_dsn(msg.as_bytes()) is None


@given(st.binary(max_size=2000))
def test_junk_mail_never_raises(raw):
    result = parse_dsn(raw)
    assert result is None or result.message_id.startswith("<")


def test_bounces_command_marks_failed_and_the_next_run_writes_a_letter(tmp_path):
    handler = Sink()
    controller = start_sink(handler)
    rows = [PEOPLE[0], PEOPLE[1]]     # Alice has a postal address, Bruno none
    try:
        new_case(tmp_path / "case", rows).close()
        run_fuite("notify", "persons", "--case", str(tmp_path / "case"), "--smtp",
                  f"smtp://127.0.0.1:{controller.port}", "--rate", "0", check=True)
    finally:
        controller.stop()
    box = mailbox.Maildir(tmp_path / "inbox")
    for rcpts, raw in handler.messages:
        box.add(_dsn(raw))                       # both notices bounce later
    box.add(_dsn(handler.messages[0][1], "delayed", "4.4.1"))
    proc = run_fuite("notify", "bounces", "--case", str(tmp_path / "case"), "--maildir", str(tmp_path / "inbox"),
                     check=True)
    assert "marked failed 2" in proc.stderr and "temporary 1" in proc.stderr
    again = run_fuite("notify", "bounces", "--case", str(tmp_path / "case"), "--maildir", str(tmp_path / "inbox"),
                      check=True)
    assert "marked failed 0, already failed 2" in again.stderr
    letters = run_fuite("notify", "persons", "--case", str(tmp_path / "case"), "--letters", str(tmp_path / "out"),
                        check=True)
    assert "letters 1" in letters.stderr
    from fuite.store import open_case
    with open_case(tmp_path / "case", access()) as case:
        alice = ledger.entry(case.conn, 1, "email")
        assert alice["state"] == "failed" and alice["error"] == "bounce 5.1.1"
        assert ledger.entry(case.conn, 1, "letter")["state"] == "sent"
        assert ledger.entry(case.conn, 2, "letter") is None
    for p in rows:
        assert p["email"] not in proc.stderr + letters.stderr
