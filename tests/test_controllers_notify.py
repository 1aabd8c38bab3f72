"""Per-controller CNIL drafts, the processor's notice to each controller, one notice per person signed by
that person's controllers (email and letter), the ledger exactly-once; on the independent layout."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import run_fuite
from controllers_support import MANY_CASE, write_layout
from test_notify_support import FILLED_CASE


@pytest.fixture(scope="module")
def layout_case(tmp_path_factory):
    root = tmp_path_factory.mktemp("controllers_notify")
    truth = write_layout(root / "leak")
    case = root / "case"
    run_fuite("scan", str(root / "leak"), "--case", str(case), check=True)
    (case / "case.toml").write_text(MANY_CASE, encoding="utf-8")
    return case, truth


def _pdf_text(path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def test_one_cnil_draft_per_controller_with_its_counts_agreeing_with_the_report(layout_case, tmp_path):
    case, truth = layout_case
    run_fuite("notify", "cnil", "--case", str(case), "--output", str(tmp_path / "cnil"), "--format", "json,html",
              check=True)
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
