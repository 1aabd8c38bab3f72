"""The self-check index: build, file format, no identifiers, keys, CLI build and key rotation."""

import json
import os
import random
import stat

import numpy as np
import pyarrow as pa
import pytest

from fuite.errors import LookupError_, UsageError
from fuite.lookup import index as lookup_index
from fuite.lookup import entries, keys, oprf
from fuite.lookup.build import build_index, evaluate_prefixes, person_inputs
from fuite.lookup.normalise import lookup_input
from fuite.lookup.synthetic import person_values, synthetic_persons
from conftest import access

N = 150


@pytest.fixture(scope="module")
def persons() -> pa.Table:
    return synthetic_persons(N, seed=3)


@pytest.fixture(scope="module")
def built(persons, tmp_path_factory):
    key = keys.key_from_seed(bytes(range(32)))
    out = tmp_path_factory.mktemp("index") / "lookup.idx"
    settings = {"breach": {"name": "LabLeak2021", "title": "Fuite des laboratoires", "date": "2021-02-23"},
                "controller": {"name": "Laboratoire Exemple", "email": "dpo@labo.test"}}
    stats = build_index(persons, key, out, settings, workers=1)
    return key, out, stats, lookup_index.read_index(out)


def _member(idx, key, data: bytes) -> bool:
    bucket = int(lookup_index.bucket_of(data, idx.bucket_bits), 16)
    return idx.contains(bucket, oprf.evaluate(key.sk, data)[:16])


def test_every_identifier_with_birth_date_is_indexed(built):
    key, _, stats, idx = built
    assert stats.persons == N and stats.inputs == sum(stats.by_kind.values())
    for i in range(N):
        v = person_values(i, seed=3)
        assert _member(idx, key, lookup_input("email", v["emails"][-1], v["birth_date"]).encode())
        assert _member(idx, key, lookup_input("phone", v["phone"], v["birth_date"]).encode())
        if v["nir"]:
            assert _member(idx, key, lookup_input("nir", v["nir"], v["birth_date"]).encode())


def test_wrong_birth_date_or_stranger_is_not_a_member(built):
    key, _, _, idx = built
    v = person_values(0, seed=3)
    assert not _member(idx, key, lookup_input("email", v["emails"][0], "1901-01-01").encode())
    assert not _member(idx, key, lookup_input("email", "stranger@exemple.fr", v["birth_date"]).encode())


def test_header_and_fixed_bucket_size(built):
    key, out, _, idx = built
    h = idx.header
    assert (h["suite"], h["mode"], h["entry_bytes"], h["tag_bytes"], h["key_id"]) == (
        "ristretto255-SHA512", 0, 48, 16, key.key_id)
    assert h["bucket_bits"] % 4 == 0 and h["entries_per_bucket"] >= lookup_index.MIN_ENTRIES_PER_BUCKET
    assert len(idx.data) == (1 << h["bucket_bits"]) * h["entries_per_bucket"] * 48
    assert len(bytes.fromhex(h["exposure"]["salt"])) == 16 and h["exposure"]["conditions"] is False
    assert h["breach"]["name"] == "LabLeak2021" and h["breach"]["pwn_count"] == N
    assert {c["id"] for c in h["breach"]["categories"]} >= {"nir", "email", "phone", "health_note"}
    assert h["breach"]["conditions"][0]["id"] == "hiv"
    assert h["breach"]["contacts"][0]["email"] == "dpo@labo.test"
    for bucket in range(idx.buckets):
        raw = idx.bucket_bytes(bucket)
        entries = [raw[i:i + 48] for i in range(0, len(raw), 48)]
        assert entries == sorted(entries) and len({e[:16] for e in entries}) == len(entries)


def test_index_file_holds_no_identifier(built, persons):
    _, out, _, _ = built
    raw = out.read_bytes()
    for column in ("emails", "phones", "nir", "birth_date"):
        for value in persons[column].drop_null().to_pylist():
            for part in value.split(";"):
                assert part.encode() not in raw
                assert part.encode("utf-16-le") not in raw


def test_person_without_birth_date_is_skipped_and_counted():
    table = synthetic_persons(5, seed=1)
    table = table.set_column(table.schema.get_field_index("birth_date"), "birth_date",
                             pa.array([None, "", "1970-01-01", None, "1980-02-02"], pa.string()))
    from fuite.lookup.build import BuildStats

    stats = BuildStats()
    inputs = person_inputs(table, stats)
    assert stats.skipped_no_birth_date == 3 and stats.persons == 5
    assert all(b"|1970-01-01" in i or b"|1980-02-02" in i for i in inputs)


@pytest.mark.parametrize("inputs, bits", [(0, 4), (100, 4), (8192, 4), (8193, 8), (1_500_000, 12), (3_000_000, 16)])
def test_bucket_bits_keep_a_few_hundred_per_bucket(inputs, bits):
    assert lookup_index.choose_bucket_bits(inputs) == bits


def test_parallel_and_serial_evaluation_agree():
    sk = keys.key_from_seed(bytes(32)).sk
    inputs = [f"email:p{i}@x.fr|1970-01-01".encode() for i in range(30_000)]
    assert evaluate_prefixes(sk, inputs, workers=2) == evaluate_prefixes(sk, inputs, workers=1)


def _shared_persons() -> pa.Table:
    """Synthetic persons, the first ten twice (their inputs are shared by two persons), one without a birth date."""
    persons = synthetic_persons(400, seed=8)
    twice = pa.concat_tables([persons, persons.slice(0, 10)])
    return twice.set_column(twice.schema.get_field_index("birth_date"), "birth_date",
                            pa.array([None] + twice["birth_date"].to_pylist()[1:], pa.string()))


@pytest.mark.parametrize("workers", [2, 3])
def test_the_index_file_is_the_same_bytes_whatever_the_number_of_workers(workers, tmp_path, monkeypatch):
    monkeypatch.setattr(entries, "CHUNK", 97)          # uneven chunks, shared out among the workers
    monkeypatch.setattr(entries, "SERIAL_BELOW", 0)
    persons, key = _shared_persons(), keys.key_from_seed(bytes(range(32)))

    def build(n: int) -> bytes:
        out = tmp_path / f"{n}.idx"
        stats = build_index(persons, key, out, workers=n, random_bytes=random.Random(2021).randbytes,
                            created="2021-02-23T10:00:00+00:00", with_conditions=True)
        assert stats.shared_inputs > 0 and stats.skipped_no_birth_date == 1
        return out.read_bytes()

    serial = build(1)
    assert build(workers) == serial
    assert lookup_index.read_index(tmp_path / f"{workers}.idx").header["created"] == "2021-02-23T10:00:00+00:00"


def test_a_new_build_draws_a_new_salt_and_new_padding(tmp_path):
    persons, key = synthetic_persons(50, seed=8), keys.key_from_seed(bytes(range(32)))
    first, second = (lookup_index.read_index(build_index(persons, key, tmp_path / f"{n}.idx", workers=1) and
                                             tmp_path / f"{n}.idx") for n in (1, 2))
    assert first.exposure_salt != second.exposure_salt and first.data != second.data


@pytest.mark.parametrize("damage", ["magic", "checksum", "truncate"])
def test_damaged_index_is_refused(built, tmp_path, damage):
    raw = bytearray(built[1].read_bytes())
    if damage == "magic":
        raw[:8] = b"NOTANIDX"
    elif damage == "checksum":
        raw[100] ^= 1
    else:
        raw = raw[:50]
    path = tmp_path / "bad.idx"
    path.write_bytes(bytes(raw))
    with pytest.raises(LookupError_):
        lookup_index.read_index(path)


def test_key_file_is_0600_and_round_trips(tmp_path):
    key = keys.new_key()
    path = tmp_path / "k" / "lookup.key"
    keys.write_key_file(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.read_key_file(path).key_id == key.key_id
    assert key.seed.hex() not in repr(key)
    assert json.loads(path.read_text())["key_id"] == key.key_id


def test_key_file_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "lookup.key"
    keys.write_key_file(path, keys.new_key())
    os.chmod(path, 0o644)
    with pytest.raises(LookupError_, match="chmod 600"):
        keys.read_key_file(path)


def test_key_inside_the_case_is_refused(tmp_path):
    with pytest.raises(UsageError):
        keys.load_key(tmp_path / "case" / "lookup.key", create=True, case_dir=tmp_path / "case")


def test_environment_key_wins(monkeypatch, tmp_path):
    monkeypatch.setenv(keys.ENV_KEY, "11" * 32)
    assert keys.load_key(tmp_path / "absent.key").key_id == keys.key_from_seed(b"\x11" * 32).key_id
    monkeypatch.setenv(keys.ENV_KEY, "zz")
    with pytest.raises(LookupError_):
        keys.load_key()


def _make_case(case_dir, persons):
    from fuite.store import open_case

    with open_case(case_dir, access(), create=True) as case:
        case.put_table("persons", persons)


def test_cli_build_and_rotate_key(tmp_path, fuite_cli, persons, monkeypatch):
    monkeypatch.delenv(keys.ENV_KEY, raising=False)
    case_dir, key_file, out = tmp_path / "case", tmp_path / "secret" / "lookup.key", tmp_path / "lookup.idx"
    _make_case(case_dir, persons)
    done = fuite_cli("lookup", "build", "--case", str(case_dir), "--out", str(out), "--key-file", str(key_file),
                     "--operator", "tester", "--workers", "1", check=True)
    first = lookup_index.read_index(out)
    assert first.key_id == keys.read_key_file(key_file).key_id
    assert "inputs from 150 persons" in done.stdout
    for value in persons["emails"].to_pylist()[:20]:
        assert value.split(";")[0] not in done.stdout + done.stderr
    done = fuite_cli("lookup", "rotate-key", "--key-file", str(key_file), "--case", str(case_dir), "--out", str(out),
                     "--operator", "tester", "--workers", "1", check=True)
    second = lookup_index.read_index(out)
    rotated = keys.read_key_file(key_file)
    assert second.key_id == rotated.key_id != first.key_id
    v = person_values(7, seed=3)
    data = lookup_input("phone", v["phone"], v["birth_date"]).encode()
    assert _member(second, rotated, data)
    from fuite.store import open_case

    with open_case(case_dir, access()) as case:
        actions = [e["action"] for e in case.audit_entries()]
    assert actions.count("lookup.build") == 2


def test_cli_build_without_persons_is_a_one_line_error(tmp_path, fuite_cli):
    from fuite.store import open_case

    with open_case(tmp_path / "case", access(), create=True):
        pass
    done = fuite_cli("lookup", "build", "--case", str(tmp_path / "case"), "--out", str(tmp_path / "x.idx"),
                     "--key-file", str(tmp_path / "k.key"))
    assert done.returncode != 0 and "persons" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("shared_first_bytes", [False, True])
def test_pack_buckets_puts_each_entry_in_its_bucket_sorted_bytewise(shared_first_bytes):
    rng = random.Random(5)
    entries = [rng.randbytes(48) for _ in range(700)]
    buckets = [rng.randrange(16) for _ in entries]
    if shared_first_bytes:      # two entries of one bucket share their first 8 bytes: sorted on the rest
        entries[1], buckets[1] = entries[0][:8] + bytes(40), buckets[0]
    block, per = lookup_index.pack_buckets(np.array(buckets), np.frombuffer(b"".join(entries), np.uint8).reshape(-1, 48),
                                           4, minimum=32, random_bytes=rng.randbytes)
    assert len(block) == 16 * per * 48 and per % 32 == 0 and max(buckets.count(b) for b in range(16)) <= per < 256
    for bucket in range(16):
        raw = block[bucket * per * 48:(bucket + 1) * per * 48]
        got = [raw[i:i + 48] for i in range(0, len(raw), 48)]
        assert got == sorted(got)
        assert {e for e, b in zip(entries, buckets) if b == bucket} <= set(got)
