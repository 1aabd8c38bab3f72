"""The self-check page end to end in real Chromium (Debian's), driven by Playwright.

A member is found and told their own exposure, a non-member is not, both make the same requests with
responses of the same size, and neither the server (request paths, headers, bodies as it received them, its
logs) nor the network (every request the page made) ever carries what was typed.
"""

import logging
from pathlib import Path
from urllib.parse import urlparse

import pyarrow as pa
import pytest
from test_server_api import SETTINGS, Recorder

from fuite.lookup import keys
from fuite.lookup.build import build_index
from fuite.lookup.index import read_index
from fuite.lookup.synthetic import person_values, synthetic_persons
from fuite.server.app import ServeSettings, create_app, default_web_modules
from fuite.server.background import serving
from fuite.server.defences import DefenceSettings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SEED = 9

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="Debian chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not (default_web_modules() / "@noble" / "curves").exists(),
                       reason="web dependencies missing: run `npm ci --prefix web`"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip)")
    key = keys.new_key()
    out = tmp_path_factory.mktemp("browser") / "lookup.idx"
    persons = synthetic_persons(80, seed=SEED)
    cats = persons["categories"].to_pylist()
    cats[4] = "last_name;email;birth_date"  # person 4's own exposure differs from the breach-wide list
    persons = persons.set_column(persons.schema.get_field_index("categories"), "categories", pa.array(cats))
    build_index(persons, key, out, SETTINGS, workers=1)
    settings = ServeSettings(DefenceSettings(client_per_minute=0), web_modules=default_web_modules())
    recorder = Recorder(create_app(read_index(out), key, settings))
    with serving(recorder) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield url, recorder, browser
        browser.close()


@pytest.fixture
def page(site, caplog):
    url, recorder, browser = site
    caplog.set_level(logging.DEBUG)
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.requests_seen, page.console_errors = [], []
    page.on("request", lambda r: page.requests_seen.append((r.url, r.post_data or "")))
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.goto(url + "/")
    page.wait_for_selector("body[data-ready=true]", timeout=15_000)
    yield page
    context.close()


def _check(page, kind: str, value: str, birth_date: str) -> bool:
    done = int(page.get_attribute("body", "data-lookups") or 0)
    page.check(f'input[name="kind"][value="{kind}"]')
    page.fill("#value", value)
    page.fill("#birth-date", birth_date)
    page.click("#submit")
    page.wait_for_selector(f"body[data-lookups='{done + 1}']", timeout=30_000)
    page.wait_for_selector("#result:not([hidden])", timeout=15_000)
    return page.get_attribute("#result", "data-member") == "true"


def _assert_never_sent(page, site, caplog, typed: list[str]):
    url, recorder, _ = site
    host = urlparse(url).netloc
    assert all(urlparse(u).netloc == host for u, _ in page.requests_seen), "a request left the local server"
    received = recorder.everything()
    sent = "\n".join(u + b for u, b in page.requests_seen)
    for value in typed:
        assert value.encode() not in received and value not in sent and value not in caplog.text
        assert value.lower().encode() not in received
    assert not page.console_errors


def test_member_is_found_without_the_server_seeing_it(page, site, caplog):
    v = person_values(4, seed=SEED)
    email = "  " + v["emails"][0].upper()
    assert _check(page, "email", email, v["birth_date"])
    assert page.inner_text("#result-title") == "Vous êtes concerné"
    own = page.locator("#exposed li").all_inner_texts()
    assert sorted(own) == sorted(["Nom de famille", "Adresse électronique", "Date de naissance"])  # theirs only
    assert "Numéro de sécurité sociale (NIR)" in page.inner_text("#categories")  # the breach-wide list…
    assert "pas forcément les vôtres" in page.inner_text("#breach-wide")          # …labelled as such
    assert "dpo@labo.test" in page.inner_text("#contacts")
    posts = [b for u, b in page.requests_seen if u.endswith("/api/v1/lookup")]
    assert len(posts) == 1 and '"blinded_element"' in posts[0]
    _assert_never_sent(page, site, caplog, [v["emails"][0], v["birth_date"]])


def test_non_member_is_not_found(page, site, caplog):
    v = person_values(5, seed=SEED)
    assert not _check(page, "email", "quelquun@ailleurs.fr", v["birth_date"])
    assert page.inner_text("#result-title") == "Non trouvé"
    assert "pas une preuve" in page.inner_text("#result-text") and "dpo@labo.test" in page.inner_text("#contacts")
    assert page.is_hidden("#personal")
    assert not _check(page, "email", v["emails"][0], "1901-02-03")  # right email, wrong birth date
    _assert_never_sent(page, site, caplog, ["quelquun@ailleurs.fr", v["emails"][0]])


def test_phone_and_nir_typed_the_french_way(page, site, caplog):
    v = next(person_values(i, seed=SEED) for i in range(10, 80) if person_values(i, seed=SEED)["nir"])
    national = "0" + v["phone"][3:]
    spaced = " ".join(national[i:i + 2] for i in range(0, 10, 2))
    assert _check(page, "phone", spaced, v["birth_date"])
    nir = v["nir"]
    assert _check(page, "nir", f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}".lower(),
                  v["birth_date"])
    _assert_never_sent(page, site, caplog, [national, v["phone"], v["phone"][1:], nir])


def test_invalid_input_is_explained_and_not_sent(page):
    page.check('input[name="kind"][value="nir"]')
    page.fill("#value", "1 85 07 75 123 456 00")
    page.fill("#birth-date", "1985-07-01")
    page.click("#submit")
    page.wait_for_selector("#status.error")
    assert "clé" in page.inner_text("#status")
    assert not [u for u, _ in page.requests_seen if u.endswith("/api/v1/lookup")]


def test_english_switch(page):
    page.click("#lang-switch")
    assert page.inner_text("h1") == "Am I affected by the leak?"
    assert page.get_attribute("html", "lang") == "en"
    v = person_values(6, seed=SEED)
    assert _check(page, "email", v["emails"][0], v["birth_date"])
    assert page.inner_text("#result-title") == "You are affected"
    assert "Social security number (NIR)" in page.inner_text("#exposed")
    assert "not necessarily yours" in page.inner_text("#breach-wide")
    assert " :" not in page.inner_text("body")  # no French typography in English
    page.click("#lang-switch")
    assert page.inner_text("#result-title") == "Vous êtes concerné"


def test_page_renders_the_answer(page, tmp_path):
    v = person_values(7, seed=SEED)
    _check(page, "email", v["emails"][0], v["birth_date"])
    shot = tmp_path / "selfcheck.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert page.locator("#advice li").count() >= 3


def test_member_and_non_member_look_the_same_on_the_wire(page, site):
    """The same requests in the same order, responses of the same size, as the server recorded them."""
    _, recorder, _ = site
    member, other = person_values(8, seed=SEED), person_values(9, seed=SEED)
    patterns = []
    for email, birth, expected in ((member["emails"][0], member["birth_date"], True),
                                   (member["emails"][0], "1932-05-06", False),
                                   ("inconnu@ailleurs.test", other["birth_date"], False)):
        start, seen = len(recorder.requests), len(page.requests_seen)
        assert _check(page, "email", email, birth) is expected
        patterns.append((recorder.pattern(start), [u for u, _ in page.requests_seen[seen:]]))
    assert patterns[0] == patterns[1] == patterns[2]
    assert [(m, p) for m, p, _, _ in patterns[0][0]] == [("GET", "/api/v1/lookup/config"), ("POST", "/api/v1/lookup")]


def test_a_person_gets_three_answers_and_the_page_solves_a_proof_of_work(site, tmp_path_factory):
    """A busy bucket asks for proofs of work: the page solves them and the person still gets every answer."""
    browser = site[2]
    key = keys.new_key()
    out = tmp_path_factory.mktemp("busy") / "lookup.idx"
    build_index(synthetic_persons(20, seed=SEED), key, out, SETTINGS, workers=1)
    busy = DefenceSettings(client_per_minute=0, bucket_burst=1, base_bits=12)
    recorder = Recorder(create_app(read_index(out), key, ServeSettings(busy, web_modules=default_web_modules())))
    v = person_values(3, seed=SEED)
    with serving(recorder) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        answers = [_check(page, "email", v["emails"][0], v["birth_date"]) for _ in range(3)]
        context.close()
    assert answers == [True, True, True]
    posts = [r for r in recorder.requests if r["path"] == "/api/v1/lookup"]
    assert [r["status"] for r in posts] == [200, 429, 200, 429, 200]  # the 2nd and 3rd needed a proof
    assert b'"pow"' in posts[2]["body"] and b'"pow"' in posts[4]["body"]
