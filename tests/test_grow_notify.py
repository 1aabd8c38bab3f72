"""A complementary round: after files are added, only the delta is notified (real SMTP sink), and CNIL is told
what is new with the reference of the initial notification."""

from __future__ import annotations

import json

import polars as pl
import pytest
from test_notify_support import FILLED_CASE, Sink, body_text, start_sink

from conftest import access, run_fuite
from fuite.notify.notice import usable_email
from fuite.store import open_case


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    """Scan a drill, notify everyone, add the files found later, notify again; the sink keeps every message."""
    from fuite.synth import generate

    root = tmp_path_factory.mktemp("rounds")
    generate(root / "drill", persons=300, seed=11, later=0.2)
    case = root / "case"
    run_fuite("scan", str(root / "drill" / "leak"), "--case", str(case), check=True)
    (case / "case.toml").write_text(FILLED_CASE, encoding="utf-8")
    handler = Sink()
    controller = start_sink(handler)
    smtp = f"smtp://127.0.0.1:{controller.port}"
    try:
        first = run_fuite("notify", "persons", "--case", str(case), "--smtp", smtp, "--rate", "0", "--json",
                          check=True)
        round_one = list(handler.messages)
        with open_case(case, access()) as c:
            persons_before = pl.from_arrow(c.get_table("persons"))
        run_fuite("scan", str(root / "drill" / "later"), "--case", str(case), check=True)
        second = run_fuite("notify", "persons", "--case", str(case), "--smtp", smtp, "--rate", "0", "--json",
                           check=True)
        round_two = handler.messages[len(round_one):]
        third = run_fuite("notify", "persons", "--case", str(case), "--smtp", smtp, "--rate", "0", "--json",
                          check=True)
        letters = run_fuite("notify", "persons", "--case", str(case), "--letters", str(root / "letters"), "--json",
                            check=True)
    finally:
        controller.stop()
    with open_case(case, access()) as c:
        persons = pl.from_arrow(c.get_table("persons"))
        delta = pl.from_arrow(c.get_table("delta"))
    return {"case": case, "first": json.loads(first.stdout), "second": json.loads(second.stdout),
            "third": json.loads(third.stdout), "letters": json.loads(letters.stdout), "letters_dir": root / "letters",
            "round_one": round_one, "round_two": round_two, "persons": persons,
            "persons_before": persons_before, "delta": delta, "handler": handler}


def _address(row: dict) -> str | None:
    for candidate in [row.get("email"), *((row.get("emails") or "").split(";"))]:
        if usable_email(candidate):
            return usable_email(candidate).lower()
    return None


def _recipients(messages) -> list[str]:
    return [r.lower() for rcpts, _ in messages for r in rcpts]


def test_only_the_delta_gets_a_second_notice(rounds):
    from collections import Counter

    persons, delta = rounds["persons"], rounds["delta"]
    told = set(_recipients(rounds["round_one"]))
    assert rounds["first"]["sent"] == len(rounds["round_one"]) > 100
    addresses = {row["person_id"]: _address(row) for row in persons.iter_rows(named=True)}
    status = dict(delta.select("person_id", "status").iter_rows())
    expected = Counter(addresses[p] for p, s in status.items() if addresses.get(p) and (s == "new" or addresses[p] in told))
    second = Counter(_recipients(rounds["round_two"]))
    assert second == expected, "one notice per person of the delta (a shared mailbox gets one per person)"
    outside = {addresses[p] for p in set(addresses) - set(status) if addresses[p]}
    assert not set(second) & (outside - {addresses[p] for p in status}), "nothing to the others"
    assert rounds["second"]["sent"] == sum(second.values()) > 5
    assert rounds["second"]["rounds"][-1]["round"] == 2


def test_a_round_is_sent_exactly_once(rounds):
    assert rounds["third"]["sent"] == 0 and rounds["third"]["failed"] == 0
    assert len(rounds["handler"].messages) == len(rounds["round_one"]) + len(rounds["round_two"])


def _messages_by_kind(rounds):
    import email
    import email.policy

    parsed = [email.message_from_bytes(raw, policy=email.policy.default) for _, raw in rounds["round_two"]]
    grown = [m for m in parsed if m["Subject"].startswith("Complément")]
    return parsed, grown, [m for m in parsed if m not in grown]


def test_a_complementary_notice_says_what_is_new_and_refers_to_the_first(rounds):
    parsed, grown, new = _messages_by_kind(rounds)
    assert grown and new, "both kinds in round two: persons told before whose exposure grew, and new persons"
    first_ids = {
        __import__("email").message_from_bytes(raw)["Message-ID"] for _, raw in rounds["round_one"]}
    assert not {m["Message-ID"] for m in parsed} & first_ids, "a new Message-ID for the complementary round"
    for message in grown:
        text = body_text(message)
        fr, en = text.index("CE QUI EST NOUVEAU"), text.index("WHAT IS NEW")   # section titles in capitals
        assert fr < en, "French first, then English"
        assert "nous vous avons informé(e) d'une fuite" in text and "we informed you of a data leak" in text
        assert "Le " in text[:fr]   # the date of the first notice
    for message in new:
        text = body_text(message)
        assert "retrouvés après nos premiers messages" in text and "found after our first messages" in text


def test_a_complementary_notice_lists_only_the_new_items(rounds):
    persons, delta = rounds["persons"], rounds["delta"]
    by_address = {_address(r): r for r in persons.iter_rows(named=True) if _address(r)}
    _, grown, _ = _messages_by_kind(rounds)
    from fuite import taxonomy

    words = {c.id: c.patient_fr for c in taxonomy.CATEGORIES if c.patient_fr}
    checked = 0
    for message in grown:
        row = by_address[message["To"].lower()]
        change = delta.filter(pl.col("person_id") == row["person_id"]).row(0, named=True)
        section = body_text(message).split("CE QUI EST NOUVEAU", 1)[1].split("CE QUI POURRAIT ARRIVER", 1)[0]
        before = rounds["persons_before"].filter(pl.col("person_id") == row["person_id"]).row(0, named=True)
        old_only = set((before["categories"] or "").split(";")) - set(change["new_categories"].split(";")) - {""}
        for cat in change["new_categories"].split(";"):
            if cat in words and cat not in ("last_name", "first_name", "postal_code", "city"):
                assert words[cat] in section
                checked += 1
        for cat in old_only & {"nir", "email", "phone", "blood_group"}:
            assert words[cat] not in section, "what the first notice said is not repeated"
    assert checked


def test_cnil_complementary_notification(rounds, tmp_path):
    case = rounds["case"]
    toml = (case / "case.toml").read_text(encoding="utf-8")
    (case / "case.toml").write_text(toml.replace('kind = "initial"', 'kind = "complementary"'), encoding="utf-8")
    refused = run_fuite("notify", "cnil", "--case", str(case), "--output", str(tmp_path / "refused"))
    assert refused.returncode != 0 and "notification.previous_reference" in refused.stderr
    (case / "case.toml").write_text(toml.replace('kind = "initial"', 'kind = "complementary"')
                                    .replace('previous_reference = ""', 'previous_reference = "ABC-2026-0042"'),
                                    encoding="utf-8")
    run_fuite("notify", "cnil", "--case", str(case), "--output", str(tmp_path / "cnil"), "--format", "json,html",
              check=True)
    doc = json.loads((tmp_path / "cnil" / "cnil-notification.json").read_text(encoding="utf-8"))
    note = doc["notification"]
    assert note["type"] == "Notification complémentaire" and note["reference_initiale"] == "ABC-2026-0042"
    delta = rounds["delta"]
    assert note["complement"]["nouvelles_personnes"] == int((delta["status"] == "new").sum()) > 0
    assert note["complement"]["personnes_exposition_accrue"] == int((delta["status"] == "grown").sum()) > 0
    assert note["complement"]["categories_nouvelles"]
    assert doc["donnees"]["nombre_personnes"] == rounds["persons"].height   # the totals stay the totals
    html = (tmp_path / "cnil" / "cnil-notification.html").read_text(encoding="utf-8")
    assert "ABC-2026-0042" in html and "Personnes nouvellement concernées" in html
    (case / "case.toml").write_text(toml, encoding="utf-8")


def test_complementary_letters_have_their_own_batches(rounds):
    import subprocess

    later = sorted(rounds["letters_dir"].glob("letters-*-r2-*.pdf"))
    first = [p for p in rounds["letters_dir"].glob("letters-*.pdf") if "-r2-" not in p.name]
    assert later and first, "round-1 letters still due and round-2 letters, in separate batches"
    text = " ".join(subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True, check=True).stdout
                    for p in later)
    assert "retrouvés après nos premiers" in text.replace("\n", " ") or "Ce qui est nouveau" in text
    assert {r["round"] for r in rounds["letters"]["rounds"]} == {1, 2}


def test_preview_shows_a_complementary_notice(rounds, tmp_path):
    run_fuite("notify", "preview", "--case", str(rounds["case"]), "--out", str(tmp_path / "case"), check=True)
    text = (tmp_path / "case" / "complementary.txt").read_text(encoding="utf-8")
    assert "CE QUI EST NOUVEAU" in text and "WHAT IS NEW" in text
    run_fuite("notify", "preview", "--case", str(rounds["case"]), "--out", str(tmp_path / "synthetic"), "--synthetic",
              check=True)
    synthetic = (tmp_path / "synthetic" / "complementary.txt").read_text(encoding="utf-8")
    assert "Le 4 mars 2026, nous vous avons informé(e)" in synthetic and "votre numéro de sécurité sociale" in synthetic


def test_status_counts_every_round(rounds):
    status = json.loads(run_fuite("notify", "status", "--case", str(rounds["case"]), "--json", check=True).stdout)
    assert status["round"] == 2 and status["delta"] == rounds["delta"].height
    assert status["later_rounds"]["2"]["email"]["sent"] == len(rounds["round_two"])
    assert status["channels"]["email"]["sent"] == len(rounds["round_one"])
    assert status["not_planned"] == 0, "every person is planned in one round or another"
