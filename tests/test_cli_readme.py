"""The README's drill runs top to bottom: its lines, parsed from README.md, on a small drill.

Every `fuite` command runs in this process (as `fuite.cli.run`), except `fuite serve ... &`, which is started for real
in the background on a free loopback port and stopped at `kill %1`. The editor line opens case.toml with a stand-in
editor that fills in the controller, as a person would.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_fuite

#: The drill's size in the README, replaced by this one here.
SMALL = "400"

#: A stand-in for $EDITOR: fills in the facts a person would (those bench/e2e.py writes), for a controller named below.
EDITOR = """import pathlib, sys, time
sys.path.insert(0, {bench!r})
from e2e import CASE_FACTS
discovered = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
text = CASE_FACTS.format(discovered=discovered, smtp="smtp://127.0.0.1:1")
text = text.replace("Laboratoire d'exercice", "Laboratoire Exemple")
assert "Laboratoire Exemple" in text, "bench/e2e.py names no controller to rename"
pathlib.Path(sys.argv[1]).write_text(text, encoding="utf-8")
""".format(bench=str(ROOT / "bench"))


def readme_drill() -> list[str]:
    """The shell lines of the README block that follows "A drill, step by step", comments removed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("A drill, step by step", 1)[1].split("```bash\n", 1)[1].split("\n```", 1)[0]
    return [line for line in (_strip_comment(raw) for raw in block.splitlines()) if line]


def _strip_comment(line: str) -> str:
    """The line without its trailing comment (the README aligns comments two spaces or more after the command)."""
    return "" if line.lstrip().startswith("#") else line.split("  #", 1)[0].strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, proc: subprocess.Popen) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise AssertionError(f"fuite serve exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("fuite serve did not start listening")


class Drill:
    """Runs the README's lines in ``folder`` the way a shell would, for the few shapes the README uses."""

    def __init__(self, folder: Path, editor: Path):
        self.folder, self.env, self.background, self.port = folder, {}, None, _free_port()
        self.editor = editor
        self.ran: list[str] = []
        self.check_json: dict | None = None

    def line(self, line: str) -> None:
        if line.startswith("export "):
            name, value = shlex.split(line[len("export "):])[0].split("=", 1)
            self.env[name] = value
        elif line == "kill %1":
            self.stop()
        elif line.endswith("&"):
            self.start(shlex.split(line[:-1]))
        else:
            for part in line.split(" && "):
                self.command(shlex.split(part))

    def command(self, words: list[str]) -> None:
        self.ran.append(words[0] if words[0] != "fuite" else " ".join(words[:2]))
        if words[0] == "${EDITOR:-vi}":
            subprocess.run([sys.executable, str(self.editor), *words[1:]], cwd=self.folder, check=True)
            return
        assert words[0] == "fuite", f"the README drill runs something else than fuite: {words}"
        args = [SMALL if prev == "--persons" else w for prev, w in zip([""] + words, words)][1:]
        args = [w.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}") for w in args]
        proc = run_fuite(*args, env=self.env, cwd=self.folder)
        assert proc.returncode == 0, f"`{' '.join(words)}` exited {proc.returncode}: {proc.stderr[-2000:]}"
        if args[0] == "check":   # the same question, as a script asks it
            self.check_json = json.loads(run_fuite(*args, "--json", env=self.env, cwd=self.folder).stdout)

    def start(self, words: list[str]) -> None:
        assert words[:2] == ["fuite", "serve"] and self.background is None
        self.ran.append("fuite serve &")
        env = {**os.environ, **self.env, "PYTHONPATH": str(ROOT)}
        self.background = subprocess.Popen([sys.executable, "-m", "fuite.cli", *words[1:], "--port", str(self.port)],
                                           cwd=self.folder, env=env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.PIPE, text=True)
        _wait_for(self.port, self.background)

    def stop(self) -> None:
        assert self.background is not None, "kill %1 without a background job"
        self.background.terminate()
        self.background.wait(timeout=60)
        self.background.stderr.close()
        self.background = None


def test_the_readme_drill_runs_top_to_bottom(tmp_path):
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR, encoding="utf-8")
    folder = tmp_path / "drill-folder"
    folder.mkdir()
    drill = Drill(folder, editor)
    try:
        for line in readme_drill():
            drill.line(line)
    finally:
        if drill.background is not None:
            drill.stop()
    assert drill.ran == ["fuite synth", "fuite scan", "fuite case", "${EDITOR:-vi}", "fuite case", "fuite assess",
                         "fuite notify", "fuite notify", "fuite notify", "fuite lookup", "fuite serve &", "fuite check",
                         "fuite report", "fuite audit", "fuite purge"]
    assert (folder / "lookup.key").stat().st_mode & 0o077 == 0, "the lookup key is not in the drill's folder"
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    assert drill.check_json["member"] is False and drill.check_json["exposed"] == []
    assert "advice" in drill.check_json["guidance"]
    assert len(drill.check_json["key_id"]) == 16
    cnil_json = next((folder / "cnil").glob("*.json")).read_text(encoding="utf-8")
    assert "Laboratoire Exemple" in cnil_json, "the edited case file did not reach the CNIL draft"
    assert not any((folder / "case").glob("*")), "purge left files in the case folder"


@pytest.mark.parametrize("line, expected", [
    ("fuite scan drill/leak --case case                    # ingest", "fuite scan drill/leak --case case"),
    ("export FUITE_KEY='a long passphrase'   # or", "export FUITE_KEY='a long passphrase'"),
    ('"${EDITOR:-vi}" case/case.toml   # fill it in ("à compléter")', '"${EDITOR:-vi}" case/case.toml'),
    ("# only a comment", ""),
])
def test_comments_are_stripped_and_quotes_kept(line, expected):
    assert _strip_comment(line) == expected
