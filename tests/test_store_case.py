"""The encrypted case: round trips, wrong keys, nothing in clear, audit chain, rotation, purge."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import STATE_DIR, access, run_fuite
from fuite.errors import CaseError, KeyError_, UsageError
from fuite.store import Access, Case, open_case, purge
from fuite.store import keyring
from fuite.store.keyring import Secret
from fuite.store.rotate import rotate
from fuite.store.secrets_source import from_keyfile
from fuite.store.session import retention_warning

SECRET_VALUES = ["1850775123456 42".replace(" ", ""), "jeanne.dupont@example.org", "+33612345678", "DUPONTEL"]


def sample_table() -> pa.Table:
    return pa.table({"nir": [SECRET_VALUES[0]], "email": [SECRET_VALUES[1]], "phone": [SECRET_VALUES[2]],
                     "last_name": [SECRET_VALUES[3]]})


def test_round_trip_and_chunking(case_dir, monkeypatch):
    monkeypatch.setattr("fuite.store.case.CHUNK_ROWS", 10)
    big = pa.table({"i": list(range(95)), "s": [f"v{i}" for i in range(95)]})
    with open_case(case_dir, access(), create=True) as case:
        case.put_table("big", big)
        case.append_table("big", big.slice(0, 5))
        case.meta_set("k", {"a": [1, 2]})
    with open_case(case_dir, access()) as case:
        got = case.get_table("big")
        assert got.num_rows == 100 and got["i"].to_pylist() == list(range(95)) + list(range(5))
        assert case.table_rows("big") == 100
        assert sum(b.num_rows for b in case.iter_table("big")) == 100
        assert case.meta_get("k") == {"a": [1, 2]} and case.meta_get("missing", 7) == 7
        assert case.get_table("nothing") is None and not case.has_table("nothing")
        case.drop_table("big")
        assert case.table_names() == []


def test_nothing_in_clear_on_disk(case_dir):
    with open_case(case_dir, access(), create=True) as case:
        case.put_table("records", sample_table())
        case.audit("test", records=1)
    blobs = b"".join(p.read_bytes() for p in case_dir.rglob("*") if p.is_file())
    for value in SECRET_VALUES:
        assert value.encode() not in blobs
    assert b"SQLite format 3" not in blobs
    assert oct(case_dir.stat().st_mode & 0o777) == "0o700"


def test_wrong_key_is_one_line(case_dir, monkeypatch):
    with open_case(case_dir, access(), create=True) as case:
        case.put_table("records", sample_table())
    with pytest.raises(KeyError_):
        open_case(case_dir, access("not the passphrase"))
    proc = run_fuite("audit", "--case", str(case_dir), env={"FUITE_KEY": "not the passphrase"})
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "wrong key" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_key_without_terminal(case_dir, monkeypatch):
    with open_case(case_dir, access(), create=True):
        pass
    env = {"FUITE_KEY": ""}
    proc = run_fuite("audit", "--case", str(case_dir), env=env)
    assert proc.returncode != 0 and "no key" in proc.stderr and "Traceback" not in proc.stderr


def test_key_file(case_dir, tmp_path):
    keyfile = tmp_path / "k.bin"
    keyfile.write_bytes(bytes(range(40)))
    keyfile.chmod(0o600)
    key = Access(from_keyfile(keyfile), STATE_DIR)
    with open_case(case_dir, key, create=True) as case:
        case.put_table("t", sample_table())
    with open_case(case_dir, key) as case:
        assert case.get_table("t").num_rows == 1
    keyfile.write_bytes(bytes(range(1, 41)))
    with pytest.raises(KeyError_):
        open_case(case_dir, Access(from_keyfile(keyfile), STATE_DIR))


def test_audit_chain_detects_tampering(case_dir):
    with open_case(case_dir, access(), create=True, operator="alice") as case:
        for i in range(4):
            case.audit(f"action{i}", records=i, detail={"n": i})
        assert case.audit_verify() == []
        case.conn.execute("UPDATE audit SET records = 999 WHERE seq = 2")
        problems = case.audit_verify()
    assert [p.seq for p in problems] == [2]
    proc = run_fuite("audit", "--case", str(case_dir))
    assert proc.returncode == 3 and "entry 2" in proc.stderr and "alice" in proc.stdout


def test_audit_detects_deleted_tail(case_dir):
    with open_case(case_dir, access(), create=True) as case:
        for i in range(3):
            case.audit("a", records=i)
        case.conn.execute("DELETE FROM audit WHERE seq = 3")
        assert case.audit_verify(), "a removed last entry must be reported"


def test_rotate_reencrypts(case_dir):
    with open_case(case_dir, access(), create=True) as case:
        case.put_table("t", sample_table())
        rotate(case, Secret("passphrase", b"a brand new passphrase"))
    with pytest.raises(KeyError_):
        open_case(case_dir, access())
    with open_case(case_dir, access("a brand new passphrase")) as case:
        assert case.get_table("t")["email"].to_pylist() == [SECRET_VALUES[1]]


def test_rotate_cli(case_dir):
    with open_case(case_dir, access(), create=True) as case:
        case.put_table("t", sample_table())
    proc = run_fuite("key", "rotate", "--case", str(case_dir), env={"FUITE_NEW_KEY": "second passphrase!"})
    assert proc.returncode == 0, proc.stderr
    assert run_fuite("audit", "--case", str(case_dir)).returncode != 0
    assert run_fuite("audit", "--case", str(case_dir), env={"FUITE_KEY": "second passphrase!"}).returncode == 0


def test_purge_destroys(case_dir, tmp_path):
    with open_case(case_dir, access(), create=True) as case:
        case.put_table("t", sample_table())
    saved_db = (case_dir / "case.db").read_bytes()
    purge(case_dir)
    assert not case_dir.exists()
    with pytest.raises(CaseError):
        open_case(case_dir, access())
    # a copy of the database taken before the purge is useless without the shredded keyring
    case_dir.mkdir()
    (case_dir / "case.db").write_bytes(saved_db)
    with pytest.raises(CaseError):
        open_case(case_dir, access())


def test_purge_cli_needs_confirmation(case_dir):
    with open_case(case_dir, access(), create=True):
        pass
    proc = run_fuite("purge", "--case", str(case_dir))
    assert proc.returncode != 0 and case_dir.exists() and "--yes" in proc.stderr
    assert run_fuite("purge", "--case", str(case_dir), "--yes").returncode == 0
    assert not case_dir.exists()


def test_operator_policy(case_dir):
    with open_case(case_dir, access(), create=True):
        pass
    (case_dir / "case.toml").write_text("[security]\nrequire_operator = true\n")
    with pytest.raises(UsageError):
        open_case(case_dir, access(), require_operator=True)
    with open_case(case_dir, access(), require_operator=True, operator="bob") as case:
        assert case.operator == "bob"


@pytest.mark.parametrize("value, today, expect", [
    ("", date(2030, 1, 1), None),
    ("2026-01-01", date(2025, 12, 31), None),
    ("2026-01-01", date(2026, 1, 2), "has passed"),
    ("next year", date(2026, 1, 2), "not a date"),
])
def test_retention_warning(value, today, expect):
    got = retention_warning({"security": {"retention_until": value}}, today)
    assert (got is None) if expect is None else (expect in got)


def test_retention_warning_shown(case_dir):
    with open_case(case_dir, access(), create=True):
        pass
    (case_dir / "case.toml").write_text('[security]\nretention_until = "2001-01-01"\n')
    proc = run_fuite("audit", "--case", str(case_dir))
    assert "retention date" in proc.stderr


def test_existing_case_not_recreated(case_dir):
    with open_case(case_dir, access(), create=True):
        pass
    with pytest.raises(CaseError):
        Case.create(case_dir, Secret("passphrase", b"x" * 16), "me")


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["kind", "kdf", "nonce", "wrapped_key"]),
                       st.one_of(st.text(max_size=20), st.integers(), st.none())))
def test_unwrap_junk_never_crashes(doc):
    try:
        keyring.unwrap(doc, Secret("passphrase", b"whatever"))
    except (KeyError_, CaseError, KeyError, TypeError, ValueError, AttributeError):
        pass


def test_keyring_has_no_secret(case_dir):
    with open_case(case_dir, access(), create=True):
        pass
    doc = json.loads((case_dir / "keyring.json").read_text())
    assert doc["kdf"]["alg"] == "argon2id" and "correct horse" not in json.dumps(doc)
