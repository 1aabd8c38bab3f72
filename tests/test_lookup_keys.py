"""The lookup key file can be wrapped under a passphrase (issue 8: the index key encrypted at rest)."""

import pytest

from fuite.errors import LookupError_


def test_key_file_wrapped_under_a_passphrase(tmp_path, monkeypatch):
    from fuite.lookup.keys import ENV_PASSPHRASE, new_key, read_key_file, write_key_file

    monkeypatch.setenv(ENV_PASSPHRASE, "lookup passphrase 1")
    key, path = new_key(), tmp_path / "lookup.key"
    write_key_file(path, key)
    assert key.seed.hex() not in path.read_text() and "wrapped" in path.read_text()
    assert read_key_file(path).key_id == key.key_id
    monkeypatch.setenv(ENV_PASSPHRASE, "another passphrase")
    with pytest.raises(LookupError_, match="wrong"):
        read_key_file(path)
    monkeypatch.delenv(ENV_PASSPHRASE)
    with pytest.raises(LookupError_, match="locked"):
        read_key_file(path)


@pytest.mark.parametrize("problem", ["missing", "too open", "not a key", "locked"])
def test_a_bad_lookup_key_exits_5_in_one_line(problem, tmp_path, fuite_cli, monkeypatch):
    """Every lookup-key problem is the documented key exit code, with a one-line reason and no traceback."""
    from fuite.lookup.keys import ENV_KEY, ENV_KEY_FILE, ENV_PASSPHRASE, new_key, write_key_file

    for name in (ENV_KEY, ENV_KEY_FILE, ENV_PASSPHRASE):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "lookup.key"
    if problem == "too open":
        write_key_file(path, new_key())
        path.chmod(0o644)
    elif problem == "not a key":
        path.write_text("{not json")
        path.chmod(0o600)
    elif problem == "locked":
        monkeypatch.setenv(ENV_PASSPHRASE, "p")
        write_key_file(path, new_key())
        monkeypatch.delenv(ENV_PASSPHRASE)
    index = tmp_path / "none.idx"
    index.write_bytes(b"")
    done = fuite_cli("serve", "--index", str(index), "--key-file", str(path), "--port", "1")
    assert done.returncode == 5, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
