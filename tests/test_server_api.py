"""The self-check service on a real uvicorn server on loopback, with the Python client and pyhibp."""

import base64
import logging
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest

from fuite.lookup import client, keys, oprf
from fuite.lookup.build import build_index
from fuite.lookup.index import read_index
from fuite.lookup.normalise import lookup_input
from fuite.lookup.synthetic import person_values, synthetic_persons
from fuite.server.app import ServeSettings, create_app, default_web_modules
from fuite.server.background import serving
from fuite.server.defences import DefenceSettings, FakeClock

SEED = 5
SETTINGS = {"breach": {"name": "LabLeak2021", "title": "Fuite des laboratoires", "date": "2021-02-23",
                       "domain": "labo.test"},
            "controller": {"name": "Laboratoire Exemple", "email": "dpo@labo.test", "phone": "+33100000000"}}


class Recorder:
    """ASGI wrapper keeping every request's path, query, headers and body as the server received them,
    and each response's status and body size."""

    def __init__(self, app):
        self.app, self.requests = app, []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        record = {"method": scope["method"], "path": scope["path"], "query": scope["query_string"],
                  "headers": scope["headers"], "body": b"", "status": 0, "size": 0}
        self.requests.append(record)

        async def recording_receive():
            message = await receive()
            record["body"] += message.get("body", b"")
            return message

        async def recording_send(message):
            if message["type"] == "http.response.start":
                record["status"] = message["status"]
            elif message["type"] == "http.response.body":
                record["size"] += len(message.get("body", b""))
            await send(message)

        return await self.app(scope, recording_receive, recording_send)

    def pattern(self, start: int = 0) -> list[tuple]:
        """(method, path, status, response size) of every request since ``start``."""
        return [(r["method"], r["path"], r["status"], r["size"]) for r in self.requests[start:]]

    def everything(self) -> bytes:
        return b"\n".join(r["path"].encode() + r["query"] + b"".join(k + v for k, v in r["headers"]) + r["body"]
                          for r in self.requests)


@pytest.fixture(scope="module")
def index_and_key(tmp_path_factory):
    key = keys.key_from_seed(bytes(range(1, 33)))
    out = tmp_path_factory.mktemp("srv") / "lookup.idx"
    build_index(synthetic_persons(120, seed=SEED), key, out, SETTINGS, workers=1)
    return out, key


def _app(index_and_key, defences: DefenceSettings = DefenceSettings(), **settings):
    out, key = index_and_key
    return create_app(read_index(out), key, ServeSettings(defences, web_modules=default_web_modules(), **settings))


@pytest.fixture(scope="module")
def live(index_and_key):
    recorder = Recorder(_app(index_and_key, DefenceSettings(client_per_minute=0, bucket_per_hour=0)))
    with serving(recorder) as url:
        yield url, recorder


@pytest.fixture
def access_log(caplog):
    caplog.set_level(logging.INFO, logger="fuite.server.access")
    return caplog


def test_config_is_exactly_the_protocol(live, index_and_key):
    url, _ = live
    config = httpx.get(url + "/api/v1/lookup/config").json()
    index = read_index(index_and_key[0])
    assert set(config) == {"protocol", "suite", "mode", "bucket_bits", "entry_bytes", "tag_bytes", "entries_per_bucket",
                           "kinds", "key_id", "exposure", "guidance", "pow"}
    assert {k: config[k] for k in ("protocol", "suite", "mode", "bucket_bits", "entry_bytes", "tag_bytes", "kinds",
                                   "key_id")} == {
        "protocol": 2, "suite": "ristretto255-SHA512", "mode": 0, "bucket_bits": 4, "entry_bytes": 48, "tag_bytes": 16,
        "kinds": ["email", "phone", "nir"], "key_id": index_and_key[1].key_id}
    assert config["entries_per_bucket"] == index.entries_per_bucket
    assert config["exposure"]["salt"] == index.header["exposure"]["salt"]
    assert config["guidance"] == index.header["breach"] and config["pow"]["difficulty"] == 0


@pytest.mark.parametrize("kind", ["email", "phone", "nir"])
def test_member_is_found_and_server_never_sees_it(live, kind, access_log):
    url, recorder = live
    v = person_values(11, seed=SEED) if kind != "nir" else next(
        person_values(i, seed=SEED) for i in range(11, 120) if person_values(i, seed=SEED)["nir"])
    value = {"email": v["emails"][0].upper() + " ", "phone": v["phone"], "nir": v["nir"]}[kind]
    if kind == "phone":
        value = "0" + value[3:4] + " " + value[4:6] + " " + value[6:8] + " " + value[8:10] + " " + value[10:]
    before = len(recorder.requests)
    assert client.check(url, kind, value, v["birth_date"]).member
    seen = b"\n".join(r["body"] + r["path"].encode() + r["query"] for r in recorder.requests[before:])
    normalised = lookup_input(kind, value, v["birth_date"]).split("|")[0].split(":", 1)[1]
    assert normalised.encode() not in recorder.everything()
    assert v["birth_date"].encode() not in seen
    logged = access_log.text
    assert normalised not in logged and "blinded" not in logged


def test_non_member_is_not_found(live):
    url, _ = live
    v = person_values(3, seed=SEED)
    assert not client.check(url, "email", "nobody@exemple.fr", v["birth_date"]).member
    assert not client.check(url, "email", v["emails"][0], "1901-01-01").member


def test_response_shape_and_fixed_entry_count(live, index_and_key):
    url, _ = live
    index = read_index(index_and_key[0])
    sizes = set()
    for bucket in ("0", "7", "f"):
        _, blinded = oprf.blind_input(b"anything")
        response = httpx.post(url + "/api/v1/lookup", json={"bucket": bucket, "blinded_element": blinded.hex()})
        body = response.json()
        assert set(body) == {"evaluated_element", "entries", "key_id"}
        assert len(body["evaluated_element"]) == 64
        assert len(base64.b64decode(body["entries"])) == index.entries_per_bucket * 48
        sizes.add(len(response.content))
    assert len(sizes) == 1  # every bucket's answer has the same size


IDENTITY = "00" * 32
NON_CANONICAL = "ff" * 32


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"bucket": "a"}', b'{"blinded_element": "' + b"00" * 32 + b'"}',
    b'{"bucket": "a", "blinded_element": "zz"}', b'{"bucket": "ab", "blinded_element": "' + b"11" * 32 + b'"}',
    b'{"bucket": "g", "blinded_element": "' + b"11" * 32 + b'"}',
    b'{"bucket": "a", "blinded_element": "' + IDENTITY.encode() + b'"}',
    b'{"bucket": "a", "blinded_element": "' + NON_CANONICAL.encode() + b'"}',
    b'{"bucket": "a", "blinded_element": "' + b"11" * 32 + b'", "email": "x@y.fr"}',
])
def test_malformed_requests_get_400_json(live, body):
    url, _ = live
    response = httpx.post(url + "/api/v1/lookup", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert b"x@y.fr" not in response.content


def test_rate_limit_per_client_refills_on_the_clock(index_and_key):
    clock = FakeClock()
    app = _app(index_and_key, DefenceSettings(client_per_minute=60, client_burst=3, bucket_per_hour=0), clock=clock)
    with serving(app) as url:
        _, blinded = oprf.blind_input(b"x")
        body = {"bucket": "a", "blinded_element": blinded.hex()}
        statuses = [httpx.post(url + "/api/v1/lookup", json=body).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        refused = httpx.post(url + "/api/v1/lookup", json=body)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert set(refused.json()) == {"error"}
        assert httpx.get(url + "/api/v1/lookup/config").status_code == 200  # only lookups are limited
        clock.advance(0.9)
        assert httpx.post(url + "/api/v1/lookup", json=body).status_code == 429
        clock.advance(0.1)  # one token back after exactly one second at 60/min
        assert [httpx.post(url + "/api/v1/lookup", json=body).status_code for _ in range(2)] == [200, 429]
        clock.advance(60)
        assert [httpx.post(url + "/api/v1/lookup", json=body).status_code for _ in range(4)] == [200, 200, 200, 429]


@pytest.mark.parametrize("path", ["/", "/api/v1/lookup/config", "/static/selfcheck.js", "/api/v3/breaches",
                                  "/nowhere"])
def test_security_headers(live, path):
    url, _ = live
    headers = httpx.get(url + path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert "server" not in headers
    assert "strict-transport-security" not in headers  # only with --hsts, behind TLS


def test_hsts_when_asked(index_and_key):
    with serving(_app(index_and_key, hsts=True)) as url:
        assert "max-age=" in httpx.get(url + "/api/v1/lookup/config").headers["strict-transport-security"]


def test_openapi_schema_describes_the_api(live):
    url, _ = live
    schema = httpx.get(url + "/api/openapi.json").json()
    assert {"/api/v1/lookup", "/api/v1/lookup/config", "/api/v3/breaches", "/api/v3/breach/{name}",
            "/api/v3/breachedaccount/{account}"} <= set(schema["paths"])
    assert "400" in schema["paths"]["/api/v1/lookup"]["post"]["responses"]
    assert httpx.get(url + "/docs").status_code == 404  # no page loading third-party scripts


def test_access_log_uses_route_templates_only(live, access_log):
    url, _ = live
    httpx.get(url + "/api/v3/breachedaccount/victim%40exemple.fr")
    httpx.get(url + "/no/such/victim@exemple.fr?email=victim@exemple.fr")
    text = access_log.text
    assert "GET /api/v3/breachedaccount/{account} 404" in text
    assert "victim" not in text and "127.0.0.1" not in text


def test_key_must_match_the_index(index_and_key):
    with pytest.raises(Exception, match="does not match"):
        create_app(read_index(index_and_key[0]), keys.new_key())


@pytest.fixture
def hibp(live, monkeypatch):
    pyhibp = pytest.importorskip("pyhibp", reason="pyhibp is not installed (pip install -r requirements/lookup-test)")
    url, _ = live
    monkeypatch.setattr(pyhibp, "HIBP_API_BASE_URI", url + "/api/v3/")
    pyhibp.set_user_agent(ua="fuite-tests")
    pyhibp.set_api_key(key="not-needed")
    return pyhibp


def test_hibp_catalogue_with_pyhibp(hibp):
    breaches = hibp.get_all_breaches()
    assert [b["Name"] for b in breaches] == ["LabLeak2021"]
    breach = hibp.get_single_breach(breach_name="lableak2021")
    assert breach["IsSensitive"] is True and breach["PwnCount"] == 120 and breach["BreachDate"] == "2021-02-23"
    assert {"Government issued IDs", "Email addresses", "HIV statuses"} <= set(breach["DataClasses"])
    for name in ("Name", "Title", "Domain", "AddedDate", "ModifiedDate", "Description", "IsVerified", "IsFabricated",
                 "IsRetired", "IsSpamList", "IsMalware"):
        assert name in breach
    assert hibp.get_single_breach(breach_name="Adobe") == {}  # pyhibp's answer to HTTP 404
    assert hibp.get_all_breaches(domain="labo.test") == breaches
    assert hibp.get_all_breaches(domain="other.test") == []
    assert "Medical records" in hibp.get_data_classes()


def test_hibp_breached_account_is_404_even_for_a_member(hibp, live):
    member = person_values(1, seed=SEED)["emails"][0]
    assert hibp.get_account_breaches(account=member) == []  # pyhibp's answer to HTTP 404
    assert hibp.get_account_breaches(account="nobody@exemple.fr") == []
    for account in (member, "nobody@exemple.fr"):
        response = httpx.get(f"{live[0]}/api/v3/breachedaccount/{account}", headers={"hibp-api-key": "x"})
        assert response.status_code == 404 and response.content == b""


def _run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "fuite.cli", *args], capture_output=True, text=True, timeout=120,
                          **kwargs)


def _invoke_check(url: str, *args: str) -> str:
    from typer.testing import CliRunner

    from fuite.cli import app

    done = CliRunner().invoke(app, ["check", "--server", url, *args])
    assert done.exit_code == 0, done.output
    return done.output


def test_member_and_non_member_look_the_same_on_the_wire(live, access_log):
    """`fuite check`: the same requests in the same order, with responses of the same size, and the same log."""
    url, recorder = live
    member, other = person_values(40, seed=SEED), person_values(41, seed=SEED)
    runs = {}
    for name, email, birth in (("member", member["emails"][0], member["birth_date"]),
                               ("wrong date", member["emails"][0], "1931-03-04"),
                               ("stranger", "personne@ailleurs.test", other["birth_date"])):
        start = len(recorder.requests)
        output = _invoke_check(url, "--email", email, "--birth-date", birth)
        runs[name] = recorder.pattern(start)
        assert ("TROUVÉ" in output) == (name == "member")
    assert runs["member"] == runs["wrong date"] == runs["stranger"]
    assert [(m, p) for m, p, _, _ in runs["member"]] == [("GET", "/api/v1/lookup/config"), ("POST", "/api/v1/lookup")]
    for _ in range(100):  # the access log line is written just after each response is sent
        if len(re.findall(r"(?:GET|POST) \S+ \d{3}", access_log.text)) >= 6:
            break
        time.sleep(0.05)
    assert re.findall(r"(?:GET|POST) \S+ \d{3}", access_log.text) == 3 * [
        "GET /api/v1/lookup/config 200", "POST /api/v1/lookup 200"]


def test_check_command(live):
    url, _ = live
    v = person_values(20, seed=SEED)
    found = _run("check", "--server", url, "--email", v["emails"][0], "--birth-date", v["birth_date"])
    assert found.returncode == 0 and "TROUVÉ" in found.stdout and "dpo@labo.test" in found.stdout
    assert "Vos données exposées : " in found.stdout and "Numéro de sécurité sociale" in found.stdout
    assert "Données exposées dans l'ensemble de la fuite (pas forcément les vôtres)" in found.stdout
    english = _run("check", "--server", url, "--phone", v["phone"], "--birth-date", v["birth_date"], "--lang", "en")
    assert "FOUND" in english.stdout and "What to do" in english.stdout and "Your data that was exposed: " in english.stdout
    assert " :" not in english.stdout  # no French typography in English
    missing = _run("check", "--server", url, "--email", "nobody@exemple.fr", "--birth-date", v["birth_date"])
    assert missing.returncode == 0 and "Non trouvé" in missing.stdout
    assert "pas une preuve" in missing.stdout and "dpo@labo.test" in missing.stdout
    bad = _run("check", "--server", url, "--nir", "123", "--birth-date", v["birth_date"])
    assert bad.returncode != 0 and bad.stderr.startswith("error:") and "123" not in bad.stderr
    both = _run("check", "--server", url, "--nir", "1", "--email", "a@b.fr", "--birth-date", v["birth_date"])
    assert both.returncode == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_command_with_two_workers(index_and_key, tmp_path):
    out, key = index_and_key
    key_file = tmp_path / "lookup.key"
    keys.write_key_file(key_file, key)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fuite.cli", "serve", "--index", str(out), "--key-file",
                             str(key_file), "--port", str(port), "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/api/v1/lookup/config", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        v = person_values(30, seed=SEED)
        assert client.check(url, "email", v["emails"][0], v["birth_date"]).member
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert v["emails"][0] not in stderr and "POST /api/v1/lookup 200" in stderr
    assert "blinded" not in stderr and "HTTP/1.1" not in stderr  # uvicorn's own access log stays off


def test_serve_refuses_a_key_that_does_not_match(index_and_key, tmp_path):
    key_file = tmp_path / "other.key"
    keys.write_key_file(key_file, keys.new_key())
    done = _run("serve", "--index", str(index_and_key[0]), "--key-file", str(key_file), "--port", "1")
    assert done.returncode == 5 and "does not match" in done.stderr and "Traceback" not in done.stderr
