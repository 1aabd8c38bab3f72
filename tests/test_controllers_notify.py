"""Per-controller CNIL drafts, the processor's notice to each controller, one notice per person signed by
that person's controllers (email and letter), the ledger exactly-once; on the independent layout."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import run_fuite
from controllers_support import MANY_CASE, scanned_layout
from test_notify_support import FILLED_CASE


@pytest.fixture(scope="module")
def layout_case(tmp_path_factory):
    return scanned_layout(tmp_path_factory.mktemp("controllers_notify"))


def _pdf_text(path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def test_one_cnil_draft_per_controller_with_its_counts_agreeing_with_the_report(layout_case, tmp_path):
    case, truth = layout_case
    proc = run_fuite("notify", "cnil", "--case", str(case), "--output", str(tmp_path / "cnil"), "--format",
                     "json,html", check=True)
    assert "warning: 7 records held by no controller are in no draft (7 persons have no other record)" in proc.stderr
    report = {c["id"]: c for c in json.loads(run_fuite("report", "--case", str(case), check=True).stdout)["controllers"]}
    assert sorted(p.name for p in (tmp_path / "cnil").iterdir()) == ["armor", "iroise", "mutuelle"]
    for cid, figures in report.items():
        draft = json.loads((tmp_path / "cnil" / cid / "cnil-notification.json").read_text(encoding="utf-8"))
        data = draft["donnees"]
        assert data["nombre_personnes"] == figures["persons"] == truth[cid]["persons"]
        assert data["nombre_enregistrements"] == figures["records"]
        assert data["donnees_sensibles"]["vih"] == figures["persons_hiv"]
        assert data["donnees_sensibles"]["sante"] == figures["persons_health"]
        assert all(row["personnes"] == figures["categories"][row["id"]] for row in data["categories_donnees"])
        assert draft["responsable"]["nom"] == figures["name"]
        assert draft["circonstances"]["sous_traitants"] == ["Logilab Santé"]
        html = (tmp_path / "cnil" / cid / "cnil-notification.html").read_text(encoding="utf-8")
        assert figures["name"] in html and "patient0" not in html
    armor = json.loads((tmp_path / "cnil" / "armor" / "cnil-notification.json").read_text(encoding="utf-8"))
    assert armor["contact"]["courriel"] == "dpo@bio-armor.test"   # its own DPO, not the case-level one
    mutuelle = json.loads((tmp_path / "cnil" / "mutuelle" / "cnil-notification.json").read_text(encoding="utf-8"))
    assert mutuelle["contact"]["courriel"] == "dpo@bioline-armor.test"   # none of its own: the case-level [dpo]
    assert "controllers[mutuelle].siren" in mutuelle["a_completer"]


def test_a_single_controller_case_writes_its_draft_where_it_did(scanned_case, tmp_path):
    copy = tmp_path / "case"
    subprocess.run(["cp", "-r", str(scanned_case), str(copy)], check=True)
    (copy / "case.toml").write_text(FILLED_CASE, encoding="utf-8")
    run_fuite("notify", "cnil", "--case", str(copy), "--output", str(tmp_path / "cnil"), "--format", "json",
              check=True)
    assert [p.name for p in (tmp_path / "cnil").iterdir()] == ["cnil-notification.json"]


def test_the_processor_notice_gives_each_controller_its_counts_and_no_identifier(layout_case, tmp_path):
    case, truth = layout_case
    proc = run_fuite("notify", "processor", "--case", str(case), "--output", str(tmp_path / "p"), check=True)
    assert proc.stdout.count("processor-notice.pdf") == 3
    identifiers = [*truth["two_labs"], truth["armor_and_mutuelle"], "@example.org", "export_resultats",
                   "liste_rdv", "adherents"]
    for cid in ("armor", "iroise", "mutuelle"):
        notice = json.loads((tmp_path / "p" / cid / "processor-notice.json").read_text(encoding="utf-8"))
        assert notice["figures"]["persons"] == truth[cid]["persons"]
        assert notice["figures"]["persons_hiv"] == truth[cid]["persons_hiv"]
        text = _pdf_text(tmp_path / "p" / cid / "processor-notice.pdf")
        assert "article 33, paragraphe 2" in text and "GDPR article 33(2)" in text   # French, then English
        assert text.index("sous-traitant") < text.index("processor")
        assert notice["controller"]["name"] in text and "Logilab Santé" in text
        html = (tmp_path / "p" / cid / "processor-notice.html").read_text(encoding="utf-8")
        for value in identifiers:
            assert value not in text and value not in html and value not in json.dumps(notice)
    iroise = json.loads((tmp_path / "p" / "iroise" / "processor-notice.json").read_text(encoding="utf-8"))
    assert iroise["figures"]["persons_shared"] == 5   # the five persons also seen at Bio Armor
    assert re.search(r"Personnes également connues d'un autre responsable de traitement 5",
                     _pdf_text(tmp_path / "p" / "iroise" / "processor-notice.pdf"))


def test_the_processor_notice_is_refused_without_a_processor(layout_case, tmp_path):
    case, _ = layout_case
    original = (case / "case.toml").read_text(encoding="utf-8")
    try:
        (case / "case.toml").write_text(original.split("\n[processor]")[0], encoding="utf-8")
        refused = run_fuite("notify", "processor", "--case", str(case), "--output", str(tmp_path / "p"))
        assert refused.returncode != 0 and "processor" in refused.stderr and not (tmp_path / "p").exists()
        run_fuite("notify", "processor", "--case", str(case), "--output", str(tmp_path / "p"), "--draft",
                  "--format", "json", check=True)
    finally:
        (case / "case.toml").write_text(original, encoding="utf-8")


def test_one_notice_per_person_signed_by_their_controllers_email_and_letter_exactly_once(layout_case, tmp_path):
    from test_notify_support import Sink, body_text, start_sink

    case, truth = layout_case
    copy = tmp_path / "case"
    subprocess.run(["cp", "-r", str(case), str(copy)], check=True)
    bounced = truth["two_labs"][3]   # a person of Bio Armor and Iroise whose mailbox refuses: a letter
    sink = Sink(refuse={bounced})
    server = start_sink(sink)
    try:
        smtp = f"smtp://127.0.0.1:{server.port}"
        first = run_fuite("notify", "persons", "--case", str(copy), "--smtp", smtp, "--rate", "0", "--letters",
                          str(tmp_path / "letters"), check=True)
        again = run_fuite("notify", "persons", "--case", str(copy), "--smtp", smtp, "--rate", "0", "--letters",
                          str(tmp_path / "letters"), check=True)
    finally:
        server.stop()
    notified = truth["persons"] - truth["unattributed_persons"]
    got = sink.by_recipient()
    assert len(got) == notified - 1 and all(len(msgs) == 1 for msgs in got.values())   # one notice each, once
    assert f"{truth['unattributed_persons']} persons are held by no controller" in first.stderr
    assert "sent 0, failed 0" in again.stderr and len(sink.messages) == notified - 1
    status = json.loads(run_fuite("notify", "status", "--case", str(copy), "--json", check=True).stdout)
    assert status["channels"]["email"]["sent"] == notified - 1 and status["channels"]["letter"]["sent"] == 1
    assert {c["id"]: (c["persons"], c["reached"]) for c in status["controllers"]} == {
        k: (truth[k]["persons"], truth[k]["persons"]) for k in ("armor", "iroise", "mutuelle")}
    assert "Per controller" in run_fuite("notify", "status", "--case", str(copy), check=True).stdout

    two = got[truth["two_labs"][0]][0]           # Bio Armor and Iroise: Iroise signs (signing = ["iroise"])
    text = " ".join(body_text(two).split())
    assert two["From"].addresses[0].addr_spec == "notices@labo-iroise.test"
    assert "détenues par Laboratoire Bio Armor et Labo Iroise" in text and "held by Laboratoire Bio Armor and Labo Iroise" in text
    assert "Labo Iroise, également au nom de Laboratoire Bio Armor" in text
    assert "Labo Iroise, also on behalf of Laboratoire Bio Armor" in text
    assert "dpo@labo-iroise.test" in text and "dpo@bio-armor.test" in text   # each controller's contact
    assert text.index("également au nom") < text.index("ENGLISH VERSION") < text.index("also on behalf")
    html = two.get_body(("html",)).get_content()
    assert "Laboratoire Bio Armor" in html and "Labo Iroise" in html

    armor_mutuelle = got[truth["armor_and_mutuelle"]][0]   # not Iroise's: the case order, Bio Armor first
    text = " ".join(body_text(armor_mutuelle).split())
    assert armor_mutuelle["From"].addresses[0].addr_spec == "notices@bio-armor.test"
    assert "Laboratoire Bio Armor, également au nom de Mutuelle des Abers" in text

    alone = got["patient07@example.org"][0]      # Bio Armor only: its sender, no other controller named
    text = " ".join(body_text(alone).split())
    assert alone["From"].addresses[0].addr_spec == "notices@bio-armor.test"
    assert "au nom de" not in text and "Labo Iroise" not in text and "Bio Armor" in alone["Subject"]
    mutuelle = got["patient36@example.org"][0]   # no sender of its own: [smtp] from
    assert mutuelle["From"].addresses[0].addr_spec == "notifications@bioline-armor.test"
    assert "Mutuelle des Abers" in mutuelle["Subject"]

    (pdf,) = (tmp_path / "letters").glob("letters-*.pdf")
    assert "-iroise-" in pdf.name   # each signer's letters in batches of their own
    letter = _pdf_text(pdf)
    assert letter.startswith("Labo Iroise 9 quai de la Douane")   # the signer's letterhead
    assert "Labo Iroise, également au nom de Laboratoire Bio Armor" in letter
    assert "Labo Iroise, also on behalf of Laboratoire Bio Armor" in letter
    assert letter.count("Madame, Monsieur") + letter.count("Bonjour ") == 1   # one letter


def test_synthetic_previews_of_a_many_controller_case_are_signed_and_name_two_controllers(tmp_path):
    case = tmp_path / "case"
    case.mkdir()
    (case / "case.toml").write_text(MANY_CASE, encoding="utf-8")
    run_fuite("notify", "preview", "--case", str(case), "--out", str(tmp_path / "pv"), "--synthetic", check=True)
    text = " ".join((tmp_path / "pv" / "email.txt").read_text(encoding="utf-8").split())
    assert "Labo Iroise, également au nom de Laboratoire Bio Armor" in text
    assert "Labo Iroise, also on behalf of Laboratoire Bio Armor" in text
