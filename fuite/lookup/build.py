"""Build the self-check index from a case's ``persons`` table.

Every person's emails, phones and NIR, each paired with their birth date, become OPRF inputs
``{kind}:{value}|{birth_date}``; each is evaluated with the server key (RFC 9497 Evaluate) and the
first 16 bytes of the Output are stored in the input's bucket. Evaluation runs in a process pool.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from fuite.lookup import oprf
from fuite.lookup.guidance import breach_summary
from fuite.lookup.index import ENTRY_BYTES, choose_bucket_bits, pack_buckets, write_index
from fuite.lookup.keys import ServerKey
from fuite.lookup.normalise import TRIM_CHARS as _TRIM

__all__ = ["BuildStats", "person_inputs", "evaluate_prefixes", "build_index"]

_CHUNK = 25_000
_SEPARATORS = str.maketrans("", "", " \t\u00a0\u2009\u202f.-/()")


@dataclass
class BuildStats:
    persons: int = 0
    inputs: int = 0
    skipped_no_birth_date: int = 0
    by_kind: dict = field(default_factory=lambda: {"email": 0, "phone": 0, "nir": 0})


def _listed(*columns: str) -> pl.Expr:
    """The distinct non-empty values of ``;``-joined list columns, trimmed."""
    parts = [pl.col(c).fill_null("").str.split(";") for c in columns]
    return (pl.concat_list(parts).list.eval(pl.element().str.strip_chars(_TRIM))
            .list.eval(pl.element().filter(pl.element() != "")).list.unique())


_SEPARATORS_RE = r"[ \t\u00a0\u2009\u202f.\-/()]"


def person_inputs(persons: pa.Table, stats: BuildStats | None = None) -> list[bytes]:
    """The distinct OPRF inputs of a persons table (values are already normalised by detect/resolve)."""
    stats = stats if stats is not None else BuildStats()
    df = pl.from_arrow(persons.select([c for c in ("birth_date", "email", "emails", "phone", "phones", "nir")
                                        if c in persons.column_names]))
    for name in ("email", "emails", "phone", "phones", "nir"):
        if name not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(name))
    df = df.with_columns(pl.col("birth_date").fill_null("").str.strip_chars())
    stats.persons += df.height
    stats.skipped_no_birth_date += int((df["birth_date"] == "").sum())
    df = df.filter(pl.col("birth_date") != "")
    kinds = {
        "email": _listed("emails", "email").list.eval(pl.element().str.to_lowercase()),
        "phone": _listed("phones", "phone").list.eval(pl.element().str.replace_all(_SEPARATORS_RE, "")),
        "nir": _listed("nir").list.eval(pl.element().str.replace_all(_SEPARATORS_RE, "").str.to_uppercase()),
    }
    frames = []
    for kind, values in kinds.items():
        part = (df.select(values.alias("v"), "birth_date").explode("v").drop_nulls("v").filter(pl.col("v") != "")
                .select(pl.concat_str([pl.lit(f"{kind}:"), pl.col("v"), pl.lit("|"), pl.col("birth_date")])
                        .alias("input")).unique())
        stats.by_kind[kind] += part.height
        frames.append(part)
    inputs = pl.concat(frames)["input"].unique().to_list()
    stats.inputs = len(inputs)
    return [i.encode() for i in inputs]


def _evaluate_chunk(args: tuple[bytes, list[bytes]]) -> bytes:
    sk, chunk = args
    evaluator = oprf.Evaluator(sk)
    return b"".join(evaluator.output(data)[:ENTRY_BYTES] for data in chunk)


def _chunks(items: list[bytes], size: int) -> Iterable[list[bytes]]:
    return (items[i:i + size] for i in range(0, len(items), size))


def evaluate_prefixes(sk: bytes, inputs: list[bytes], workers: int | None = None) -> bytes:
    """Concatenated 16-byte Output prefixes of ``inputs``, in order; ``workers`` processes (default: cores)."""
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(inputs) < 2 * _CHUNK:
        return _evaluate_chunk((sk, inputs))
    size = max(2_000, min(_CHUNK, len(inputs) // (workers * 4) + 1))
    with ProcessPoolExecutor(workers, mp_context=get_context("forkserver")) as pool:
        return b"".join(pool.map(_evaluate_chunk, ((sk, c) for c in _chunks(inputs, size))))


def _buckets(inputs: list[bytes], bucket_bits: int) -> np.ndarray:
    """Bucket numbers: the top ``bucket_bits`` bits of SHA-256 (= its first ``bucket_bits/4`` hex digits)."""
    shift = 32 - bucket_bits
    return np.fromiter((int.from_bytes(hashlib.sha256(d).digest()[:4], "big") >> shift for d in inputs),
                       dtype=np.int64, count=len(inputs))


def build_index(persons: pa.Table, key: ServerKey, out: Path, settings: dict | None = None,
                workers: int | None = None, bucket_bits: int | None = None) -> BuildStats:
    """Build the index file ``out`` from ``persons`` with ``key``; returns counts (no identifiers)."""
    stats = BuildStats()
    inputs = person_inputs(persons, stats)
    bits = bucket_bits or choose_bucket_bits(len(inputs))
    if bits % 4 or not 4 <= bits <= 32:
        raise ValueError("bucket_bits must be a multiple of 4 between 4 and 32")
    prefixes = np.frombuffer(evaluate_prefixes(key.sk, inputs, workers), dtype=np.uint8).reshape(-1, ENTRY_BYTES)
    entries, per = pack_buckets(_buckets(inputs, bits), prefixes, bits)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    header = {
        "format": "fuite-lookup-index", "suite": oprf.SUITE, "mode": oprf.MODE, "bucket_bits": bits,
        "entry_bytes": ENTRY_BYTES, "entries_per_bucket": per, "key_id": key.key_id, "created": now,
        "kinds": ["email", "phone", "nir"], "breach": breach_summary(persons, settings or {}, now),
    }
    write_index(out, header, entries)
    return stats
