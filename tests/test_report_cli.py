"""`fuite report` on a real encrypted case (tables put through fuite.store), run as the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_fuite, access
from fuite.report import MASKED, build_figures
from fuite.store import open_case
from test_report_figures import hand_built


def make_case(case_dir: Path, drill, severity: bool = True) -> Path:
    with open_case(case_dir, access(), create=True, operator="test") as case:
        for name, table in drill.tables.items():
            if name == "severity" and not severity:
                continue
            case.put_table(name, table)
        if severity:
            case.meta_set("assess.breach", {"level": "very_high", "score": 4.25, "reasons": ["health data"]})
    return case_dir


@pytest.fixture(scope="module")
def drill():
    return hand_built(persons=80, seed=5)


@pytest.fixture(scope="module")
def case(drill, tmp_path_factory) -> Path:
    return make_case(tmp_path_factory.mktemp("report") / "case", drill)


def test_json_to_stdout_is_the_exact_figure_sheet(case, drill):
    proc = run_fuite("report", "--case", str(case), "--format", "json", check=True)
    sheet = json.loads(proc.stdout)
    expected = json.loads(json.dumps(build_figures(**drill.tables, breach={"level": "very_high", "score": 4.25})))
    (only,) = sheet.pop("controllers")   # the stage adds the figures per controller: here the one [controller]
    assert sheet.pop("unattributed")["records"] == 0 and only["persons"] == expected["persons"]
    assert sheet == expected
    assert sheet["persons_hiv"] == 3 and sheet["severity"]["breach_level"] == "very_high"
    assert not [v for v in drill.identifiers if v in proc.stdout + proc.stderr]


def test_json_mask_small(case):
    sheet = json.loads(run_fuite("report", "--case", str(case), "--mask-small", check=True).stdout)
    assert sheet["persons_hiv"] == MASKED
    assert sheet["persons_per_condition"]["addiction"] == MASKED


def test_html_pdf_and_json_files_are_written_and_audited(case, tmp_path, drill):
    for fmt in ("json", "html", "pdf"):
        out = tmp_path / f"report.{fmt}"
        proc = run_fuite("report", "--case", str(case), "--format", fmt, "--lang", "en", "--output", str(out),
                         check=True)
        assert proc.stdout == "" and out.stat().st_size > 1000
        assert not [v for v in drill.identifiers if v in proc.stderr]
    with open_case(case, access()) as c:
        entries = [e for e in c.audit_entries() if e["action"] == "report"]
        assert c.audit_verify() == []
    formats = [json.loads(e["detail"])["format"] for e in entries]
    assert formats[-3:] == ["json", "html", "pdf"]
    assert all(e["records"] == 0 for e in entries)


def test_report_without_severity(drill, tmp_path):
    case = make_case(tmp_path / "case", drill, severity=False)
    sheet = json.loads(run_fuite("report", "--case", str(case), check=True).stdout)
    assert sheet["severity"] is None and sheet["persons"] == 80


@pytest.mark.parametrize(("args", "message"), [
    (("--format", "docx"), "--format must be one of json, html, pdf"),
    (("--format", "html"), "--format html needs --output FILE"),
    (("--lang", "de"), "--lang must be one of fr, en"),
])
def test_usage_errors_are_one_line(case, args, message):
    proc = run_fuite("report", "--case", str(case), *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}")


def test_missing_case_is_one_line(tmp_path):
    proc = run_fuite("report", "--case", str(tmp_path / "nope"))
    assert proc.returncode != 0 and len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("error: no case in")


def test_controller_name_from_the_case_file(drill, tmp_path):
    case = make_case(tmp_path / "case", drill)
    (case / "case.toml").write_text('[controller]\nname = "Laboratoires Test Ouest"\n', encoding="utf-8")
    out = tmp_path / "r.html"
    run_fuite("report", "--case", str(case), "--format", "html", "--output", str(out), check=True)
    assert "Responsable du traitement : <b>Laboratoires Test Ouest</b>" in out.read_text(encoding="utf-8")
    (case / "case.toml").write_text('[controller]\nname = "Laboratoire d\'analyses (à compléter)"\n',
                                    encoding="utf-8")
    run_fuite("report", "--case", str(case), "--format", "html", "--output", str(out), check=True)
    assert "Responsable du traitement" not in out.read_text(encoding="utf-8")
