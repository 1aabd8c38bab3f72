"""`fuite demo`: a small drill, scanned into a temporary encrypted case, assessed, reported, then destroyed."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from fuite.console import err, out


def run_demo(persons: int = 3000, seed: int = 0) -> dict:
    """Run the whole chain on synthetic data in a temporary folder; return the JSON report."""
    from fuite.assess.stage import assess_case
    from fuite.report import json_report
    from fuite.scan import scan_paths
    from fuite.store import open_case, purge
    from fuite.synth import generate

    with tempfile.TemporaryDirectory(prefix="fuite-demo-") as tmp:
        drill, case_dir = Path(tmp) / "drill", Path(tmp) / "case"
        err.print(f"synthesising a drill of {persons} persons…")
        generate(drill, persons=persons, seed=seed)
        previous = os.environ.get("FUITE_KEY")
        os.environ["FUITE_KEY"] = secrets.token_urlsafe(24)  # a throw-away key for a throw-away case
        try:
            with open_case(case_dir, create=True, operator="demo") as case:
                err.print("scanning it into an encrypted case…")
                scan_paths(case, [drill / "leak"])
                err.print("assessing severity (ENISA 2013)…")
                assess_case(case)
                report = json_report(case)
            purge(case_dir)
        finally:
            if previous is None:
                os.environ.pop("FUITE_KEY", None)
            else:
                os.environ["FUITE_KEY"] = previous
    out.print_json(data=report)
    return report
