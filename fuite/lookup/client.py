"""Python client of the self-check protocol (``fuite check``): blind locally, ask the server, finalize locally.

The server sees only the bucket (a few hex digits of SHA-256 of the input, shared by hundreds of
inputs) and a blinded element (uniformly random); the identifier never leaves this process.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import httpx

from fuite.errors import LookupError_
from fuite.lookup import oprf
from fuite.lookup.index import bucket_of
from fuite.lookup.normalise import lookup_input

__all__ = ["CheckResult", "check", "check_input", "guidance"]


@dataclass(frozen=True)
class CheckResult:
    member: bool
    key_id: str


def _hex(value, size: int, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != size:
        raise LookupError_(f"the server sent an invalid {what}")
    return raw


def _get_config(http: httpx.Client) -> dict:
    config = http.get("/api/v1/lookup/config").raise_for_status().json()
    if config.get("suite") != oprf.SUITE or config.get("mode") != oprf.MODE:
        raise LookupError_("the server uses another OPRF suite or mode")
    bits = config.get("bucket_bits")
    if not isinstance(bits, int) or bits % 4 or not 4 <= bits <= 32 or config.get("entry_bytes") != 16:
        raise LookupError_("the server's configuration is invalid")
    return config


def check_input(http: httpx.Client, data: bytes) -> CheckResult:
    """Run the protocol for one OPRF input with an open client (``base_url`` set)."""
    config = _get_config(http)
    blind, blinded = oprf.blind_input(data)
    response = http.post("/api/v1/lookup", json={"bucket": bucket_of(data, config["bucket_bits"]),
                                                 "blinded_element": blinded.hex()})
    if response.status_code == 429:
        raise LookupError_("the server refused: too many lookups, try again later")
    if response.status_code != 200:
        raise LookupError_(f"the server answered HTTP {response.status_code}")
    body = response.json()
    evaluated = _hex(body.get("evaluated_element"), 32, "evaluated element")
    try:
        prefix = oprf.finalize(data, blind, evaluated)[:16]
    except oprf.InvalidInputError:
        raise LookupError_("the server sent an invalid evaluated element") from None
    entries = [_hex(e, 16, "entry") for e in body.get("entries", [])]
    member = any(hmac.compare_digest(prefix, e) for e in entries)
    return CheckResult(member, str(body.get("key_id", config["key_id"])))


def check(server: str, kind: str, value: str, birth_date: str, timeout: float = 10.0) -> CheckResult:
    """Whether ``kind``/``value`` with ``birth_date`` is in the breach, asking ``server`` (base URL)."""
    data = lookup_input(kind, value, birth_date).encode()
    try:
        with httpx.Client(base_url=server.rstrip("/"), timeout=timeout) as http:
            return check_input(http, data)
    except httpx.HTTPError as exc:
        raise LookupError_(f"cannot reach the self-check server ({type(exc).__name__})") from None


def guidance(server: str, timeout: float = 10.0) -> dict:
    """The breach summary the server publishes (categories, advice, contacts)."""
    try:
        return httpx.get(server.rstrip("/") + "/api/v1/lookup/guidance", timeout=timeout).raise_for_status().json()
    except httpx.HTTPError as exc:
        raise LookupError_(f"cannot reach the self-check server ({type(exc).__name__})") from None

