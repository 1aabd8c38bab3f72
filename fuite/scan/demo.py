"""`fuite demo`: a small drill, scanned into a temporary encrypted case, assessed, reported, then destroyed."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from fuite.readable import format_count

#: Categories listed by name in the summary (the others are counted).
SUMMARY_CATEGORIES = 6


def run_demo(persons: int = 3000, seed: int = 0, say=lambda message: None) -> dict:
    """Run the whole chain on synthetic data in a temporary folder; return the JSON report (``say``: progress)."""
    from fuite.assess.stage import assess_case
    from fuite.report import json_report
    from fuite.scan import scan_paths
    from fuite.store import Access, open_case, purge
    from fuite.store.secrets_source import passphrase
    from fuite.synth import generate

    # a throw-away key for a throw-away case; its audit witness stays inside the temporary folder
    with tempfile.TemporaryDirectory(prefix="fuite-demo-") as tmp:
        drill, case_dir = Path(tmp) / "drill", Path(tmp) / "case"
        access = Access(passphrase(secrets.token_urlsafe(24)), state_dir=Path(tmp) / "state", command="fuite demo")
        say(f"synthesising a drill of {format_count(persons)} persons…")
        generate(drill, persons=persons, seed=seed)
        with open_case(case_dir, access, create=True, operator="demo") as case:
            say("scanning it into an encrypted case…")
            scan_paths(case, [drill / "leak"])
            say("assessing severity (ENISA 2013)…")
            assess_case(case)
            report = json_report(case)
        purge(case_dir)
    return report


def _counted(counts: dict, limit: int | None = None) -> str:
    present = sorted(((n, k) for k, n in counts.items() if n), reverse=True)
    shown = ", ".join(f"{k.replace('_', ' ')} {format_count(n)}" for n, k in present[:limit])
    more = len(present) - len(present[:limit])
    return (shown + (f" and {more} more" if more > 0 else "")) or "none"


def summary_lines(report: dict) -> list[str]:
    """A short human summary of the demo's report: persons, records, categories, conditions, severity, files."""
    n = format_count
    severity = report.get("severity") or {}
    levels = ", ".join(f"{level.replace('_', ' ')} {n(severity.get(level, 0))}"
                       for level in ("low", "medium", "high", "very_high"))
    files = report.get("files", {})
    tables = sum(f.get("tables", 0) for f in files.values())
    return [
        f"persons:    {n(report['persons'])} distinct persons in {n(report['records'])} records "
        f"({n(report['persons_health'])} with health data, {n(report['persons_hiv'])} with HIV-related data)",
        f"categories: {_counted(report['persons_per_category'], SUMMARY_CATEGORIES)}",
        f"conditions: {_counted(report['persons_per_condition'])}",
        f"severity:   {str(severity.get('breach_level') or 'not assessed').replace('_', ' ')} "
        f"(ENISA score {severity.get('breach_score')}); persons per level: {levels}",
        f"files:      {n(len(files))} files, {n(tables)} tables, "
        f"{n(report['quality']['rows_quarantined'])} rows quarantined",
        "The case was purged. `fuite demo --json` prints the full report; docs/report.md explains its keys.",
    ]
