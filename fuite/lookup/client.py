"""Python client of the self-check protocol (``fuite check``): blind locally, ask the server, finalize locally.

Every lookup makes the same two requests, member or not: ``GET /api/v1/lookup/config`` (parameters and the
breach-wide guidance, the same for everyone) then ``POST /api/v1/lookup`` (a fixed-size answer). The server sees
only the bucket (a few hex digits of SHA-256 of the identifier, shared by hundreds of identifiers) and a
blinded element (uniformly random); the identifier never leaves this process. When the server asks for a
proof of work (under load, or for a bucket over its budget) the client solves it and asks again.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field

import httpx

from fuite.errors import LookupError_
from fuite.lookup import exposure, oprf
from fuite.lookup.guidance import CONTROLLER_PREFIX
from fuite.lookup.index import bucket_of
from fuite.lookup.normalise import lookup_input
from fuite.lookup.pow import pow_digest, solve_pow

__all__ = ["CheckResult", "check", "check_input", "MAX_POW_BITS"]

#: The hardest proof of work this client solves (about a minute in Python); harder means "try later".
MAX_POW_BITS = 26
_POW_ROUNDS = 3


@dataclass(frozen=True)
class CheckResult:
    member: bool
    key_id: str
    exposed: list[dict] = field(default_factory=list)   # this person's own codes ({id, fr, en, condition})
    shared: bool = False        # the identifier and birth date belong to several persons of the case
    conditions: bool = False    # the controller discloses conditions (else none is ever listed)
    guidance: dict = field(default_factory=dict)        # breach-wide: categories, conditions, advice, contacts
    controllers: list[dict] = field(default_factory=list)   # the controllers holding this person's records
                                                             # ({id, name, contacts}; several-controller cases)


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
    if config.get("protocol") != 2 or config.get("suite") != oprf.SUITE or config.get("mode") != oprf.MODE:
        raise LookupError_("the server uses another protocol, OPRF suite or mode")
    bits = config.get("bucket_bits")
    if (not isinstance(bits, int) or bits % 4 or not 4 <= bits <= 32 or config.get("entry_bytes") != exposure.ENTRY_BYTES
            or config.get("tag_bytes") != exposure.TAG_BYTES or not isinstance(config.get("exposure"), dict)):
        raise LookupError_("the server's configuration is invalid")
    return config


def _post(http: httpx.Client, bucket: str, blinded: bytes, pow_: dict) -> dict:
    """POST the lookup, solving the proofs of work the server asks for."""
    request = {"bucket": bucket, "blinded_element": blinded.hex()}
    for _ in range(_POW_ROUNDS):
        bits = int(pow_.get("difficulty", 0)) if isinstance(pow_, dict) else 0
        if bits > MAX_POW_BITS:
            break
        if bits:
            nonce = solve_pow(pow_digest(str(pow_["challenge"]), bucket, blinded), bits)
            request["pow"] = {"challenge": pow_["challenge"], "nonce": nonce.hex()}
        response = http.post("/api/v1/lookup", json=request)
        if response.status_code == 200:
            return response.json()
        if response.status_code != 429:
            raise LookupError_(f"the server answered HTTP {response.status_code}")
        pow_ = response.json().get("pow")
        if not pow_:
            break
    raise LookupError_("the server refused: too many lookups, try again later")


def _entries(body: dict, config: dict) -> bytes:
    try:
        raw = base64.b64decode(body.get("entries", ""), validate=True)
    except (binascii.Error, ValueError, TypeError):
        raw = b""
    if len(raw) != config["entries_per_bucket"] * exposure.ENTRY_BYTES:
        raise LookupError_("the server sent an invalid list of entries")
    return raw


def check_input(http: httpx.Client, data: bytes) -> CheckResult:
    """Run the protocol for one OPRF input with an open client (``base_url`` set)."""
    config = _get_config(http)
    blind, blinded = oprf.blind_input(data)
    body = _post(http, bucket_of(data, config["bucket_bits"]), blinded, config.get("pow") or {})
    evaluated = _hex(body.get("evaluated_element"), 32, "evaluated element")
    try:
        output = oprf.finalize(data, blind, evaluated)
    except oprf.InvalidInputError:
        raise LookupError_("the server sent an invalid evaluated element") from None
    raw, tag = _entries(body, config), output[:exposure.TAG_BYTES]
    sealed = next((raw[i + exposure.TAG_BYTES:i + exposure.ENTRY_BYTES] for i in range(0, len(raw), exposure.ENTRY_BYTES)
                   if hmac.compare_digest(raw[i:i + exposure.TAG_BYTES], tag)), None)
    key_id, guidance = str(body.get("key_id", config["key_id"])), config.get("guidance", {})
    if sealed is None:
        return CheckResult(False, key_id, guidance=guidance)
    codes = config["exposure"]["codes"]
    ids, flags = exposure.decode_exposure([c["id"] for c in codes],
                                          exposure.open_entry(output, bytes.fromhex(config["exposure"]["salt"]), sealed))
    held = [c for c in guidance.get("controllers", []) if CONTROLLER_PREFIX + str(c.get("id")) in ids]
    return CheckResult(True, key_id, [c for c in codes if c["id"] in ids and not c.get("controller")],
                       bool(flags & exposure.FLAG_SHARED), bool(flags & exposure.FLAG_CONDITIONS), guidance, held)


def check(server: str, kind: str, value: str, birth_date: str, timeout: float = 10.0) -> CheckResult:
    """Whether ``kind``/``value`` with ``birth_date`` is in the breach, asking ``server`` (base URL)."""
    data = lookup_input(kind, value, birth_date).encode()
    try:
        with httpx.Client(base_url=server.rstrip("/"), timeout=timeout) as http:
            return check_input(http, data)
    except httpx.HTTPError as exc:
        raise LookupError_(f"cannot reach the self-check server ({type(exc).__name__})") from None
