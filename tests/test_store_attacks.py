"""Issue 18, tried as an attacker and as an unlucky operator would: each attack and what fuite says."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_notify_support import Sink, persons_table, start_sink

from conftest import ROOT, STATE_DIR, TEST_PASSPHRASE, access, run_fuite
from fuite.errors import CaseCorrupt, CaseError, KeyError_
from fuite.store import Access, Case, open_case, purge
from fuite.store import audit as audit_log
from fuite.store.keyring import Secret
from fuite.store.rotate import STEPS
from fuite.store.secrets_source import check_new, from_keyfile, is_repetitive, keyfile_bits, passphrase

NEW_PASSPHRASE = "a brand new passphrase for the case"


def _new_case(case_dir: Path, n: int = 3) -> None:
    with open_case(case_dir, access(), create=True) as case:
        case.put_table("t", pa.table({"i": list(range(10))}))
        for i in range(n):
            case.audit("work", records=i)


def _audit(case_dir: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_fuite("audit", "--case", str(case_dir), *extra, env=env)


def _raw(case_dir: Path, secret: str = TEST_PASSPHRASE) -> Case:
    """The case opened the way an attacker with the passphrase would: no started entry, no witness."""
    return Case.open(case_dir, passphrase(secret), "attacker")


def _one_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "ERROR CORE" not in proc.stderr + proc.stdout
    return lines[0]


# -- the audit trail, anchored outside the case ------------------------------------------------
def test_intact_case_verifies(case_dir):
    _new_case(case_dir)
    proc = _audit(case_dir)
    assert proc.returncode == 0, proc.stderr
    assert "audit chain intact" in proc.stderr and str(STATE_DIR) in proc.stderr


def test_rollback_to_an_older_copy_of_the_folder(case_dir, tmp_path):
    _new_case(case_dir)
    old = tmp_path / "older-copy"
    shutil.copytree(case_dir, old)
    _new_case_more(case_dir)
    shutil.rmtree(case_dir)
    shutil.copytree(old, case_dir)
    proc = _audit(case_dir)
    assert proc.returncode == 3
    assert "rolled back to an older copy" in proc.stderr


def _new_case_more(case_dir: Path) -> None:
    with open_case(case_dir, access()) as case:
        case.audit("more work", records=5)


def test_truncation_with_the_head_rewritten(case_dir):
    _new_case(case_dir, n=5)
    with _raw(case_dir) as case:
        case.conn.execute("DELETE FROM audit WHERE seq > 3")
        last = case.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        case.meta_set("audit_head", [last[0], last[1]])
        assert case.audit_verify() == []        # self-consistent: only the witness can tell
    proc = _audit(case_dir)
    assert proc.returncode == 3
    assert "case ends at entry 3" in proc.stderr and "truncated" in proc.stderr


def test_whole_log_deleted(case_dir):
    _new_case(case_dir)
    with _raw(case_dir) as case:
        case.conn.execute("DELETE FROM audit")
        case.conn.execute("DELETE FROM meta WHERE key='audit_head'")
    proc = _audit(case_dir)
    assert proc.returncode == 3 and "case ends at entry 0" in proc.stderr


def test_a_re_signed_chain(case_dir):
    """Edit an entry, recompute every hash and MAC with the key the passphrase gives: the witness still differs."""
    _new_case(case_dir)
    with _raw(case_dir) as case:
        case.conn.execute("UPDATE audit SET records = 999 WHERE seq = 3")
        prev = audit_log.GENESIS
        for e in case.audit_entries():
            digest = audit_log.entry_hash(prev, {k: e[k] for k in audit_log.FIELDS})
            case.conn.execute("UPDATE audit SET prev=?, hash=?, mac=? WHERE seq=?",
                              (prev, digest, audit_log.entry_mac(case._audit_key, digest), e["seq"]))
            prev = digest
        case.meta_set("audit_head", [e["seq"], prev])
        assert case.audit_verify() == []
    proc = _audit(case_dir)
    assert proc.returncode == 3
    assert "entry 3 differs from the witness" in proc.stderr


def test_edited_entry_without_the_key(case_dir):
    _new_case(case_dir)
    with _raw(case_dir) as case:
        case.conn.execute("UPDATE audit SET records = 999 WHERE seq = 3")
    proc = _audit(case_dir)
    assert proc.returncode == 3 and "entry 3: entry was modified" in proc.stderr


def test_witness_removed(case_dir):
    _new_case(case_dir)
    with _raw(case_dir) as case:
        witness = STATE_DIR / f"witness-{case.case_id}.jsonl"
    witness.unlink()
    first, second = _audit(case_dir), _audit(case_dir)
    assert first.returncode == 3 and "no witness for this case" in first.stderr
    assert second.returncode == 3 and "no witness for this case" in second.stderr   # recorded, stays visible


def test_second_witness_from_case_toml(case_dir, tmp_path):
    _new_case(case_dir)
    other = tmp_path / "usb" / "witness.jsonl"
    (case_dir / "case.toml").write_text(f'[audit]\nwitness = "{other}"\n')
    _new_case_more(case_dir)
    heads = [json.loads(line) for line in other.read_text().splitlines()]
    assert heads and all(set(h) == {"case", "seq", "hash", "at", "action"} for h in heads)
    assert other.stat().st_mode & 0o077 == 0


def test_audit_key_is_not_stored(case_dir):
    _new_case(case_dir)
    with _raw(case_dir) as case:
        assert case.meta_get("audit_key") is None
        stored = json.dumps(case.conn.execute("SELECT key, value FROM meta").fetchall())
        assert case._audit_key.hex() not in stored
    assert case._audit_key.hex() not in (case_dir / "keyring.json").read_text()


# -- started / finished / interrupted ------------------------------------------------------------
_KILL_AFTER_FIRST_APPEND = """
import os, signal, sys
from fuite.store.case import Case
real = Case.append_table
def dying(self, name, table):
    real(self, name, table)
    os.kill(os.getpid(), signal.{sig})
Case.append_table = dying
sys.argv = ["fuite"] + {args!r}
from fuite.cli import main
main()
"""


def _run_and_die(sig: str, args: list[str]) -> subprocess.CompletedProcess:
    code = _KILL_AFTER_FIRST_APPEND.format(sig=sig, args=args)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_scan_killed_with_sigkill_leaves_a_visible_interruption(small_drill, case_dir):
    proc = _run_and_die("SIGKILL", ["scan", str(small_drill / "leak"), "--case", str(case_dir)])
    assert proc.returncode == -signal.SIGKILL
    audit = _audit(case_dir)
    assert audit.returncode == 0, audit.stderr
    assert "`fuite scan` was interrupted" in audit.stderr
    with _raw(case_dir) as case:
        actions = [e["action"] for e in case.audit_entries()]
    assert actions[:3] == ["started", "interrupted", "started"]


def test_notify_persons_stopped_by_sigterm_leaves_a_visible_interruption(tmp_path):
    case_dir = tmp_path / "case"
    with open_case(case_dir, access(), create=True) as case:
        case.put_table("persons", persons_table())
    code = textwrap.dedent(f"""
        import os, signal, sys
        import fuite.notify.stage as stage
        def stopped(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGTERM)
        stage.notify_persons = stopped
        sys.argv = ["fuite", "notify", "persons", "--case", {str(case_dir)!r}, "--dry-run"]
        from fuite.cli import main
        main()
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 143 and proc.stderr.strip() == "error: stopped by SIGTERM"   # unwound, not killed
    audit = _audit(case_dir)
    assert audit.returncode == 0, audit.stderr
    with _raw(case_dir) as case:
        finished = [json.loads(e["detail"]) for e in case.audit_entries() if e["action"] == "finished"]
    assert [f["status"] for f in finished if f["command"] == "fuite notify persons"] == ["interrupted"]


def test_a_running_command_is_not_taken_for_an_interrupted_one(case_dir):
    _new_case(case_dir)
    with open_case(case_dir, access(command="long command")) as first:
        with open_case(case_dir, access(command="second")) as second:
            actions = [e["action"] for e in second.audit_entries()]
        assert "interrupted" not in actions
    with open_case(case_dir, access()) as case:
        rows = case.audit_entries()
    assert [e["action"] for e in rows].count("interrupted") == 0
    finished = [json.loads(e["detail"]) for e in rows if e["action"] == "finished"]
    assert {"long command", "second"} <= {d["command"] for d in finished}
    assert first.command is None


def test_failed_command_is_recorded_as_failed(case_dir):
    _new_case(case_dir)
    with pytest.raises(ZeroDivisionError):
        with open_case(case_dir, access()):
            1 / 0
    with _raw(case_dir) as case:
        last = json.loads(case.audit_entries()[-1]["detail"])
    assert last["status"] == "failed: ZeroDivisionError"


# -- crash-safe key rotation ----------------------------------------------------------------------
_ROTATE_AND_DIE = """
import os, sys
from pathlib import Path
from fuite.store import Access, open_case
from fuite.store.rotate import rotate
from fuite.store.secrets_source import passphrase
def fault(step):
    if step == {step!r}:
        os._exit(9)
with open_case(Path({case!r}), Access(passphrase({old!r}), Path({state!r}))) as case:
    rotate(case, passphrase({new!r}), fault=fault)
"""


@pytest.mark.parametrize("step", STEPS)
def test_rotation_killed_at_each_point(case_dir, step):
    _new_case(case_dir)
    code = _ROTATE_AND_DIE.format(step=step, case=str(case_dir), old=TEST_PASSPHRASE, new=NEW_PASSPHRASE,
                                  state=str(STATE_DIR))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 9, proc.stderr
    done = STEPS.index(step) >= STEPS.index("db_renamed")
    right, wrong = (NEW_PASSPHRASE, TEST_PASSPHRASE) if done else (TEST_PASSPHRASE, NEW_PASSPHRASE)
    notes = []
    with pytest.raises(KeyError_):
        open_case(case_dir, access(wrong), warn=notes.append)
    with open_case(case_dir, access(right), warn=notes.append) as case:
        assert case.get_table("t")["i"].to_pylist() == list(range(10))
        assert case.audit_verify() == []
    assert sorted(p.name for p in case_dir.iterdir() if not p.name.startswith("case.db-")) == \
        ["case.db", "case.lock", "keyring.json"]
    assert any("interrupted key rotation" in n for n in notes) == (step != STEPS[-1])
    proc = _audit(case_dir, env={"FUITE_KEY": right})
    assert proc.returncode == 0 and "was interrupted" in proc.stderr, proc.stderr


def test_rotation_through_the_cli(case_dir):
    _new_case(case_dir)
    proc = run_fuite("key", "rotate", "--case", str(case_dir), env={"FUITE_NEW_KEY": NEW_PASSPHRASE})
    assert proc.returncode == 0, proc.stderr
    assert _audit(case_dir).returncode != 0
    proc = _audit(case_dir, env={"FUITE_KEY": NEW_PASSPHRASE})
    assert proc.returncode == 0, proc.stderr          # the re-signed chain still matches the witness
    assert "key.rotate" in proc.stdout


# -- one folder, several commands: the case lock ---------------------------------------------------
def _new_secret():
    return Secret("passphrase", NEW_PASSPHRASE.encode())


def test_rotation_and_purge_refuse_while_another_command_has_the_case_open(case_dir):
    from fuite.store.rotate import rotate

    _new_case(case_dir)
    with open_case(case_dir, access(command="long notify run")):
        with open_case(case_dir, access(command="key rotate")) as rotating:
            with pytest.raises(CaseError, match="open in another fuite command"):
                rotate(rotating, _new_secret())
            assert rotating.get_table("t") is not None   # refused before anything changed
        with pytest.raises(CaseError, match="open in another fuite command"):
            purge(case_dir)
    assert (case_dir / "keyring.json").exists()
    with open_case(case_dir, access(command="key rotate")) as alone:   # alone, the rotation runs
        rotate(alone, _new_secret())
        assert alone.get_table("t")["i"].to_pylist() == list(range(10))
    with open_case(case_dir, access(NEW_PASSPHRASE)):
        pass


def test_recovery_never_undoes_a_rotation_still_under_way(case_dir, monkeypatch):
    """While one process rotates (holding the lock exclusive), another open waits and leaves its files alone."""
    from fuite.store import lock as case_lock
    from fuite.store.rotate import NEW_DB, NEW_KEYRING

    _new_case(case_dir)
    rotating = case_lock.CaseLock(case_dir)
    assert rotating.try_exclusive()
    for name in (NEW_DB, NEW_KEYRING):   # what a rotation writes before its renames
        (case_dir / name).write_bytes(b"in progress")
    monkeypatch.setattr(case_lock, "WAIT_SECONDS", 0.3)
    with pytest.raises(CaseError, match="busy"):
        open_case(case_dir, access())
    assert (case_dir / NEW_DB).exists() and (case_dir / NEW_KEYRING).exists()
    rotating.release()   # the rotation died: the next open rolls it back, as before
    notes = []
    with open_case(case_dir, access(), warn=notes.append):
        pass
    assert not (case_dir / NEW_DB).exists() and any("rolled back" in n for n in notes)


# -- purge that keeps its promise ----------------------------------------------------------------
def _key_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(32))
    path.chmod(0o600)
    return path


def test_backup_cannot_be_opened_after_purge_in_external_key_mode(tmp_path):
    case_dir, backup = tmp_path / "case", tmp_path / "backup"
    key = _key_file(tmp_path / "usb" / "case.key")
    with open_case(case_dir, Access(from_keyfile(key), STATE_DIR), create=True) as case:
        case.put_table("t", pa.table({"i": [1, 2, 3]}))
    shutil.copytree(case_dir, backup)                 # what any backup or snapshot takes
    proc = run_fuite("purge", "--case", str(case_dir), "--yes", env={"FUITE_KEY": "", "FUITE_KEY_FILE": str(key)})
    assert proc.returncode == 0, proc.stderr
    assert not case_dir.exists() and not key.exists()
    proc = run_fuite("audit", "--case", str(backup), env={"FUITE_KEY": "", "FUITE_KEY_FILE": str(key)})
    assert proc.returncode != 0 and "cannot read key file" in proc.stderr
    with pytest.raises(KeyError_):
        open_case(backup, Access(from_keyfile(_key_file(key)), STATE_DIR))   # nor does any other key file


def test_passphrase_mode_backup_still_opens_after_purge_as_documented(case_dir, tmp_path):
    _new_case(case_dir)
    backup = tmp_path / "backup"
    shutil.copytree(case_dir, backup)
    proc = run_fuite("purge", "--case", str(case_dir), "--yes")
    assert proc.returncode == 0 and "any backup of the folder still opens" in proc.stderr
    with _raw(backup) as case:
        assert case.get_table("t").num_rows == 10


def test_key_file_inside_the_case_folder_is_refused(case_dir):
    key = _key_file(case_dir / "case.key")
    with pytest.raises(CaseError, match="inside the case folder"):
        open_case(case_dir, Access(from_keyfile(key), STATE_DIR), create=True)


# -- secrets and modes ----------------------------------------------------------------------------
@pytest.mark.parametrize("value, outcome", [
    ("a", "at least 12"), ("elevenchars", "at least 12"), ("twelve chars", "recommended"),
    ("fifteen chars!!", "recommended"), ("sixteen chars!!!", None),
])
def test_passphrase_minimum(value, outcome):
    if outcome == "at least 12":
        with pytest.raises(KeyError_, match=outcome):
            check_new(passphrase(value))
    else:
        got = check_new(passphrase(value))
        assert (got is None) if outcome is None else (outcome in got)


def test_weak_passphrase_from_the_environment_creates_no_case(small_drill, case_dir):
    proc = run_fuite("scan", str(small_drill / "leak"), "--case", str(case_dir), env={"FUITE_KEY": "a"})
    assert proc.returncode != 0 and "at least 12 characters" in _one_line(proc)
    assert not case_dir.exists()


@pytest.mark.parametrize("content, message", [
    (bytes(32), "constant or repetitive"), (b"\xff" * 64, "constant or repetitive"),
    (b"0123456789abcdef" * 4, "constant or repetitive"), (bytes(range(100, 116)), "fewer than 256 bits"),
    (b"00ff" * 8 + b"\n", "fewer than 256 bits"),
])
def test_weak_key_files_are_refused(tmp_path, content, message):
    key = tmp_path / "k"
    key.write_bytes(content)
    key.chmod(0o600)
    with pytest.raises(KeyError_, match=message):
        from_keyfile(key)


def test_hex_key_file_of_256_bits_is_accepted(tmp_path):
    key = tmp_path / "k"
    key.write_text(os.urandom(32).hex() + "\n")
    key.chmod(0o600)
    assert from_keyfile(key).kind == "keyfile"


@settings(max_examples=80, deadline=None)
@given(st.binary(min_size=1, max_size=16), st.integers(min_value=2, max_value=8))
def test_a_repeated_pattern_is_repetitive(pattern, times):
    assert is_repetitive(pattern * times)


@settings(max_examples=80, deadline=None)
@given(st.permutations(list(range(256))))
def test_bytes_without_repetition_are_not_repetitive(values):
    data = bytes(values)
    assert not is_repetitive(data) and keyfile_bits(data) == 2048


def test_file_modes(case_dir, tmp_path):
    _new_case(case_dir)
    assert (case_dir / "case.db").stat().st_mode & 0o777 == 0o600
    assert (case_dir / "keyring.json").stat().st_mode & 0o777 == 0o600
    (case_dir / "case.db").chmod(0o644)
    proc = _audit(case_dir)
    assert proc.returncode != 0 and "chmod 600" in _one_line(proc)
    (case_dir / "case.db").chmod(0o600)
    key = _key_file(tmp_path / "k")
    key.chmod(0o644)
    with pytest.raises(KeyError_, match="accessible to other users"):
        from_keyfile(key)


# -- corruption, missing pieces, wrong key: one line each -----------------------------------------
def _big_case(case_dir: Path) -> None:
    with open_case(case_dir, access(), create=True) as case:
        case.put_table("persons", pa.table({"blob": [os.urandom(2000).hex() for _ in range(300)]}))


def _damage_middle(db: Path) -> None:
    data = bytearray(db.read_bytes())
    for page in range(5, len(data) // 4096 - 5):
        data[page * 4096 + 200: page * 4096 + 216] = os.urandom(16)
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, expected", [
    ("truncate", "is corrupt (truncated"), ("header", "its header was overwritten"),
    ("middle", "a page fails its integrity check"), ("wrong key", "wrong key for this case"),
    ("no keyring", "keyring.json is missing"), ("no case", "no case in"),
    ("no database", "case.db is missing"),
])
def test_each_failure_is_one_line_with_its_advice(case_dir, damage, expected):
    _big_case(case_dir)
    db, env = case_dir / "case.db", None
    if damage == "truncate":
        with open(db, "r+b") as fh:
            fh.truncate(db.stat().st_size // 2 + 100)
    elif damage == "header":
        with open(db, "r+b") as fh:
            fh.write(os.urandom(64))
    elif damage == "middle":
        _damage_middle(db)
    elif damage == "wrong key":
        env = {"FUITE_KEY": "not the passphrase at all"}
    elif damage == "no keyring":
        (case_dir / "keyring.json").unlink()
    elif damage == "no case":
        shutil.rmtree(case_dir)
    elif damage == "no database":
        db.unlink()
    proc = run_fuite("export", "persons", "--case", str(case_dir), "--output", str(case_dir.parent / "p.csv"),
                     env=env)
    assert proc.returncode != 0
    assert expected in _one_line(proc)


def test_scan_into_a_folder_whose_keyring_is_missing_writes_nothing(small_drill, case_dir):
    _new_case(case_dir)
    (case_dir / "keyring.json").unlink()
    proc = run_fuite("scan", str(small_drill / "leak"), "--case", str(case_dir))
    assert proc.returncode != 0 and "restore keyring.json from a backup" in _one_line(proc)
    assert sorted(p.name for p in case_dir.iterdir()) == ["case.db", "case.lock"]   # nothing written


def test_corruption_inside_a_command_is_named(case_dir):
    _big_case(case_dir)
    _damage_middle(case_dir / "case.db")
    with pytest.raises(CaseCorrupt, match="fuite case verify"):
        with open_case(case_dir, access()) as case:
            case.get_table("persons")


def test_case_verify(case_dir):
    _big_case(case_dir)
    proc = run_fuite("case", "verify", "--case", str(case_dir))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = ["pages", "structure", "tables", "audit chain", "witness"]
    assert all(f"ok   {n}" in proc.stdout for n in names), proc.stdout
    _damage_middle(case_dir / "case.db")
    proc = run_fuite("case", "verify", "--case", str(case_dir))
    assert proc.returncode == 3 and "FAIL pages" in proc.stdout and "ERROR CORE" not in proc.stderr


# -- alerting -------------------------------------------------------------------------------------
def test_audit_alert_emails_the_dpo(case_dir, tmp_path):
    _new_case(case_dir)
    sink = Sink()
    controller = start_sink(sink)
    try:
        (case_dir / "case.toml").write_text(
            f'[dpo]\nemail = "dpo@example.org"\n[smtp]\nurl = "smtp://127.0.0.1:{controller.port}?starttls=never"\n'
            'from = "fuite@example.org"\n')
        assert _audit(case_dir, "--alert").returncode == 0 and not sink.messages   # intact: no email
        with _raw(case_dir) as case:
            case.conn.execute("DELETE FROM audit WHERE seq > 2")
        proc = _audit(case_dir, "--alert")
    finally:
        controller.stop()
    assert proc.returncode == 3 and "alert sent to the DPO" in proc.stderr
    [message] = sink.by_recipient()["dpo@example.org"]
    assert "audit verification failed" in message["Subject"]
    assert "rolled back" in message.get_content()


# -- transactions ----------------------------------------------------------------------------------
def test_transaction_rolls_back_everything_inside(case_dir):
    with open_case(case_dir, access(), create=True) as case:
        with pytest.raises(RuntimeError):
            with case.transaction():
                case.put_table("a", pa.table({"x": [1]}))      # nested: a savepoint
                case.meta_set("k", 1)
                raise RuntimeError
        assert not case.has_table("a") and case.meta_get("k") is None
        with case.transaction():
            case.put_table("a", pa.table({"x": [1]}))
            case.audit("inside")
        assert case.has_table("a")
    with open_case(case_dir, access()) as case:
        assert case.audit_verify() == [] and case.witness_problems == []


def test_secret_is_not_in_repr():
    assert "horse" not in repr(Secret("passphrase", TEST_PASSPHRASE.encode()))


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=300), st.builds(json.dumps, st.dictionaries(st.text(max_size=12), st.one_of(
    st.none(), st.integers(), st.text(max_size=20)), max_size=6))))
def test_keyring_junk_is_one_error(text):
    from fuite.store.keyring import parse

    try:
        doc = parse(text, Path("keyring.json"))
    except CaseError as exc:
        assert "keyring.json" in str(exc)
    else:
        assert {"kind", "kdf", "nonce", "wrapped_key"} <= doc.keys()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), st.builds(json.dumps, st.fixed_dictionaries(
    {"case": st.sampled_from(["c1", "c2"]), "seq": st.one_of(st.integers(-5, 50), st.text(max_size=3))}))),
    max_size=30))
def test_witness_junk_lines_are_skipped(tmp_path_factory, lines):
    from fuite.store.witness import read_heads

    path = tmp_path_factory.mktemp("w") / "witness.jsonl"
    path.write_text("\n".join(line.replace("\n", " ") for line in lines) + "\n", encoding="utf-8")
    heads = read_heads(path, "c1")
    assert all(h["case"] == "c1" and isinstance(h["seq"], int) for h in heads)
