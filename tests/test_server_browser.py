"""The self-check page end to end in real Chromium (Debian's), driven by Playwright.

A member is found, a non-member is not, and neither the server (request paths, headers, bodies as it
received them, its logs) nor the network (every request the page made) ever carries what was typed.
"""

import logging
from pathlib import Path
from urllib.parse import urlparse

import pytest
from test_server_api import SETTINGS, Recorder

from fuite.lookup import keys
from fuite.lookup.build import build_index
from fuite.lookup.index import read_index
from fuite.lookup.synthetic import person_values, synthetic_persons
from fuite.server.app import ServeSettings, create_app, default_web_modules
from fuite.server.background import serving

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
    build_index(synthetic_persons(80, seed=SEED), key, out, SETTINGS, workers=1)
    recorder = Recorder(create_app(read_index(out), key, ServeSettings(web_modules=default_web_modules())))
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
    page.check(f'input[name="kind"][value="{kind}"]')
    page.fill("#value", value)
    page.fill("#birth-date", birth_date)
    page.click("#submit")
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
    assert "Numéro de sécurité sociale (NIR)" in page.inner_text("#categories")
    assert "dpo@labo.test" in page.inner_text("#contacts")
    posts = [b for u, b in page.requests_seen if u.endswith("/api/v1/lookup")]
    assert len(posts) == 1 and '"blinded_element"' in posts[0]
    _assert_never_sent(page, site, caplog, [v["emails"][0], v["birth_date"]])


def test_non_member_is_not_found(page, site, caplog):
    v = person_values(5, seed=SEED)
    assert not _check(page, "email", "quelquun@ailleurs.fr", v["birth_date"])
    assert page.inner_text("#result-title") == "Non trouvé"
    assert page.is_hidden("#guidance")
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
    assert "Social security number (NIR)" in page.inner_text("#categories")
    page.click("#lang-switch")
    assert page.inner_text("#result-title") == "Vous êtes concerné"


def test_page_renders_the_answer(page, tmp_path):
    v = person_values(7, seed=SEED)
    _check(page, "email", v["emails"][0], v["birth_date"])
    shot = tmp_path / "selfcheck.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert page.locator("#advice li").count() >= 3
