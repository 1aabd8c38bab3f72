"""Sending gated on real facts, previews for sign-off, a dry run that counts from the ledger, discreet emails."""

from __future__ import annotations

import email
import email.policy
import stat
import subprocess

from test_notify_support import FILLED_CASE, Sink, body_text, new_case, start_sink

from conftest import run_fuite
from fuite.store.casefile import TEMPLATE


def test_an_unedited_case_file_sends_nothing_and_names_each_fact(tmp_path):
    case = tmp_path / "case"
    new_case(case, case_toml=TEMPLATE).close()
    handler = Sink()
    sink = start_sink(handler)
    try:
        proc = run_fuite("notify", "persons", "--case", str(case), "--smtp", f"smtp://127.0.0.1:{sink.port}")
    finally:
        sink.stop()
    assert proc.returncode == 1 and handler.messages == []
    line = proc.stderr.strip().splitlines()[-1]
    for key in ("controller.name", "controller.address", "breach.discovered_at", "breach.measures_taken", "dpo.email"):
        assert key in line
    cnil = run_fuite("notify", "cnil", "--case", str(case), "--output", str(tmp_path / "cnil"))
    assert cnil.returncode == 1 and "controller.name" in cnil.stderr and not (tmp_path / "cnil").exists()
    draft = run_fuite("notify", "cnil", "--case", str(case), "--output", str(tmp_path / "cnil"), "--draft")
    assert draft.returncode == 0 and (tmp_path / "cnil" / "cnil-notification.html").exists()
    review = run_fuite("notify", "persons", "--case", str(case), "--draft")
    assert review.returncode == 0 and "nothing sent" in review.stderr and "controller.name" in review.stderr


def _send(case, *options: str) -> Sink:
    """Run `notify persons` for real against a loopback sink; return what it received."""
    handler = Sink()
    sink = start_sink(handler)
    try:
        run_fuite("notify", "persons", "--case", str(case), "--smtp", f"smtp://127.0.0.1:{sink.port}", "--rate", "0",
                  *options, check=True)
    finally:
        sink.stop()
    return handler


def test_emails_are_discreet_unless_conditions_are_named(tmp_path):
    case = tmp_path / "case"
    new_case(case).close()
    handler = _send(case)
    bruno = handler.by_recipient()["bruno.bernard@example.net"][0]   # HIV in his own findings
    text = body_text(bruno)
    assert "VIH" not in text and "HIV" not in text and "VIH" not in bruno.get_body(("html",)).get_content()
    assert "informations de santé particulièrement sensibles vous concernant" in text
    assert "CE QUE NOUS AVONS FAIT" in text and "Plainte déposée auprès de la gendarmerie" in text
    assert "WHAT WE HAVE DONE" in text and "Complaint filed with the gendarmerie" in text
    assert "Claire Le Goff" in text and "dpo@bioline-armor.test" in text
    assert "Laboratoire Bioline Armor" in bruno["Subject"] and "compléter" not in bruno["Subject"]
    again = tmp_path / "case2"
    new_case(again).close()
    handler2 = _send(again, "--name-conditions")
    named = body_text(handler2.by_recipient()["bruno.bernard@example.net"][0])
    assert "un suivi ou un traitement en lien avec le VIH" in named
    alice = body_text(handler2.by_recipient()["alice.martin@example.org"][0])   # no condition of her own
    assert "VIH" not in alice and "grossesse" not in alice


def test_the_dry_run_counts_what_a_real_run_would_send_now(tmp_path):
    case = tmp_path / "case"
    new_case(case).close()
    before = run_fuite("notify", "persons", "--case", str(case), "--dry-run", check=True)
    handler = _send(case)
    sent = len(handler.messages)
    assert sent == 3 and "send 3 emails and 2 letters" in before.stderr
    after = run_fuite("notify", "persons", "--case", str(case), "--dry-run", check=True)
    # every email is sent; the two letters wait for --letters DIR: only they would go now
    assert "dry run: 2 notices rendered" in after.stderr and "send 0 emails and 2 letters" in after.stderr


def test_preview_renders_every_variant_from_the_case_or_synthetic(tmp_path):
    case = tmp_path / "case"
    new_case(case).close()
    out = tmp_path / "preview"
    run_fuite("notify", "preview", "--case", str(case), "--out", str(out), "--synthetic", check=True)
    names = {p.name for p in out.iterdir()}
    for variant in ("email", "minor", "shared-mailbox", "discreet", "named-conditions"):
        assert {f"{variant}.eml", f"{variant}.txt", f"{variant}.html"} <= names
    assert "letter.pdf" in names and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.iterdir())
    shared = (out / "shared-mailbox.txt").read_text()
    assert "VIH" not in shared and "ENGLISH VERSION" in shared
    assert "VIH" in (out / "named-conditions.txt").read_text() and "VIH" not in (out / "discreet.txt").read_text()
    assert "représentants légaux" in (out / "minor.txt").read_text()
    msg = email.message_from_bytes((out / "email.eml").read_bytes(), policy=email.policy.default)
    assert msg["To"] == "camille.exemple@example.org" and "Bonjour Camille Exemple," in body_text(msg)
    letter = subprocess.run(["pdftotext", str(out / "letter.pdf"), "-"], capture_output=True, text=True,
                            check=True).stdout
    assert "35000 RENNES" in letter and "Dear Camille Exemple," in letter
    from_case = tmp_path / "from-case"
    proc = run_fuite("notify", "preview", "--case", str(case), "--out", str(from_case), check=True)
    assert (from_case / "email.eml").exists() and (from_case / "letter.pdf").exists()
    assert "in clear" in proc.stderr
    assert FILLED_CASE   # the case's own facts sign the samples
    assert "Laboratoire Bioline Armor" in (from_case / "email.txt").read_text()
