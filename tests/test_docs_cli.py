"""Docs are enforced: every command is documented, and the CLI reference matches the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import cli_reference  # noqa: E402


def _docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md") if p.name != "cli.md")


@pytest.mark.parametrize("command", cli_reference.commands())
def test_every_command_has_a_doc_page(command):
    assert f"fuite {command}" in _docs_text(), f"`fuite {command}` is not documented under docs/"


def test_cli_reference_is_current():
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == cli_reference.render(), "docs/cli.md is stale: python scripts/cli_reference.py > docs/cli.md"


def test_readme_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    blocks = [lines[i + 1] for i, line in enumerate(lines[:20]) if line.startswith("```bash")]
    assert blocks[0].endswith("fuite demo") and "pytest" in blocks[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "install.sh" in ci and "pytest" in ci


def test_help_never_tracebacks():
    proc = subprocess.run([sys.executable, "-m", "fuite.cli", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "scan" in proc.stdout
