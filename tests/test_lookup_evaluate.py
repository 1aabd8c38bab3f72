"""The index build's hot loop: its shortcuts give the same bytes as the plain RFC 9497 / HKDF code, and its
progress bar counts every input once, in order, with their number as its total, serial or in processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from fuite.lookup import build, entries, exposure, keys, oprf
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
    return b"".join(exposure.seal_entry(oprf.evaluate(sk, d), salt, plaintexts[16 * i:16 * i + 16])
                    for i, d in enumerate(inputs))


def _bar_of(persons, workers, monkeypatch, chunk=None):
    if chunk:
        monkeypatch.setattr(entries, "CHUNK", chunk)
        monkeypatch.setattr(entries, "SERIAL_BELOW", 0)
    made = build.index_inputs(persons)
    bars = RecordingTracker()
    bar = bars.bar("inputs", len(made.inputs), "inputs")
    key, salt = keys.key_from_seed(bytes(32)), os.urandom(16)
    done = entries.evaluate(key.sk, salt, made.inputs, made.plaintexts, workers, bar)
    assert done.prefixes == b"".join(hashlib.sha256(d.rpartition(b"|")[0]).digest()[:4] for d in made.inputs)
    return made, bars.history["inputs"], done.entries, key, salt


def test_serial_build_bar_reaches_the_number_of_inputs_chunk_by_chunk(monkeypatch):
    made, history, done, key, salt = _bar_of(synthetic_persons(3000, seed=2), 1, monkeypatch)
    assert history[-1] == len(made.inputs) and len(history) >= 3
    assert all(a < b for a, b in zip(history, history[1:]))
    assert hashlib.sha256(done).digest() == hashlib.sha256(
        _expected_entries(key.sk, salt, made.inputs, made.plaintexts)).digest()


def test_process_pool_bar_and_entries_agree_with_the_serial_build(monkeypatch):
    made, history, done, key, salt = _bar_of(synthetic_persons(1500, seed=4), 2, monkeypatch, chunk=500)
    assert history[-1] == len(made.inputs) and len(history) >= 3
    assert all(a < b for a, b in zip(history, history[1:]))
    assert done == _expected_entries(key.sk, salt, made.inputs, made.plaintexts)


def test_a_plaintext_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError):
        exposure.Sealer(bytes(16)).seal_all([bytes(64)], bytes(15))
    with pytest.raises(ValueError):
        exposure.Sealer(bytes(16)).seal(bytes(64), bytes(17))
    with pytest.raises(ValueError):
        entries.evaluate(bytes(32), bytes(16), [b"email:a@b.fr|1970-01-01"], b"")


def test_the_worker_module_loads_no_data_frame_library():
    code = "import sys, fuite.lookup.entries; print(sorted({'polars', 'pyarrow', 'numpy'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.stdout.strip() == "[]"


def test_build_index_opens_one_bar_with_the_inputs_as_total(tmp_path):
    bars = RecordingTracker()
    stats = build.build_index(synthetic_persons(200, seed=6), keys.key_from_seed(bytes(32)), tmp_path / "i.idx",
                              workers=1, progress=bars)
    label = "lookup build: OPRF inputs"
    assert bars.totals[label] == stats.inputs and bars.history[label][-1] == stats.inputs
    (steps,) = set(bars.history) - {label}
    assert bars.history[steps] == [0, 1, 2, 3] and bars.totals[steps] == 3
