"""`fuite demo` runs the whole chain on a small drill and leaves nothing behind."""

import json

from conftest import run_fuite


def test_demo_prints_the_report_and_cleans_up(tmp_path):
    proc = run_fuite("demo", "--persons", "300", "--seed", "3", env={"TMPDIR": str(tmp_path)}, check=True)
    report = json.loads(proc.stdout)
    assert abs(report["persons"] - 300) <= 3 and report["records"] > 300
    assert report["severity"]["breach_level"] in ("high", "very_high")
    assert report["persons_hiv"] > 0
    assert list(tmp_path.iterdir()) == [], "the demo left files in the temporary directory"
