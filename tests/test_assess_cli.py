"""`fuite assess` on a real encrypted case: Rich tables, counts only, the severity table stored and audited."""

from __future__ import annotations

import json

from test_notify_support import PEOPLE, new_case

from conftest import run_fuite, access


def test_assess_prints_breach_and_distribution_without_identifiers(tmp_path):
    new_case(tmp_path / "case").close()
    proc = run_fuite("assess", "--case", str(tmp_path / "case"), check=True)
    assert "DPC" in proc.stdout and "very high" in proc.stdout and "Persons per level" in proc.stdout
    for person in PEOPLE:
        for field in ("last_name", "email", "nir", "phone"):
            if person.get(field):
                assert person[field] not in proc.stdout + proc.stderr
    as_json = json.loads(run_fuite("assess", "--case", str(tmp_path / "case"), "--json", check=True).stdout)
    assert as_json["persons"] == len(PEOPLE) and sum(as_json["distribution"].values()) == len(PEOPLE)

    from fuite.store import open_case
    with open_case(tmp_path / "case", access()) as case:
        severity = case.get_table("severity")
        actions = [e["action"] for e in case.audit_entries()]
    assert severity.num_rows == len(PEOPLE) and actions.count("assess") == 2


def test_assess_without_persons_is_a_one_line_error(tmp_path):
    from fuite.store import open_case
    open_case(tmp_path / "case", access(), create=True).close()
    proc = run_fuite("assess", "--case", str(tmp_path / "case"))
    assert proc.returncode == 4 and "no persons" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_case_file_names_the_key(tmp_path):
    new_case(tmp_path / "case", case_toml='[breach]\nconfidentiality = "everyone"\n').close()
    proc = run_fuite("assess", "--case", str(tmp_path / "case"))
    assert proc.returncode == 2
    assert "breach.confidentiality" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
