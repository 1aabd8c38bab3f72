"""`fuite notify persons|status` end to end on an encrypted case: dry run, status, operator policy, audit, letters."""

from __future__ import annotations

import json

from test_notify_support import FILLED_CASE, PEOPLE, Sink, new_case, start_sink

from conftest import access, run_fuite

from fuite.notify.notice import usable_email


def test_dry_run_sends_nothing_then_real_run_then_status(tmp_path):
    handler = Sink()
    controller = start_sink(handler)
    case = str(tmp_path / "case")
    try:
        new_case(tmp_path / "case").close()
        smtp = f"smtp://127.0.0.1:{controller.port}"
        dry = run_fuite("notify", "persons", "--case", case, "--smtp", smtp, "--dry-run", check=True)
        assert "dry run: 5 notices rendered" in dry.stderr and handler.messages == []
        status = json.loads(run_fuite("notify", "status", "--case", case, "--json", check=True).stdout)
        assert status["channels"] == {} and status["not_planned"] == len(PEOPLE)
        sent = run_fuite("notify", "persons", "--case", case, "--smtp", smtp, "--rate", "0", "--operator", "dpo-1",
                         check=True)
        letters = run_fuite("notify", "persons", "--case", case, "--letters", str(tmp_path / "letters"),
                            check=True)
        status = json.loads(run_fuite("notify", "status", "--case", case, "--json", check=True).stdout)
        table = run_fuite("notify", "status", "--case", case, check=True).stdout
    finally:
        controller.stop()
    emails = sum(1 for p in PEOPLE if usable_email(p.get("email")))
    assert f"sent {emails}," in sent.stderr and len(handler.messages) == emails
    assert "hold names and postal addresses in clear" in letters.stderr
    assert len(list((tmp_path / "letters").glob("*.pdf"))) == 1
    assert status["channels"]["email"]["sent"] == emails
    assert status["channels"]["letter"]["sent"] == 2 and status["channels"]["none"]["failed"] == 1
    assert status["not_planned"] == 0 and "email" in table
    for person in PEOPLE:
        for field in ("last_name", "email"):
            if person.get(field):
                assert person[field] not in sent.stderr + letters.stderr + table

    from fuite.store import open_case
    with open_case(tmp_path / "case", access()) as c:
        entries = [e for e in c.audit_entries() if e["action"] == "notify.persons"]
    assert [e["records"] for e in entries] == [5, emails, 2]
    assert entries[1]["operator"] == "dpo-1"


def test_named_operator_required_when_the_case_says_so(tmp_path):
    toml = FILLED_CASE.replace("require_operator = false", "require_operator = true")
    new_case(tmp_path / "case", case_toml=toml).close()
    proc = run_fuite("notify", "persons", "--case", str(tmp_path / "case"), "--dry-run")
    assert proc.returncode == 2 and "--operator" in proc.stderr
    ok = run_fuite("notify", "persons", "--case", str(tmp_path / "case"), "--dry-run", "--operator", "alice-dpo")
    assert ok.returncode == 0


def test_no_smtp_server_is_a_one_line_error(tmp_path):
    new_case(tmp_path / "case").close()
    proc = run_fuite("notify", "persons", "--case", str(tmp_path / "case"))
    assert proc.returncode == 2 and "no SMTP server" in proc.stderr and "Traceback" not in proc.stderr


def test_dry_run_works_without_a_case_file_and_says_what_is_missing(tmp_path):
    new_case(tmp_path / "case", case_toml="").close()
    proc = run_fuite("notify", "persons", "--case", str(tmp_path / "case"), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "smtp.from" in proc.stderr and "dry run: 5 notices rendered" in proc.stderr
