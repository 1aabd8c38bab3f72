"""The enumeration attack of issue 17, shared by ``bench/lookup.py`` and ``tests/test_server_defences.py``.

A known email, ``addresses`` loopback source addresses, birth dates tried one after the other from 400 days
before the true one, proofs of work solved (with hashlib) when the server asks for them, until a deadline.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import ssl
import time

import httpx

from fuite.lookup import oprf
from fuite.lookup.index import bucket_of
from fuite.lookup.pow import pow_digest

#: How many times one request is sent again on a fresh connection after a transport error.
RETRIES = 3


def address(i: int) -> str:
    """The i-th loopback source address (127.0.1.1, 127.0.1.2, …, 250 per /24)."""
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def solve_before(digest: bytes, bits: int, deadline: float) -> bytes | None:
    """The attacker's proof-of-work solver, giving up at the deadline (``time.perf_counter``)."""
    target, counter = 1 << (256 - bits), 0
    while time.perf_counter() < deadline:
        for counter in range(counter, counter + 20_000):
            nonce = counter.to_bytes(8, "big")
            if int.from_bytes(hashlib.sha256(digest + nonce).digest(), "big") < target:
                return nonce
        counter += 1
    return None


async def _post(http: httpx.AsyncClient, request: dict) -> httpx.Response | None:
    """POST a lookup; a connection the server closed just as it was reused is retried on a new one."""
    for _ in range(RETRIES):
        try:
            return await http.post("/api/v1/lookup", json=request)
        except httpx.TransportError:
            continue
    return None


async def guess(http: httpx.AsyncClient, email: str, date: dt.date, bits: int, deadline: float) -> bool | None:
    """One guess at a birth date: True/False when answered, None when refused (or unreachable)."""
    data = f"email:{email}|{date.isoformat()}".encode()
    blind, blinded = oprf.blind_input(data)
    request = {"bucket": bucket_of(data, bits), "blinded_element": blinded.hex()}
    for _ in range(3):
        response = await _post(http, request)
        if response is None:
            return None
        if response.status_code == 200:
            body = response.json()
            tag = oprf.finalize(data, blind, bytes.fromhex(body["evaluated_element"]))[:16]
            raw = base64.b64decode(body["entries"])
            return any(raw[i:i + 16] == tag for i in range(0, len(raw), 48))
        pow_ = response.json().get("pow") if response.status_code == 429 else None
        if not pow_:
            return None
        nonce = await asyncio.to_thread(solve_before, pow_digest(pow_["challenge"], request["bucket"], blinded),
                                        pow_["difficulty"], deadline)
        if nonce is None:
            return None
        request["pow"] = {"challenge": pow_["challenge"], "nonce": nonce.hex()}
    return None


async def attack(url: str, email: str, true_date: dt.date, bits: int, addresses: int, seconds: float,
                 workers: int = 16) -> dict:
    """Guess ``email``'s birth date from ``addresses`` loopback sources for ``seconds``, from 400 days before.

    Returns ``found`` (the date, or None), ``answered``, ``refused`` and ``seconds``."""
    tls = ssl.create_default_context()   # one context for all: loading the CAs once per client is slow
    # Each address's connection idles while the others are used (and while a proof of work is solved): the
    # server drops keep-alive connections idle for 5 s (uvicorn's default), and one dropped just as it is reused
    # is a ReadError. Idle connections are closed by the client first, after 2 s, and a failed send is retried.
    limits = httpx.Limits(keepalive_expiry=2.0)
    clients = [httpx.AsyncClient(base_url=url, timeout=30, transport=httpx.AsyncHTTPTransport(
        local_address=address(i), verify=tls, limits=limits)) for i in range(addresses)]
    state = {"found": None, "answered": 0, "refused": 0, "next": true_date - dt.timedelta(days=400)}
    start = time.perf_counter()
    deadline = start + seconds

    async def worker(offset: int) -> None:
        i = offset
        while time.perf_counter() < deadline and state["found"] is None:
            date, state["next"] = state["next"], state["next"] + dt.timedelta(days=1)
            answer = await guess(clients[i % addresses], email, date, bits, deadline)
            i += workers
            if answer is None:
                state["refused"] += 1
                state["next"] = min(state["next"], date)   # try that date again, from another address
            else:
                state["answered"] += 1
                state["found"] = date if answer else state["found"]

    try:
        await asyncio.gather(*(worker(k) for k in range(workers)))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    state.pop("next")
    state["seconds"] = time.perf_counter() - start
    return state
