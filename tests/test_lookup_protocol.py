"""The self-check protocol, implemented here from docs/lookup-protocol.md alone (hashlib, hmac and libsodium
primitives through pysodium; nothing from fuite.lookup), checked against the documented test vectors and
against a real server: each person opens their own sealed answer and reads their own exposure."""

import base64
import hashlib
import hmac
import json
import re
from pathlib import Path

import httpx
import pyarrow as pa
import pysodium
import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "lookup-protocol.md"
CONTEXT = b"OPRFV1-\x00-ristretto255-SHA512"


# ---- an independent client, from the documentation ---------------------------------------------------------

def xmd(msg: bytes, dst: bytes, length: int) -> bytes:
    """expand_message_xmd with SHA-512 (RFC 9380 5.3.1)."""
    dst_prime = dst + bytes([len(dst)])
    b0 = hashlib.sha512(bytes(128) + msg + length.to_bytes(2, "big") + b"\x00" + dst_prime).digest()
    out, prev = b"", bytes(64)
    for i in range(1, -(-length // 64) + 1):
        prev = hashlib.sha512(bytes(a ^ b for a, b in zip(b0, prev)) + bytes([i]) + dst_prime).digest()
        out += prev
    return out[:length]


def derive_sk(seed: bytes, info: bytes) -> bytes:
    msg = seed + len(info).to_bytes(2, "big") + info + b"\x00"
    return pysodium.crypto_core_ristretto255_scalar_reduce(xmd(msg, b"DeriveKeyPair" + CONTEXT, 64))


def blind(data: bytes, r: bytes) -> bytes:
    point = pysodium.crypto_core_ristretto255_from_hash(xmd(data, b"HashToGroup-" + CONTEXT, 64))
    return pysodium.crypto_scalarmult_ristretto255(r, point)


def finalize(data: bytes, r: bytes, evaluated: bytes) -> bytes:
    unblinded = pysodium.crypto_scalarmult_ristretto255(pysodium.crypto_core_ristretto255_scalar_invert(r), evaluated)
    return hashlib.sha512(len(data).to_bytes(2, "big") + data + len(unblinded).to_bytes(2, "big") + unblinded
                          + b"Finalize").digest()


def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha512).digest()
    okm, block, i = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha512).digest()
        okm, i = okm + block, i + 1
    return okm[:length]


def open_answer(output: bytes, salt: bytes, sealed: bytes, codes: list[str]) -> tuple[set[str], int]:
    okm = hkdf(salt, output, b"fuite lookup exposure v1", 56)
    plain = pysodium.crypto_aead_xchacha20poly1305_ietf_decrypt(sealed, output[:16], okm[32:56], okm[:32])
    assert len(plain) == 16 and plain[0] == 1
    return {c for i, c in enumerate(codes) if plain[2 + i // 8] >> (i % 8) & 1}, plain[1]


def lookup(url: str, data: bytes) -> tuple[bool, set[str], int, dict]:
    """One lookup as the documentation says: GET config, POST lookup, finalize, find the tag, open."""
    config = httpx.get(url + "/api/v1/lookup/config").json()
    identifier = data.rpartition(b"|")[0]
    bucket = hashlib.sha256(identifier).hexdigest()[:config["bucket_bits"] // 4]
    r = pysodium.crypto_core_ristretto255_scalar_random()
    body = httpx.post(url + "/api/v1/lookup", json={"bucket": bucket, "blinded_element": blind(data, r).hex()}).json()
    output = finalize(data, r, bytes.fromhex(body["evaluated_element"]))
    entries = base64.b64decode(body["entries"])
    assert len(entries) == config["entries_per_bucket"] * config["entry_bytes"] == config["entries_per_bucket"] * 48
    codes = [c["id"] for c in config["exposure"]["codes"]]
    for i in range(0, len(entries), 48):
        if entries[i:i + 16] == output[:16]:
            exposed, flags = open_answer(output, bytes.fromhex(config["exposure"]["salt"]), entries[i + 16:i + 48], codes)
            return True, exposed, flags, config
    return False, set(), 0, config


# ---- the documented vectors -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vectors() -> dict:
    return json.loads(re.findall(r"```json\n(.*?)```", DOC.read_text(), re.S)[-1])


def test_documented_vectors(vectors):
    v = {k: bytes.fromhex(x) if isinstance(x, str) and re.fullmatch("(?:[0-9a-f]{2})+", x) else x
         for k, x in vectors.items()}
    data = vectors["input"].encode()
    sk = derive_sk(v["seed"], vectors["key_info"].encode())
    assert sk == v["skS"]
    assert hashlib.sha256(vectors["identifier"].encode()).hexdigest()[:3] == vectors["bucket"]
    assert blind(data, v["blind"]) == v["blinded_element"]
    assert pysodium.crypto_scalarmult_ristretto255(sk, v["blinded_element"]) == v["evaluated_element"]
    output = finalize(data, v["blind"], v["evaluated_element"])
    assert output == v["output"] and output[:16] == v["tag"] == v["entry"][:16]
    okm = hkdf(v["exposure_salt"], output, b"fuite lookup exposure v1", 56)
    assert (okm[:32], okm[32:]) == (v["key"], v["nonce"])
    exposed, flags = open_answer(output, v["exposure_salt"], v["entry"][16:], vectors["codes"])
    assert exposed == set(vectors["exposed"]) and flags == vectors["flags"]
    digest = hashlib.sha256(vectors["pow_challenge"].encode() + vectors["bucket"].encode() + v["blinded_element"])
    assert digest.digest() == v["pow_digest"]
    proof = int.from_bytes(hashlib.sha256(digest.digest() + v["pow_nonce"]).digest(), "big")
    assert proof >> (256 - vectors["pow_difficulty"]) == 0


def test_fuite_reproduces_the_documented_vectors(vectors):
    """fuite's own code gives the same bytes (so the documentation is the code's specification)."""
    from fuite.lookup import exposure, keys, oprf

    key = keys.key_from_seed(bytes.fromhex(vectors["seed"]))
    output = oprf.evaluate(key.sk, vectors["input"].encode())
    assert output.hex() == vectors["output"]
    plain = exposure.encode_exposure(vectors["codes"], set(vectors["exposed"]), vectors["flags"])
    assert exposure.seal_entry(output, bytes.fromhex(vectors["exposure_salt"]), plain).hex() == vectors["entry"]


# ---- against a real server: each person reads their own exposure --------------------------------------------

PEOPLE = [  # (email, birth date, categories, conditions) written here, not by a generator
    ("ana@exemple.test", "1961-04-02", "last_name;email;health_note", "hiv"),
    ("bob@exemple.test", "1975-11-30", "last_name;first_name;email;nir", ""),
    ("cleo@exemple.test", "1990-07-14", "email;medication;blood_group", "pregnancy;hepatitis"),
    ("dan@exemple.test", "1948-01-09", "email;street_address", "cancer"),
    ("dan@exemple.test", "1948-01-09", "email;phone", "cancer"),         # the same input for two persons
    ("dan@exemple.test", "1948-01-09", "email", "cancer;addiction"),
]


def _persons() -> pa.Table:
    from fuite.schema import PERSON_SCHEMA

    n = len(PEOPLE)
    columns = {"person_id": list(range(n)), "records": [1] * n, "email": [p[0] for p in PEOPLE],
               "emails": [p[0] for p in PEOPLE], "birth_date": [p[1] for p in PEOPLE],
               "categories": [p[2] for p in PEOPLE], "conditions": [p[3] or None for p in PEOPLE]}
    return pa.table({f.name: pa.array(columns.get(f.name, [None] * n), type=f.type) for f in PERSON_SCHEMA},
                    schema=PERSON_SCHEMA)


@pytest.fixture(scope="module", params=[True, False], ids=["with-conditions", "categories-only"])
def server(request, tmp_path_factory):
    from fuite.lookup import keys
    from fuite.lookup.build import build_index
    from fuite.lookup.index import read_index
    from fuite.server.app import ServeSettings, create_app
    from fuite.server.background import serving
    from fuite.server.defences import DefenceSettings

    key = keys.new_key()
    out = tmp_path_factory.mktemp("protocol") / "lookup.idx"
    build_index(_persons(), key, out, {}, workers=1, with_conditions=request.param)
    with serving(create_app(read_index(out), key, ServeSettings(DefenceSettings(client_per_minute=0)))) as url:
        yield url, request.param


@pytest.mark.parametrize("who", [0, 1, 2])
def test_each_person_reads_their_own_exposure(server, who):
    url, with_conditions = server
    email, birth, categories, conditions = PEOPLE[who]
    member, exposed, flags, config = lookup(url, f"email:{email}|{birth}".encode())
    own = set(categories.split(";")) | (set(filter(None, conditions.split(";"))) if with_conditions else set())
    assert member and exposed == own
    assert flags == (2 if with_conditions else 0)
    breach_wide = {c["id"] for c in config["guidance"]["categories"] + config["guidance"]["conditions"]}
    assert own < breach_wide  # the answer is this person's, not the breach-wide list


def test_shared_input_says_less(server):
    url, with_conditions = server
    member, exposed, flags, _ = lookup(url, b"email:dan@exemple.test|1948-01-09")
    assert member and flags & 1
    assert exposed == {"email", "street_address", "phone"} | ({"cancer"} if with_conditions else set())


def test_wrong_birth_date_and_stranger_are_not_found(server):
    url, _ = server
    assert not lookup(url, b"email:ana@exemple.test|1961-04-03")[0]
    assert not lookup(url, b"email:zoe@exemple.test|1961-04-02")[0]
