"""The self-check of a case of several controllers: a person's sealed answer names the controllers holding their
records, with those controllers' own contacts; a non-member is shown every controller of the breach."""

from __future__ import annotations

import pytest
from controllers_support import scanned_layout

from conftest import run_fuite
from fuite.lookup import client, keys
from fuite.lookup.index import read_index
from fuite.server.app import ServeSettings, create_app
from fuite.server.background import serving
from fuite.server.defences import DefenceSettings

pytestmark = pytest.mark.slow


def _birth(i: int) -> str:   # as controllers_support._people writes it
    return f"{1950 + i % 50:04d}-{1 + i % 12:02d}-{1 + (i * 7) % 28:02d}"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("lookup_controllers")
    case, _ = scanned_layout(root)
    key_file, out = root / "lookup.key", root / "lookup.idx"
    run_fuite("lookup", "build", "--case", str(case), "--out", str(out), "--key-file", str(key_file),
              "--operator", "tester", check=True)
    app = create_app(read_index(out), keys.read_key_file(key_file), ServeSettings(DefenceSettings(client_per_minute=0)))
    with serving(app) as url:
        yield url, read_index(out)


@pytest.mark.parametrize("person, holders", [
    (0, ["armor", "iroise"]),     # seen by two labs
    (10, ["armor", "mutuelle"]),  # a lab and the insurer's dump
    (20, ["iroise"]),
    (32, ["iroise"]),             # the appointment list, by its file rule
    (36, ["mutuelle"]),           # an AMC number column
])
def test_a_person_is_told_which_controllers_hold_their_records(served, person, holders):
    url, _ = served
    answer = client.check(url, "email", f"patient{person:02d}@example.org", _birth(person))
    assert answer.member
    assert [c["id"] for c in answer.controllers] == holders
    assert not any(c.get("controller") for c in answer.exposed)      # their data, apart from who holds it
    assert "email" in {c["id"] for c in answer.exposed}
    armor = next((c for c in answer.controllers if c["id"] == "armor"), None)
    if armor:
        assert {"email": "dpo@bio-armor.test"}.items() <= next(
            k for k in armor["contacts"] if k["role"]["en"] == "Data protection officer").items()


def test_an_unattributed_person_is_found_and_held_by_no_named_controller(served):
    url, _ = served
    answer = client.check(url, "email", "patient27@example.org", _birth(27))   # an unknown FINESS
    assert answer.member and answer.controllers == []


def test_the_index_lists_every_controller_and_their_codes(served):
    _, index = served
    codes = [c["id"] for c in index.exposure_codes if c.get("controller")]
    assert codes == ["controller:armor", "controller:iroise", "controller:mutuelle"]
    assert [c["name"] for c in index.header["breach"]["controllers"]] == [
        "Laboratoire Bio Armor", "Labo Iroise", "Mutuelle des Abers"]


def test_fuite_check_prints_the_holding_controllers_or_every_one(served):
    url, _ = served
    found = run_fuite("check", "--server", url, "--email", "patient10@example.org", "--birth-date", _birth(10),
                      check=True).stdout
    assert "Vos données étaient détenues par" in found
    assert "Laboratoire Bio Armor" in found and "Mutuelle des Abers" in found and "Labo Iroise" not in found
    absent = run_fuite("check", "--server", url, "--email", "absent@example.org", "--birth-date", _birth(10),
                       "--lang", "en", check=True).stdout
    assert "The data controllers concerned by this breach" in absent
    assert all(name in absent for name in ("Laboratoire Bio Armor", "Labo Iroise", "Mutuelle des Abers"))
