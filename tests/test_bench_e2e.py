"""bench/e2e.py runs the whole response at a small size, so that the figure issue 16 is judged by cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_e2e_bench_runs_every_step_and_delivers():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "e2e.py"), "--persons", "300", "--json",
                           "--sink", "aiosmtpd"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    names = [s["step"] for s in result["steps"]]
    assert names == ["synth", "scan", "resolve", "case init", "assess", "notify cnil", "lookup build", "report",
                     "emails", "letters"]
    steps = {s["step"]: s for s in result["steps"]}
    assert all(s["wall_s"] > 0 and s["cpu_s"] > 0 and s["peak_gb"] > 0 for s in steps.values())
    assert all(s["largest_process_gb"] > 0 for s in steps.values())
    assert result["total_wall_s"] == pytest.approx(sum(s["wall_s"] for s in steps.values()))
    assert result["response_wall_s"] == pytest.approx(result["total_wall_s"] - steps["synth"]["wall_s"])
    assert steps["scan"]["rows"] > 300
    assert steps["emails"]["emails"] == steps["letters"]["emails_received"] > 150
    assert steps["letters"]["letters"] >= 1 and steps["letters"]["letter_files"] >= 1
    assert result["sink"]["kind"] == "aiosmtpd" and result["sink"]["received"] == steps["emails"]["emails"]
    assert result["sink"]["cpu_s"] > 0
