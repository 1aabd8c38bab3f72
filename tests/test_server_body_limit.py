"""The app limits request bodies itself: a real uvicorn on loopback, sent 300 MB, answers 413 without buffering."""

import socket
import threading
from urllib.parse import urlparse

import httpx
import pytest

from fuite.lookup import keys, oprf
from fuite.lookup.build import build_index
from fuite.lookup.index import read_index
from fuite.lookup.synthetic import synthetic_persons
from fuite.server.app import ServeSettings, create_app
from fuite.server.background import serving
from fuite.server.defences import DefenceSettings

HUGE = 300 * 1024 * 1024


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    key = keys.new_key()
    out = tmp_path_factory.mktemp("limit") / "lookup.idx"
    build_index(synthetic_persons(20, seed=2), key, out, {}, workers=1)
    with serving(create_app(read_index(out), key, ServeSettings(DefenceSettings(client_per_minute=0)))) as base:
        yield base


def _rss_kb() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _send_huge(base: str, head: bytes, chunked: bool) -> tuple[bytes, int]:
    """Send ``head`` then up to 300 MB of body from another thread; return the response and the bytes sent."""
    host = urlparse(base)
    sock = socket.create_connection((host.hostname, host.port))
    sent = [0]
    block = b"x" * (1 << 20)
    piece = b"%x\r\n%s\r\n" % (len(block), block) if chunked else block

    def pump():
        try:
            sock.sendall(head)
            while sent[0] < HUGE:
                sock.sendall(piece)
                sent[0] += len(block)
        except OSError:
            pass  # the server closed the connection: what we want

    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    response = b""
    sock.settimeout(60)
    while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
        data = sock.recv(65536)
        if not data:
            break
        response += data
    sender.join(60)
    sock.close()
    return response, sent[0]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_huge_body_gets_413_and_memory_stays_flat(url, chunked):
    before = _rss_kb()
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % HUGE
    head = (b"POST /api/v1/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%s\r\n\r\n"
            % framing)
    response, sent = _send_huge(url, head, chunked)
    assert response.startswith(b"HTTP/1.1 413")
    assert b"too large" in response
    assert sent < HUGE  # the server stopped reading and closed the connection
    assert _rss_kb() - before < 40_000  # kB: nothing like 300 MB was held


def test_small_lookup_still_works_and_limit_is_4_kb(url):
    _, blinded = oprf.blind_input(b"x")
    ok = httpx.post(url + "/api/v1/lookup", json={"bucket": "a", "blinded_element": blinded.hex()})
    assert ok.status_code == 200
    padded = b'{"bucket": "a", "blinded_element": "' + blinded.hex().encode() + b'"' + b" " * 4000 + b"}"
    assert len(padded) > 4096
    refused = httpx.post(url + "/api/v1/lookup", content=padded, headers={"content-type": "application/json"})
    assert refused.status_code == 413 and refused.json() == {"error": "request body too large (at most 4 kB)"}
    assert "content-security-policy" in refused.headers
