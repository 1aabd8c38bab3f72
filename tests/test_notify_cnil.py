"""The CNIL draft: every section of the online form, figures from the case, the 72-hour deadline, no identifiers."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime, timedelta

import pyarrow as pa
from pypdf import PdfReader
from test_notify_support import FILLED_CASE, PEOPLE, new_case, persons_table

from conftest import run_fuite
from fuite.assess.rules import Circumstances
from fuite.assess.severity import assess_breach
from fuite.store.casefile import PARIS, parse_case_file
from fuite.notify.cnil import SECTIONS, build_cnil_draft

CF = parse_case_file(tomllib.loads(FILLED_CASE.replace("2026-03-02T10:15:00+01:00", "2021-02-23T09:00:00+01:00")))
RECORDS = pa.table({"categories": ["last_name;first_name;nir", "last_name;blood_group", None, "email"]})
SOURCES = pa.table({"file": ["a.csv", "b.xlsx", "b.xlsx"]})


def _draft(cf=CF, now=None):
    breach = assess_breach(persons_table(), Circumstances.of(cf))
    return build_cnil_draft(breach, cf, records=RECORDS, sources=SOURCES, now=now,
                            channels={"email": 3, "letter": 2, "none": 1})


def test_every_section_of_the_form_is_there():
    draft = _draft()
    assert [key for key, _ in SECTIONS] == [k for k in draft if k != "a_completer"]
    d = draft["donnees"]
    assert d["nombre_personnes"] == len(PEOPLE) and d["nombre_enregistrements"] == 4 and d["fichiers_sources"] == 2
    cats = {c["id"]: c for c in d["categories_donnees"]}
    assert cats["nir"]["personnes"] == 2 and cats["nir"]["enregistrements"] == 1
    assert cats["blood_group"]["sensible"] and not cats["email"]["sensible"]
    assert d["donnees_sensibles"]["vih"] == 1 and d["donnees_sensibles"]["nir"] == 2
    assert draft["consequences"]["gravite"] == "maximale"
    assert any("Hameçonnage" in c for c in draft["consequences"]["probables"])
    assert draft["information"]["par_courrier"] == 2


def test_deadline_within_and_passed():
    discovered = CF.breach.discovered_at
    within = _draft(now=discovered + timedelta(hours=10))["chronologie"]
    assert not within["delai_depasse"] and within["heures_restantes"] == 62
    late = _draft(now=discovered + timedelta(hours=80))["chronologie"]
    assert late["delai_depasse"] and late["heures_de_retard"] == 8
    assert late["echeance_72h"] == "26/02/2021 09:00"


def test_complementary_notification_and_missing_facts():
    cf = parse_case_file({"notification": {"kind": "complementary"}, "breach": {"discovered_at": ""}})
    draft = _draft(cf, now=datetime(2021, 3, 1, tzinfo=PARIS))
    assert draft["notification"]["type"] == "Notification complémentaire"
    assert "notification.previous_reference" in draft["a_completer"]
    assert "breach.discovered_at" in draft["a_completer"]
    assert draft["chronologie"]["echeance_72h"] == "" and not draft["chronologie"]["delai_depasse"]


def test_cli_writes_html_pdf_json_without_identifiers(tmp_path):
    new_case(tmp_path / "case").close()
    out = tmp_path / "out"
    proc = run_fuite("notify", "cnil", "--case", str(tmp_path / "case"), "--output", str(out), check=True)
    assert "72-hour deadline passed" in proc.stderr      # the template's discovery date is in 2021
    data = json.loads((out / "cnil-notification.json").read_text(encoding="utf-8"))
    assert data["donnees"]["nombre_personnes"] == len(PEOPLE)
    html = (out / "cnil-notification.html").read_text(encoding="utf-8")
    pdf = "\n".join(p.extract_text() for p in PdfReader(str(out / "cnil-notification.pdf")).pages)
    for title in (t for _, t in SECTIONS):
        assert title in html
    assert "Notification initiale" in pdf and "délai dépassé" in pdf and "Numéro de sécurité sociale" in pdf
    for person in PEOPLE:
        for field in ("last_name", "first_name", "email", "nir", "phone", "street"):
            value = person.get(field)
            if value and len(value) > 5:
                assert value not in html and value not in pdf and value not in json.dumps(data, ensure_ascii=False)
    only_json = run_fuite("notify", "cnil", "--case", str(tmp_path / "case"), "--output", str(tmp_path / "j"),
                          "--format", "json", check=True)
    assert [p.name for p in (tmp_path / "j").iterdir()] == ["cnil-notification.json"] and only_json.stdout
    bad = run_fuite("notify", "cnil", "--case", str(tmp_path / "case"), "--output", str(out), "--format", "doc")
    assert bad.returncode == 2 and "--format" in bad.stderr
