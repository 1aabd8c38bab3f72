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
