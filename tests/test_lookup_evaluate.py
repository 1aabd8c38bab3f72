"""The index build's hot loop: its shortcuts give the same bytes as the plain RFC 9497 / HKDF code, and its
progress bar counts every input once, in order, with their number as its total, serial or in processes."""

from __future__ import annotations

import hashlib
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from fuite.lookup import build, exposure, keys, oprf
from fuite.lookup.synthetic import synthetic_persons
from fuite.progress import RecordingTracker


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_the_h2g_expansion_is_expand_message_xmd(msg):
    assert oprf._expand_h2g(msg) == oprf.expand_message_xmd(msg, oprf._H2G_DST, 64)


@given(st.binary(min_size=64, max_size=64), st.binary(max_size=32), st.binary(min_size=16, max_size=16))
@settings(max_examples=200, deadline=None)
def test_the_sealer_seals_as_seal_entry(output, salt, plaintext):
    sealed = exposure.Sealer(salt).seal(output, plaintext)
    assert sealed == exposure.seal_entry(output, salt, plaintext)
    assert exposure.open_entry(output, salt, sealed[exposure.TAG_BYTES:]) == plaintext


def test_the_evaluator_gives_rfc_outputs():
    sk = keys.key_from_seed(bytes(range(32))).sk
    evaluator = oprf.Evaluator(sk)
    for i in range(50):
        data = f"email:p{i}@example.org|1970-01-01".encode()
        assert evaluator.output(data) == oprf.evaluate(sk, data)


def _expected_entries(sk, salt, inputs, plaintexts):
    return b"".join(exposure.seal_entry(oprf.evaluate(sk, d), salt, p) for d, p in zip(inputs, plaintexts))


def _bar_of(persons, workers, monkeypatch, chunk=None):
    if chunk:
        monkeypatch.setattr(build, "_CHUNK", chunk)
    made = build.index_inputs(persons)
    bars = RecordingTracker()
    bar = bars.bar("inputs", len(made.inputs), "inputs")
    key, salt = keys.key_from_seed(bytes(32)), os.urandom(16)
    entries = build.evaluate_entries(key.sk, salt, made.inputs, made.plaintexts, workers, bar)
    return made, bars.history["inputs"], entries, key, salt


def test_serial_build_bar_reaches_the_number_of_inputs_chunk_by_chunk(monkeypatch):
    made, history, entries, key, salt = _bar_of(synthetic_persons(3000, seed=2), 1, monkeypatch)
    assert history[-1] == len(made.inputs) and len(history) >= 4
    assert all(a < b for a, b in zip(history, history[1:]))
    assert hashlib.sha256(entries).digest() == hashlib.sha256(
        _expected_entries(key.sk, salt, made.inputs, made.plaintexts)).digest()


def test_process_pool_bar_and_entries_agree_with_the_serial_build(monkeypatch):
    made, history, entries, key, salt = _bar_of(synthetic_persons(1500, seed=4), 2, monkeypatch, chunk=500)
    assert history[-1] == len(made.inputs) and len(history) >= 3
    assert all(a < b for a, b in zip(history, history[1:]))
    assert entries == _expected_entries(key.sk, salt, made.inputs, made.plaintexts)


def test_build_index_opens_one_bar_with_the_inputs_as_total(tmp_path):
    bars = RecordingTracker()
    stats = build.build_index(synthetic_persons(200, seed=6), keys.key_from_seed(bytes(32)), tmp_path / "i.idx",
                              workers=1, progress=bars)
    label = "lookup build: OPRF inputs"
    assert bars.totals[label] == stats.inputs and bars.history[label][-1] == stats.inputs
    (steps,) = set(bars.history) - {label}
    assert bars.history[steps] == [0, 1, 2, 3] and bars.totals[steps] == 3
