"""RFC 9497 OPRF (mode 0, ristretto255-SHA512) over libsodium, against the official test vectors."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuite.lookup import oprf

VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "rfc9497-vectors.json"


def _suite() -> dict:
    if not VECTORS.exists():
        pytest.skip(f"RFC 9497 test vectors not found at {VECTORS} (../shared/data/ beside the project)")
    suites = [s for s in json.loads(VECTORS.read_text()) if s["identifier"] == oprf.SUITE and s["mode"] == 0]
    assert len(suites) == 1
    return suites[0]


def _vectors():
    if not VECTORS.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"RFC 9497 test vectors not found at {VECTORS}"))]
    return [pytest.param(v, id=f"input-{v['Input'][:8]}") for v in _suite()["vectors"]]


def test_context_string_matches_vectors():
    suite = _suite()
    assert (b"HashToGroup-" + oprf.CONTEXT_STRING).hex() == suite["groupDST"]


def test_derive_key_pair_matches_vectors():
    suite = _suite()
    sk, pk = oprf.derive_key_pair(bytes.fromhex(suite["seed"]), bytes.fromhex(suite["keyInfo"]))
    assert sk.hex() == suite["skSm"]
    assert len(pk) == 32


@pytest.mark.parametrize("vector", _vectors())
def test_protocol_matches_vectors(vector):
    suite = _suite()
    sk = bytes.fromhex(suite["skSm"])
    data, blind = bytes.fromhex(vector["Input"]), bytes.fromhex(vector["Blind"])
    _, blinded = oprf.blind_input(data, blind)
    assert blinded.hex() == vector["BlindedElement"]
    evaluated = oprf.blind_evaluate(sk, blinded)
    assert evaluated.hex() == vector["EvaluationElement"]
    assert oprf.finalize(data, blind, evaluated).hex() == vector["Output"]
    assert oprf.evaluate(sk, data).hex() == vector["Output"]
    assert oprf.Evaluator(sk).output(data).hex() == vector["Output"]


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=200))
def test_random_blind_finalize_equals_evaluate(data):
    sk, _ = oprf.derive_key_pair(bytes(range(32)), b"test")
    blind, blinded = oprf.blind_input(data)
    assert oprf.finalize(data, blind, oprf.blind_evaluate(sk, blinded)) == oprf.evaluate(sk, data)


def test_blinding_hides_the_input():
    blinds = {oprf.blind_input(b"email:a@b.fr|1970-01-01")[1] for _ in range(5)}
    assert len(blinds) == 5


@pytest.mark.parametrize("element", [
    bytes(32),                      # identity
    b"\xff" * 32,                   # not canonical
    bytes(31),                      # wrong length
    bytes.fromhex("01" + "00" * 31),  # non-canonical / odd
])
def test_invalid_elements_are_rejected(element):
    sk, _ = oprf.derive_key_pair(bytes(32), b"x")
    with pytest.raises(oprf.InvalidInputError):
        oprf.blind_evaluate(sk, element)


def test_expand_message_xmd_lengths_and_domain_separation():
    short = oprf.expand_message_xmd(b"abc", b"DST-A", 32)
    long = oprf.expand_message_xmd(b"abc", b"DST-A", 200)
    assert len(short) == 32 and len(long) == 200
    assert oprf.expand_message_xmd(b"abc", b"DST-B", 32) != short
    with pytest.raises(ValueError):
        oprf.expand_message_xmd(b"abc", b"DST", 64 * 256)


def test_derive_key_pair_rejects_short_seed():
    with pytest.raises(oprf.DeriveKeyPairError):
        oprf.derive_key_pair(b"short", b"")


@pytest.mark.parametrize("msg, expected", [
    (b"", "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba"),
    (b"abc", "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc"),
])
def test_expand_message_xmd_rfc9380_vectors(msg, expected):
    """RFC 9380 appendix K.3 (expand_message_xmd, SHA-512, len_in_bytes 0x20)."""
    assert oprf.expand_message_xmd(msg, b"QUUX-V01-CS02-with-expander-SHA512-256", 32).hex() == expected
