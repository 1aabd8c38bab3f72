"""The index entries of OPRF inputs, evaluated in worker processes: the index build's hot loop.

Each input ``{kind}:{value}|{birth_date}`` gives one 48-byte entry ``tag ‖ sealed`` (``fuite.lookup.exposure``)
from its one RFC 9497 Evaluate (``oprf.Evaluator``: one hash-to-group and one scalar multiplication), and the
first 4 bytes of SHA-256 of its identifier ``{kind}:{value}``, from which its bucket is taken
(``fuite.lookup.index.bucket_of``). The inputs are cut into chunks that ``workers`` processes evaluate; the
parent puts the results back in the order of the inputs, so they are the same bytes whatever the number of
workers. The server key and the exposure salt reach each worker once, through the pipe that starts it (the
pool's initializer), never through a file; the worker keeps the key in a ctypes buffer.

This module imports no data-frame library, so that a worker starts with libsodium and hashlib only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

from fuite.lookup import exposure, oprf
from fuite.lookup.exposure import PLAINTEXT_BYTES
from fuite.progress import Bar

__all__ = ["CHUNK", "SERIAL_BELOW", "Evaluated", "evaluator", "evaluate", "evaluate_chunk", "identifier_prefixes",
           "workers_for"]

#: Inputs per job: about half a second of one core, so that the bar moves and the cores end together.
CHUNK = 5_000
#: Below this many inputs the parent evaluates them itself (starting processes would cost more).
SERIAL_BELOW = 20_000


@dataclass(frozen=True)
class Evaluated:
    """The entries (``n × 48`` bytes) and identifier prefixes (``n × 4`` bytes, big-endian) of ``n`` inputs."""

    entries: bytes
    prefixes: bytes


def identifier_prefixes(inputs: list[bytes]) -> bytes:
    """The first 4 bytes of SHA-256 of each input's identifier (the part before the last ``|``), concatenated."""
    sha256 = hashlib.sha256
    return b"".join([sha256(data.rpartition(b"|")[0]).digest()[:4] for data in inputs])


class _Chunks:
    """One process's evaluator: the key in a ctypes buffer, the HKDF extract keyed with the salt once."""

    def __init__(self, sk: bytes, salt: bytes):
        self.outputs = oprf.Evaluator(sk).outputs
        self.seal_all = exposure.Sealer(salt).seal_all

    def __call__(self, inputs: list[bytes], plaintexts: bytes) -> Evaluated:
        return Evaluated(self.seal_all(self.outputs(inputs), plaintexts), identifier_prefixes(inputs))


def evaluate_chunk(sk: bytes, salt: bytes, inputs: list[bytes], plaintexts: bytes) -> Evaluated:
    """The entries and identifier prefixes of ``inputs`` in this process."""
    return _Chunks(sk, salt)(inputs, plaintexts)


_worker: _Chunks | None = None


def _start_worker(sk: bytes, salt: bytes) -> None:
    global _worker
    _worker = _Chunks(sk, salt)


def _run(job: tuple[list[bytes], bytes]) -> Evaluated:
    return _worker(*job)


def _ready() -> None:
    """A job that only makes the pool start a worker (its initializer runs)."""


def _jobs(inputs: list[bytes], plaintexts: bytes, size: int) -> Iterator[tuple[list[bytes], bytes]]:
    if len(plaintexts) != len(inputs) * PLAINTEXT_BYTES:
        raise ValueError("one 16-byte plaintext per input")
    return ((inputs[i:i + size], plaintexts[i * PLAINTEXT_BYTES:(i + size) * PLAINTEXT_BYTES])
            for i in range(0, len(inputs), size))


def _in_process(evaluator: _Chunks, inputs: list[bytes], plaintexts: bytes, progress: Bar) -> list[Evaluated]:
    done = []
    for job in _jobs(inputs, plaintexts, CHUNK):
        done.append(evaluator(*job))
        progress.advance(len(job[0]))
    return done


def _in_pool(pool: ProcessPoolExecutor, inputs: list[bytes], plaintexts: bytes, progress: Bar) -> list[Evaluated]:
    done = []
    for part in pool.map(_run, _jobs(inputs, plaintexts, CHUNK)):
        done.append(part)
        progress.advance(len(part.prefixes) // 4)
    return done


@contextmanager
def evaluator(sk: bytes, salt: bytes, workers: int) -> Iterator[Callable[..., Evaluated]]:
    """``evaluate(inputs, plaintexts, progress=None)`` by ``workers`` processes (1: this one), in order.

    The workers start at once, so that they are ready (their interpreter loaded, the key received) while the
    caller is still preparing the inputs; they stop when the block ends.
    """
    if workers <= 1:
        chunks = _Chunks(sk, salt)
        yield lambda inputs, plaintexts, progress=None: _gather(_in_process, chunks, inputs, plaintexts, progress)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("forkserver"), initializer=_start_worker,
                             initargs=(sk, salt)) as pool:
        for _ in range(workers):
            pool.submit(_ready)
        yield lambda inputs, plaintexts, progress=None: _gather(_in_pool, pool, inputs, plaintexts, progress)


def _gather(run, by, inputs: list[bytes], plaintexts: bytes, progress: Bar | None) -> Evaluated:
    done = run(by, inputs, plaintexts, progress or Bar("", len(inputs)))
    return Evaluated(b"".join(p.entries for p in done), b"".join(p.prefixes for p in done))


def workers_for(inputs: int, workers: int | None = None) -> int:
    """The processes to evaluate ``inputs`` with: ``workers`` (default: every core), one below ``SERIAL_BELOW``."""
    return 1 if inputs < SERIAL_BELOW else workers or os.cpu_count() or 1


def evaluate(sk: bytes, salt: bytes, inputs: list[bytes], plaintexts: bytes, workers: int | None = None,
             progress: Bar | None = None) -> Evaluated:
    """The entries and identifier prefixes of ``inputs``, in order, by ``workers`` processes (default: every core).

    ``progress`` advances by the inputs of each chunk done, in order.
    """
    with evaluator(sk, salt, workers_for(len(inputs), workers)) as run:
        return run(inputs, plaintexts, progress)
