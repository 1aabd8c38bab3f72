"""Issue 8: a full cycle leaves no identifier in clear anywhere but in explicit exports."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from conftest import STATE_DIR, run_fuite


def _sample_identifiers(drill: Path, n: int = 40) -> list[str]:
    with open(drill / "answer_key" / "persons.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:n]
    values = []
    for r in rows:
        values += [r["nir"], r["email"], r["phone"], r["last_name"]]
    return [v for v in values if v and len(v) >= 5]


def _files_under(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def _found(values: list[str], files: list[Path]) -> list[tuple[str, str]]:
    hits = []
    for path in files:
        data = path.read_bytes()
        for variant in {v for value in values for v in (value, value.upper(), value.lower())}:
            for enc in ("utf-8", "utf-16-le", "latin-1"):
                try:
                    needle = variant.encode(enc)
                except UnicodeEncodeError:
                    continue
                if needle in data:
                    hits.append((path.name, enc))
    return hits


@pytest.mark.slow
def test_full_cycle_leaves_nothing_in_clear(small_drill, tmp_path):
    work, tmp, case = tmp_path / "work", tmp_path / "tmp", tmp_path / "case"
    work.mkdir(), tmp.mkdir()
    env = {"TMPDIR": str(tmp), "FUITE_LOOKUP_KEY_FILE": str(tmp_path / "lookup.key")}
    leak = small_drill / "leak"
    steps = [
        ("scan", str(leak), "--case", str(case)),
        ("resolve", "--case", str(case)),
        ("assess", "--case", str(case)),
        ("notify", "persons", "--case", str(case), "--dry-run"),
        ("lookup", "build", "--case", str(case), "--out", str(work / "index.fuite")),
        ("report", "--case", str(case), "--format", "json", "--output", str(work / "report.json")),
        ("report", "--case", str(case), "--format", "html", "--output", str(work / "report.html")),
        ("audit", "--case", str(case)),
    ]
    logs = []
    for step in steps:
        proc = run_fuite(*step, env=env, cwd=work)
        assert proc.returncode == 0, f"{step[0]}: {proc.stderr[-2000:]}"
        logs.append(proc.stdout + proc.stderr)
    values = _sample_identifiers(small_drill)
    assert values
    assert _found(values, _files_under(case, tmp, work, STATE_DIR)) == []   # the audit witness too
    joined = "\n".join(logs)
    assert not [v for v in values if v in joined], "an identifier reached a console log"
    # exports do write identifiers, in the known place the user asked for, and we remove them
    export = tmp_path / "persons.csv"
    assert run_fuite("export", "persons", "--case", str(case), "--output", str(export), env=env).returncode == 0
    assert _found(values, [export]) and _found(values, _files_under(case, tmp, work)) == []
    export.unlink()
    os.sync()
