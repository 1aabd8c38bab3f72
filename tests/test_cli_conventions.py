"""The conventions every command shares (docs/cli.md): --version and -h, help types, --json, output off a
terminal, escaped leaked names, and one exit-code table."""

from __future__ import annotations

import json
import re
import shutil
import sys

import pytest
from typer.testing import CliRunner

import fuite
from conftest import ROOT, access, run_fuite
from fuite import errors
from fuite.cli import command, walk
from fuite.console import json_text, shown
from fuite.readable import format_count, format_duration

BOX = re.compile("[\u2500-\u257f\u2580-\u259f]")   # box drawing and block elements
HOSTILE = "evil\x1b[2J\n[red]forged\u202e\x9b.xlsx"


@pytest.fixture(scope="module")
def case(scanned_case, tmp_path_factory):
    """A writable copy of the scanned small drill (commands add audit entries)."""
    copy = tmp_path_factory.mktemp("conventions") / "case"
    shutil.copytree(scanned_case, copy)
    return copy


@pytest.fixture(scope="module")
def unresolved(case, tmp_path_factory):
    """The same case as if scanned with --no-resolve: records, no persons."""
    from fuite.store import open_case

    copy = tmp_path_factory.mktemp("unresolved") / "case"
    shutil.copytree(case, copy)
    with open_case(copy, access()) as c:
        for name in ("persons", "links", "severity"):
            if c.has_table(name):
                c.drop_table(name)
    return copy


def _help(*path: str, terminal: bool) -> str:
    with CliRunner().isolation() as (stdout, _, _):
        command(terminal=terminal).main([*path, "--help"], prog_name="fuite", standalone_mode=False)
        sys.stdout.flush()
        return stdout.getvalue().decode()


# --- flags ------------------------------------------------------------------------------------------------------

def test_version_flag_and_command():
    for args in (["--version"], ["version"]):
        proc = run_fuite(*args)
        assert proc.returncode == 0 and proc.stdout == f"fuite {fuite.__version__}\n"


@pytest.mark.parametrize("args", [["-h"], ["scan", "-h"], ["notify", "status", "-h"], ["lookup", "-h"]])
def test_h_is_help(args):
    proc = run_fuite(*args)
    assert proc.returncode == 0 and proc.stdout.startswith("Usage: fuite")


COMMANDS = [path[1:] for path, _ in walk(command(terminal=False))][1:]


@pytest.mark.parametrize("terminal", [False, True])
def test_help_types_read_as_a_person_writes_them(terminal):
    for path in COMMANDS:
        text = _help(*path, terminal=terminal)
        for bad in ("<list[", "{paths}", "<path>", "<str>", "<int>", "<float>", "<bool>", "int,int"):
            assert bad not in text, f"`fuite {' '.join(path)} --help` shows {bad}"
    scan = _help("scan", terminal=False)
    assert "Usage: fuite scan [OPTIONS] PATH..." in scan and "--case PATH" in scan and "--encoding TEXT" in scan
    assert "--records N N" in _help("explain-person", terminal=False)


def test_help_off_a_terminal_is_plain_and_unwrapped():
    text = _help("notify", "persons", terminal=False)
    assert not BOX.search(text)
    line = next(li for li in text.splitlines() if "--journal" in li)
    assert line.rstrip().endswith("to settle in-doubt notices exactly.")


# --- --json -----------------------------------------------------------------------------------------------------

JSON_COMMANDS = {
    "persons": (["persons"], {"records", "persons", "cluster_sizes"}),
    "quarantine": (["quarantine"], None),
    "assess": (["assess"], {"score", "persons"}),
    "audit": (["audit"], {"intact", "entries", "problems"}),
    "notify status": (["notify", "status"], {"persons", "not_planned", "channels"}),
    "notify persons": (["notify", "persons", "--dry-run"], {"rendered", "sent", "failed"}),
    "explain-person": (["explain-person", "--person", "0"], {"records", "links"}),
}


@pytest.mark.parametrize("name", list(JSON_COMMANDS))
def test_json_parses_with_its_stable_keys(case, name):
    args, keys = JSON_COMMANDS[name]
    proc = run_fuite(*args, "--case", str(case), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    if keys is None:
        assert isinstance(data, list) and all({"kind", "file", "reason"} <= set(e) for e in data)
    else:
        assert keys <= set(data), f"{name} --json lacks {keys - set(data)}"


def test_scan_json_and_exit_codes_on_hostile_names(small_drill, tmp_path):
    leak = tmp_path / "leak"
    shutil.copytree(small_drill / "leak", leak)
    (leak / HOSTILE).write_bytes(b"PK\x03\x04 a damaged zip archive")
    case_dir = tmp_path / ("a-case-folder-with-a-long-name-" * 4)
    proc = run_fuite("scan", str(leak), "--case", str(case_dir), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["unreadable_files"] == 1 and summary["records"] > 0 and summary["persons"] > 0
    assert summary["problems"][0]["file"] == HOSTILE                    # exact in JSON, escaped on the wire
    for stream in (proc.stdout, proc.stderr):
        assert not set("\x1b\x9b\u202e") & set(stream)
    assert "skipped evil\\x1b[2J\\n[red]forged\\u202e\\x9b.xlsx: " in proc.stderr  # markup shown as written
    advice = next(line for line in proc.stderr.splitlines() if "fuite quarantine" in line)
    assert f"`fuite quarantine --case {case_dir}`" in advice, "the advice was wrapped or cut"
    listing = run_fuite("quarantine", "--case", str(case_dir))
    assert "evil\\x1b[2J\\n" in listing.stdout and "\x1b" not in listing.stdout and not BOX.search(listing.stdout)


def test_tables_off_a_terminal_have_no_box_drawing(case):
    proc = run_fuite("persons", "--case", str(case))
    assert proc.returncode == 0 and "records per person" in proc.stdout.lower() and not BOX.search(proc.stdout)


# --- exit codes -------------------------------------------------------------------------------------------------

def test_exit_code_table_is_the_documented_one():
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for code, meaning in errors.EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in doc
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.FuiteError)]
    assert {c.exit_code for c in classes} <= set(errors.EXIT_CODES)


@pytest.mark.parametrize("signum, code, line", [("SIGTERM", 143, "error: stopped by SIGTERM"),
                                                ("SIGINT", 130, "error: interrupted")])
def test_sigterm_and_ctrl_c_stop_in_one_line(signum, code, line):
    """A service manager's SIGTERM or a Ctrl-C stops a command cleanly: one line, no traceback, the documented code."""
    import signal
    import socket
    import subprocess

    with socket.create_server(("127.0.0.1", 0)) as server:   # accepts, then never answers
        server.settimeout(60)
        port = server.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "fuite", "check", "--server",
                                 f"http://127.0.0.1:{port}", "--email", "a@exemple.fr", "--birth-date", "1980-01-01"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        connection, _ = server.accept()   # the command is now waiting on the server
        proc.send_signal(getattr(signal, signum))
        _, stderr = proc.communicate(timeout=60)
        connection.close()
    assert proc.returncode == code and code in errors.EXIT_CODES
    assert stderr.strip() == line


def test_usage_errors_exit_2(case):
    assert run_fuite("scan", "--bogus").returncode == 2
    assert run_fuite("explain-person", "--case", str(case)).returncode == 2


def test_nothing_to_scan_exits_1_and_writes_no_case(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = run_fuite("scan", str(tmp_path / "empty"), "--case", str(tmp_path / "case"))
    assert proc.returncode == 1 and "no file found" in proc.stderr and not (tmp_path / "case").exists()


@pytest.mark.parametrize("args", [["persons"], ["assess"], ["report"], ["notify", "status", "--json"],
                                  ["explain-person", "--person", "0"]])
def test_no_persons_yet_exits_4_with_the_right_advice(unresolved, args):
    proc = run_fuite(*args, "--case", str(unresolved))
    if args[:2] == ["notify", "status"]:      # counts only: it reports zero persons instead
        assert proc.returncode == 0 and json.loads(proc.stdout)["persons"] == 0
        return
    assert proc.returncode == 4, proc.stderr
    assert "not resolved" in proc.stderr or "no persons" in proc.stderr
    assert "fuite resolve" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_lookup_build_on_an_unresolved_case_leaves_no_key_file(unresolved, tmp_path):
    proc = run_fuite("lookup", "build", "--case", str(unresolved), "--out", str(tmp_path / "index.fuite"),
                     "--key-file", str(tmp_path / "lookup.key"))
    assert proc.returncode == 4 and "fuite resolve" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_case_exits_4_and_a_wrong_key_exits_5(case, tmp_path):
    assert run_fuite("persons", "--case", str(tmp_path / "nowhere")).returncode == 4
    assert run_fuite("persons", "--case", str(case), env={"FUITE_KEY": "not the passphrase"}).returncode == 5


# --- formatters and the escape ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    ("plain.csv", "plain.csv"),
    ("a\x1b[2Jb", "a\\x1b[2Jb"),
    ("line\nforged", "line\\nforged"),
    ("tab\there", "tab\\there"),
    ("csi\x9bJ", "csi\\x9bJ"),
    ("rtl\u202egnp.exe", "rtl\\u202egnp.exe"),
    ("[red]markup[/red]", "\\[red]markup\\[/red]"),
    ("accents éè ok", "accents éè ok"),
])
def test_shown_makes_leaked_text_inert(value, text):
    assert shown(value) == text


def test_json_text_escapes_what_json_leaves_raw():
    text = json_text({"file": "a\x9b\u202eb\x1b"})
    assert "\x9b" not in text and "\u202e" not in text and "\x1b" not in text
    assert json.loads(text) == {"file": "a\x9b\u202eb\x1b"}


@pytest.mark.parametrize("n, en, fr", [(0, "0", "0"), (999, "999", "999"), (57221, "57,221", "57\u202f221"),
                                       (491840, "491,840", "491\u202f840"), (1234567, "1,234,567", "1\u202f234\u202f567")])
def test_one_count_format(n, en, fr):
    assert format_count(n) == en and format_count(n, "fr") == fr


@pytest.mark.parametrize("seconds, en, fr", [(0.4, "0.4 s", "0,4 s"), (59, "59 s", "59 s"), (600, "10 min", "10 min"),
                                             (3600, "1 h", "1 h"), (48 * 3600, "48 h", "48 h"),
                                             (49 * 3600, "2 days", "2 jours"), (60 * 3600, "2.5 days", "2,5 jours"),
                                             (47.5 * 3600, "47.5 h", "47,5 h")])
def test_one_duration_format_days_beyond_48_hours(seconds, en, fr):
    assert format_duration(seconds) == en and format_duration(seconds, "fr") == fr


def test_module_docstrings_are_the_spec():
    import doctest

    import fuite.console
    import fuite.readable

    for module in (fuite.console, fuite.readable):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_advice_quotes_a_path_with_spaces(tmp_path):
    from fuite.readable import shell_word

    path = tmp_path / "my case"
    assert shell_word(path) == f"'{path}'" and shell_word(tmp_path) == str(tmp_path)
