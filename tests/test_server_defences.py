"""No oracle: the budgets and proof of work of fuite.server.defences, on a fake clock and against a real attack.

The attack is the one of issue 17: a known email, 500 loopback source addresses, 20 s, birth dates tried
one after the other starting 400 days before the true one, proofs of work solved when asked. With the
defences it never reaches the true date, and a person making three lookups meanwhile gets three answers.
With only the per-address limit (the old defence) the same attack finds the date: the test can fail.
"""

import asyncio
import datetime as dt
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from attack import address, attack  # noqa: E402  (bench/attack.py, shared with bench/lookup.py)

from fuite.lookup import client, keys
from fuite.lookup.build import build_index
from fuite.lookup.index import bucket_of, read_index
from fuite.lookup.pow import pow_bits, pow_digest, solve_pow
from fuite.schema import PERSON_SCHEMA
from fuite.server.app import ServeSettings, create_app
from fuite.server.background import serving
from fuite.server.defences import DefenceSettings, Defences, FakeClock, client_key

SECRET = b"s" * 32
BLINDED = bytes(32)


def _defences(clock, **settings) -> Defences:
    return Defences(SECRET, 12, DefenceSettings(**settings), clock=clock, wall=lambda: clock() + 1.7e9)


def _proof(d: Defences, bucket: str, bits: int, blinded: bytes = BLINDED) -> tuple[str, bytes]:
    challenge = d.challenge()
    return challenge, solve_pow(pow_digest(challenge, bucket, blinded), bits)


@pytest.mark.parametrize("address, key", [
    ("192.0.2.7", "192.0.2.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ("::ffff:192.0.2.7", "192.0.2.7"),
    ("not-an-address", "not-an-address"),
])
def test_client_key_groups_ipv6_by_64(address, key):
    assert client_key(address) == key


def test_every_address_of_a_64_shares_one_budget():
    clock = FakeClock()
    d = _defences(clock, client_burst=3, bucket_per_hour=0)
    answers = [d.check(f"2001:db8::{i:x}", f"{i:03x}", BLINDED, None).admitted for i in range(5)]
    assert answers == [True, True, True, False, False]
    assert d.check("2001:db8:0:1::1", "abc", BLINDED, None).admitted  # another /64


def test_a_bucket_in_debt_asks_one_more_bit_each_time():
    clock = FakeClock()
    d = _defences(clock, client_per_minute=0, bucket_burst=2, base_bits=4, max_bits=9)
    assert [d.check("192.0.2.1", "abc", BLINDED, None).admitted for _ in range(2)] == [True, True]
    asked = []
    for i in range(6):
        refused = d.check("192.0.2.1", "abc", BLINDED, None)
        assert not refused.admitted
        asked.append(refused.difficulty)
        if refused.difficulty:
            assert d.check("192.0.2.1", "abc", BLINDED, _proof(d, "abc", refused.difficulty)).admitted
    assert asked == [4, 5, 6, 7, 8, 9]
    refused = d.check("192.0.2.1", "abc", BLINDED, None)
    assert (refused.admitted, refused.difficulty) == (False, 0) and refused.retry_after > 0  # past max_bits
    assert d.check("192.0.2.1", "abd", BLINDED, None).admitted  # other buckets are untouched
    clock.advance(30 * 6)  # 120/hour: one token per 30 s; six were owed, so the bucket is back to 0
    assert d.check("192.0.2.1", "abc", BLINDED, None).difficulty == 4
    clock.advance(30)
    assert d.check("192.0.2.1", "abc", BLINDED, None).admitted


def test_a_proof_is_good_for_its_blinded_element_and_a_few_minutes_only():
    clock = FakeClock()
    d = _defences(clock, client_per_minute=0, bucket_burst=1, base_bits=10)
    assert d.check("192.0.2.1", "abc", BLINDED, None).admitted
    other = bytes([1]) * 32
    challenge, nonce = _proof(d, "abc", 10, other)
    assert pow_bits(pow_digest(challenge, "abc", BLINDED), nonce) < 10  # (deterministic: fixed clock and inputs)
    assert not d.check("192.0.2.1", "abc", BLINDED, (challenge, nonce)).admitted
    assert not d.check("192.0.2.1", "abc", BLINDED, ("123.00000000000000000000000000000000", bytes(8))).admitted
    stale = _proof(d, "abc", 10)
    clock.advance(4 * 60)  # 4 minutes: the bucket has 8 more tokens, spend them
    assert all(d.check("192.0.2.1", "abc", BLINDED, None).admitted for _ in range(1))
    assert not d.check("192.0.2.1", "abc", BLINDED, stale).admitted
    assert d.check("192.0.2.1", "abc", BLINDED, _proof(d, "abc", 10)).admitted


def test_global_budget_asks_everyone_for_a_proof_under_load():
    clock = FakeClock()
    d = _defences(clock, client_per_minute=0, bucket_per_hour=0, global_per_second=10, global_burst=5, load_bits=7)
    assert all(d.check("192.0.2.1", f"{i:03x}", BLINDED, None).admitted for i in range(5))
    assert d.load_bits() == 7
    refused = d.check("192.0.2.9", "fff", BLINDED, None)
    assert (refused.admitted, refused.difficulty) == (False, 7)
    assert d.check("192.0.2.9", "fff", BLINDED, _proof(d, "fff", 7)).admitted
    clock.advance(1.0)
    assert d.load_bits() == 0 and d.check("192.0.2.9", "eee", BLINDED, None).admitted


def test_the_bucket_ignores_the_birth_date():
    buckets = {bucket_of(f"email:known@exemple.test|{1950 + i}-01-01".encode(), 12) for i in range(50)}
    assert len(buckets) == 1


# ---- the bounded attack on a real server ----------------------------------------------------------------------

VICTIM, TRUE_DATE = "victime.connue@exemple.test", dt.date(1979, 6, 15)
HONEST, HONEST_DATE = "honnete@exemple.test", "1984-02-29"
ADDRESSES = [address(i) for i in range(500)]


def _persons() -> pa.Table:
    rows = [(VICTIM, TRUE_DATE.isoformat()), (HONEST, HONEST_DATE)] + [
        (f"autre{i}@exemple.test", f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}") for i in range(200)]
    n = len(rows)
    columns = {"person_id": list(range(n)), "records": [1] * n, "email": [r[0] for r in rows],
               "emails": [r[0] for r in rows], "birth_date": [r[1] for r in rows],
               "categories": ["email;last_name;health_note"] * n}
    return pa.table({f.name: pa.array(columns.get(f.name, [None] * n), type=f.type) for f in PERSON_SCHEMA},
                    schema=PERSON_SCHEMA)


@pytest.fixture(scope="module")
def index_and_key(tmp_path_factory):
    key = keys.new_key()
    out = tmp_path_factory.mktemp("attack") / "lookup.idx"
    build_index(_persons(), key, out, {}, workers=1, bucket_bits=12)
    return read_index(out), key


def _run_attack(url: str, bucket_bits: int, seconds: float, result: dict) -> None:
    """The attack of ``bench/attack.py``; an exception in it is kept in ``result`` for the test to raise."""
    try:
        result.update(asyncio.run(attack(url, VICTIM, TRUE_DATE, bucket_bits, len(ADDRESSES), seconds)))
    except BaseException as exc:  # noqa: BLE001 - re-raised by the test, in its own thread
        result["error"] = exc


def _outcome(result: dict) -> dict:
    if "error" in result:
        raise result["error"]
    return result


@pytest.mark.slow
def test_bounded_attack_finds_nothing_while_a_person_gets_three_answers(index_and_key):
    index, key = index_and_key
    with serving(create_app(index, key, ServeSettings())) as url:
        result: dict = {}
        attacker = threading.Thread(target=_run_attack, args=(url, index.bucket_bits, 20.0, result))
        attacker.start()
        try:
            honest = []
            for _ in range(3):
                time.sleep(2.0)
                honest.append(client.check(url, "email", HONEST, HONEST_DATE).member)
        finally:
            attacker.join(60)
    assert honest == [True, True, True]
    result = _outcome(result)
    assert result["found"] is None
    assert result["answered"] < 400  # never reached the true date, 400 days after the first guess
    assert result["refused"] > 0


def test_with_the_per_address_limit_only_the_same_attack_finds_the_date(index_and_key):
    index, key = index_and_key
    old = DefenceSettings(bucket_per_hour=0, global_per_second=0)  # 30/min and burst 10 per address, as before
    with serving(create_app(index, key, ServeSettings(old))) as url:
        result: dict = {}
        _run_attack(url, index.bucket_bits, 60.0, result)
    assert _outcome(result)["found"] == TRUE_DATE
