"""`fuite demo` runs the whole chain on a small drill, summarises it, and leaves nothing behind."""

import json

import pytest

from conftest import run_fuite_process
from fuite.scan.demo import summary_lines


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo-tmp")
    # a real process: what it leaves behind after it exits is the point
    proc = run_fuite_process("demo", "--persons", "300", "--seed", "3", "--json", env={"TMPDIR": str(tmp)}, check=True)
    return proc, tmp


def test_demo_json_is_the_full_report_and_cleans_up(demo_run):
    proc, tmp = demo_run
    report = json.loads(proc.stdout)
    assert abs(report["persons"] - 300) <= 3 and report["records"] > 300
    assert report["severity"]["breach_level"] in ("high", "very_high")
    assert report["persons_hiv"] > 0
    assert list(tmp.iterdir()) == [], "the demo left files in the temporary directory"


def test_demo_summary_is_short_and_names_what_matters(demo_run):
    report = json.loads(demo_run[0].stdout)
    lines = summary_lines(report)
    text = "\n".join(lines)
    assert len(text) < 1500 and len(lines) == 6
    assert lines[0].startswith(f"persons:    {report['persons']:,} distinct persons in {report['records']:,} records")
    assert "with HIV-related data" in lines[0] and f"{report['persons_hiv']:,}" in lines[0]
    assert lines[1].startswith("categories: ") and lines[2].startswith("conditions: ")
    assert f"hiv {report['persons_per_condition']['hiv']:,}" in lines[2]
    assert report["severity"]["breach_level"].replace("_", " ") in lines[3]
    assert lines[4].startswith(f"files:      {len(report['files'])} files, ")
