"""The self-check on the real pipeline: a `fuite synth` drill scanned into a case, indexed, served, checked."""

import pytest

from fuite.lookup import client, keys
from fuite.lookup.index import read_index
from fuite.server.app import ServeSettings, create_app
from fuite.server.defences import DefenceSettings
from fuite.server.background import serving
from conftest import access

pytestmark = pytest.mark.slow


def test_persons_of_a_scanned_drill_are_found(scanned_case, tmp_path, fuite_cli, monkeypatch):
    monkeypatch.delenv(keys.ENV_KEY, raising=False)
    key_file, out = tmp_path / "lookup.key", tmp_path / "lookup.idx"
    done = fuite_cli("lookup", "build", "--case", str(scanned_case), "--out", str(out), "--key-file", str(key_file),
                     "--operator", "tester", check=True)
    assert "inputs from" in done.stdout
    from fuite.store import open_case

    with open_case(scanned_case, access()) as case:
        persons = case.get_table("persons").to_pylist()
    with_email = [p for p in persons if p["email"] and p["birth_date"]][:3]
    with_phone = [p for p in persons if p["phone"] and p["birth_date"]][:3]
    with_nir = [p for p in persons if p["nir"] and p["birth_date"]][:3]
    assert with_email and with_phone and with_nir
    app = create_app(read_index(out), keys.read_key_file(key_file), ServeSettings(DefenceSettings(client_per_minute=0)))
    with serving(app) as url:
        for p in with_email:
            answer = client.check(url, "email", p["email"], p["birth_date"])
            assert answer.member
            if not answer.shared:  # the person's own categories, from their sealed answer
                assert {c["id"] for c in answer.exposed} == set(p["categories"].split(";"))
        for p in with_phone:
            assert client.check(url, "phone", p["phone"], p["birth_date"]).member
        for p in with_nir:
            assert client.check(url, "nir", p["nir"], p["birth_date"]).member
        assert not client.check(url, "email", "absent.de.la.fuite@exemple.fr", with_email[0]["birth_date"]).member
