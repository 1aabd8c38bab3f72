"""Shared fixtures: a test passphrase, a small synthetic drill, a fresh case folder."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

TEST_PASSPHRASE = "correct horse battery staple"
os.environ["FUITE_KEY"] = TEST_PASSPHRASE
os.environ.pop("FUITE_KEY_FILE", None)
#: the audit witnesses of every case the tests create, in-process or through the CLI (never the user's own)
#: (set once: conftest may be imported twice, as ``conftest`` and as ``tests.conftest``)
if "FUITE_TEST_STATE_HOME" not in os.environ:
    os.environ["FUITE_TEST_STATE_HOME"] = tempfile.mkdtemp(prefix="fuite-test-state-")
os.environ["XDG_STATE_HOME"] = os.environ["FUITE_TEST_STATE_HOME"]
STATE_DIR = Path(os.environ["XDG_STATE_HOME"]) / "fuite"

ROOT = Path(__file__).resolve().parents[1]


def access(secret: str = TEST_PASSPHRASE, command: str = "test"):
    """What ``open_case`` needs in a test: the test passphrase and the tests' witness folder."""
    from fuite.store import Access
    from fuite.store.secrets_source import passphrase

    return Access(passphrase(secret), STATE_DIR, command)


SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def small_drill(tmp_path_factory) -> Path:
    """A ~300-person drill written by ``fuite.synth.generate``: ``leak/`` and ``answer_key/``."""
    from fuite.synth import generate

    out = tmp_path_factory.mktemp("drill")
    generate(out, persons=300, seed=7)
    return out


@pytest.fixture(scope="session")
def scanned_case(small_drill, tmp_path_factory) -> Path:
    """The small drill scanned (and resolved) into an encrypted case; treat it as read-only."""
    case_dir = tmp_path_factory.mktemp("scanned") / "case"
    run_fuite("scan", str(small_drill / "leak"), "--case", str(case_dir), check=True)
    return case_dir


@pytest.fixture
def case_dir(tmp_path) -> Path:
    return tmp_path / "case"


def run_fuite(*args: str, check: bool = False, env: dict | None = None, cwd: Path | None = None,
              input: str | None = None) -> subprocess.CompletedProcess:
    """Run ``fuite`` in this process, as the command line does (``fuite.cli.run``): stdout, stderr, exit code.

    Output is not a terminal, as in a pipe. Use ``run_fuite_process`` when the process itself is the point.
    """
    import tempfile

    from typer.testing import CliRunner

    from fuite.cli import run

    previous_dir, previous_tmp = Path.cwd(), tempfile.tempdir
    with CliRunner().isolation(input=input, env=env) as (stdout, stderr, _):
        try:
            if env and "TMPDIR" in env:
                tempfile.tempdir = env["TMPDIR"]
            if cwd is not None:
                os.chdir(cwd)
            code = run(list(args))
        finally:
            os.chdir(previous_dir)
            tempfile.tempdir = previous_tmp
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = (s.getvalue().decode("utf-8", "replace") for s in (stdout, stderr))
    proc = subprocess.CompletedProcess(["fuite", *args], code, out, err)
    if check and code != 0:
        raise AssertionError(f"fuite {' '.join(args)} failed ({code}):\n{err[-3000:]}")
    return proc


def run_fuite_process(*args: str, check: bool = False, env: dict | None = None, cwd: Path | None = None,
                      input: str | None = None) -> subprocess.CompletedProcess:
    """Run the real ``fuite`` command in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "fuite.cli", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, input=input, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"fuite {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture
def fuite_cli():
    return run_fuite
