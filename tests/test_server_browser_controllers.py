"""The self-check page of a case of several controllers, in real Chromium: a member is told which controllers hold
their records, with their contacts; a non-member sees every controller of the breach."""

from __future__ import annotations

import pyarrow as pa
import pytest
from test_server_browser import ARGS, CHROMIUM, _check, pytestmark  # noqa: F401  (the same skips)

from fuite.lookup import keys
from fuite.lookup.build import build_index
from fuite.lookup.index import read_index
from fuite.lookup.synthetic import person_values, synthetic_persons
from fuite.server.app import ServeSettings, create_app, default_web_modules
from fuite.server.background import serving
from fuite.server.defences import DefenceSettings

SEED = 13
SETTINGS = {"breach": {"name": "LabLeak2021", "title": "Fuite des laboratoires", "date": "2021-02-23"},
            "controllers": [
                {"id": "nord", "name": "Laboratoire du Nord", "address": "1 rue Haute, 59000 Lille",
                 "dpo": {"email": "dpo@labo-nord.test"}},
                {"id": "sud", "name": "Laboratoire du Sud", "address": "2 rue Basse, 13001 Marseille",
                 "dpo": {"email": "dpo@labo-sud.test", "phone": "04 91 00 00 00"}}]}


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip)")
    persons = synthetic_persons(40, seed=SEED)
    cats = persons["categories"].to_pylist()
    cats = [c + (";controller:nord" if i % 2 else ";controller:sud") for i, c in enumerate(cats)]
    cats[3] = "last_name;email;birth_date;controller:nord;controller:sud"
    persons = persons.set_column(persons.schema.get_field_index("categories"), "categories", pa.array(cats))
    key, out = keys.new_key(), tmp_path_factory.mktemp("browser_controllers") / "lookup.idx"
    build_index(persons, key, out, SETTINGS, workers=1)
    settings = ServeSettings(DefenceSettings(client_per_minute=0), web_modules=default_web_modules())
    with serving(create_app(read_index(out), key, settings)) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(locale="fr-FR").new_page()
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        yield page
        browser.close()


def test_a_member_sees_the_controllers_holding_their_records(browser_page):
    v = person_values(3, seed=SEED)
    assert _check(browser_page, "email", v["emails"][0], v["birth_date"])
    own = browser_page.locator("#exposed li").all_inner_texts()
    assert sorted(own) == sorted(["Nom de famille", "Adresse électronique", "Date de naissance"])
    assert browser_page.inner_text("#controllers-title") == "Vos données étaient détenues par"
    held = browser_page.locator("#controllers li").all_inner_texts()
    assert len(held) == 2 and "dpo@labo-nord.test" in held[0] and "04 91 00 00 00" in held[1]
    v = person_values(2, seed=SEED)
    assert _check(browser_page, "email", v["emails"][0], v["birth_date"])
    held = browser_page.locator("#controllers li").all_inner_texts()
    assert len(held) == 1 and held[0].startswith("Laboratoire du Sud")


def test_a_non_member_sees_every_controller(browser_page):
    assert not _check(browser_page, "email", "absent@exemple.test", "1980-01-01")
    assert browser_page.inner_text("#controllers-title") == "Les responsables du traitement concernés par cette fuite"
    assert len(browser_page.locator("#controllers li").all_inner_texts()) == 2
