"""`fuite report` on the scanned drill (the lead's fixtures): consistent with the exports, and no drill identifier
in the HTML (read back by Chromium when present) or the PDF (read back by pdftotext when present)."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_fuite
from fuite.report import MASKED
from fuite.report.masking import is_small
from fuite.taxonomy import SPECIAL_CONDITIONS, get
from test_report_document import page_text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reports(scanned_case, tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("drill-report")
    out = {"json": work / "report.json", "html": work / "report.html", "pdf": work / "report.pdf"}
    for fmt, path in out.items():
        run_fuite("report", "--case", str(scanned_case), "--format", fmt, "--output", str(path), check=True)
    return out


def _identifiers(drill: Path) -> tuple[list[str], list[str]]:
    """(values that must never appear anywhere, last names that must not appear as whole words)."""
    with open(drill / "answer_key" / "persons.csv", newline="", encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))
    exact = [v for p in people for v in (p["nir"], p["email"], p["phone"],
                                         f"{p['first_name']} {p['last_name']}", f"{p['last_name']} {p['first_name']}")
             if v and len(v.strip()) >= 5]
    return exact, sorted({p["last_name"] for p in people if len(p["last_name"]) >= 4})


def _leaks(text: str, drill: Path) -> list[str]:
    exact, last_names = _identifiers(drill)
    hits = [v for v in exact if v in text or v.upper() in text]
    hits += [n for n in last_names if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)]
    return hits


def test_json_agrees_with_the_exports(scanned_case, reports, tmp_path):
    sheet = json.loads(reports["json"].read_text(encoding="utf-8"))
    records_csv, persons_csv = tmp_path / "records.csv", tmp_path / "persons.csv"
    run_fuite("export", "records", "--case", str(scanned_case), "--output", str(records_csv), check=True)
    run_fuite("export", "persons", "--case", str(scanned_case), "--output", str(persons_csv), check=True)
    with open(records_csv, newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    with open(persons_csv, newline="", encoding="utf-8") as fh:
        persons = list(csv.DictReader(fh))
    assert sheet["records"] == len(records) == sum(f["rows_read"] for f in sheet["files"].values())
    assert sheet["persons"] == len(persons)
    assert sheet["persons_hiv"] == sum(p["hiv"] == "1" for p in persons)
    assert sheet["persons_health"] == sum(p["health"] == "1" for p in persons)
    per_file = {}
    for r in records:
        per_file[r["file"]] = per_file.get(r["file"], 0) + 1
    assert {f: e["rows_read"] for f, e in sheet["files"].items()} == per_file
    for cid, n in sheet["persons_per_category"].items():
        assert n == sum(cid in p["categories"].split(";") for p in persons), cid


def test_no_drill_identifier_in_json_html_pdf(small_drill, reports):
    assert _leaks(reports["json"].read_text(encoding="utf-8"), small_drill) == []
    assert _leaks(page_text(reports["html"].read_text(encoding="utf-8")).text, small_drill) == []
    assert _leaks(reports["html"].read_text(encoding="utf-8"), small_drill) == []
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(reports["pdf"]), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Catégories de données exposées" in text
        assert _leaks(text, small_drill) == []


def test_small_counts_masked_in_the_drill_report(reports):
    sheet = json.loads(reports["json"].read_text(encoding="utf-8"))
    page = page_text(reports["html"].read_text(encoding="utf-8"))
    rows = {r[0]: r for r in page.rows if r}
    small = [(SPECIAL_CONDITIONS[k][0], n) for k, n in sheet["persons_per_condition"].items()]
    small += [(get(c).fr, n) for c, n in sheet["persons_per_category"].items() if n and c != "other"]
    for label, n in small:
        cells = rows[label]
        shown = cells[2] if len(cells) == 4 else cells[1]
        assert shown == (MASKED if is_small(n) else f"{n:,}".replace(",", "\u202f")), label


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium is not installed (apt-get install chromium)")
def test_chromium_reads_the_drill_report(small_drill, reports):
    proc = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--proxy-server=127.0.0.1:9", "--dump-dom", reports["html"].as_uri()],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0
    text = page_text(proc.stdout).text
    assert "Synthèse" in text and "Sources" in text
    assert _leaks(text, small_drill) == []
