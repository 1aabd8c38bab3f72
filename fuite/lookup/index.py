"""The self-check index file: bucketed 48-byte entries (OPRF tag + sealed answer), padded, and public metadata.

File layout (all integers big endian), documented in ``docs/lookup-protocol.md``::

    magic        8 bytes   b"FUITEIDX"
    version      u16       2
    header_len   u32       length of the header
    header       JSON      suite, mode, bucket_bits, entry_bytes, tag_bytes, entries_per_bucket, key_id,
                           created, kinds, exposure {salt, codes, conditions}, breach
    entries      2**bucket_bits * entries_per_bucket * entry_bytes bytes, bucket 0 first;
                 within a bucket the entries (real and random padding) are sorted bytewise
    checksum     32 bytes  SHA-256 of everything before it

The file holds no identifier and nothing that lets one test a guess offline: every entry is a tag and a
ciphertext derived from an OPRF output under a key the file does not contain, and every bucket has the
same length.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fuite.errors import LookupError_
from fuite.lookup import oprf
from fuite.lookup.exposure import ENTRY_BYTES, TAG_BYTES

__all__ = ["MAGIC", "VERSION", "ENTRY_BYTES", "TAG_BYTES", "MIN_ENTRIES_PER_BUCKET", "LookupIndex",
           "choose_bucket_bits", "identifier_of", "bucket_of", "pack_buckets", "write_index", "read_index"]

MAGIC = b"FUITEIDX"
VERSION = 2
TARGET_PER_BUCKET = 512
MIN_ENTRIES_PER_BUCKET = 256
_PREFIX = struct.Struct(">8sHI")


@dataclass
class LookupIndex:
    """An index in memory: the header (public metadata) and the padded buckets."""

    header: dict
    data: bytes

    @property
    def bucket_bits(self) -> int:
        return int(self.header["bucket_bits"])

    @property
    def entries_per_bucket(self) -> int:
        return int(self.header["entries_per_bucket"])

    @property
    def key_id(self) -> str:
        return str(self.header["key_id"])

    @property
    def buckets(self) -> int:
        return 1 << self.bucket_bits

    @property
    def exposure_salt(self) -> bytes:
        return bytes.fromhex(self.header["exposure"]["salt"])

    @property
    def exposure_codes(self) -> list[dict]:
        return list(self.header["exposure"]["codes"])

    def bucket_bytes(self, bucket: int) -> bytes:
        """The ``entries_per_bucket * 48`` bytes of one bucket."""
        size = self.entries_per_bucket * ENTRY_BYTES
        return self.data[bucket * size:(bucket + 1) * size]

    def entries_base64(self, bucket: int) -> str:
        """The bucket's entries, concatenated, in standard base64 (what the API sends)."""
        return base64.b64encode(self.bucket_bytes(bucket)).decode()

    def find(self, bucket: int, tag: bytes) -> bytes | None:
        """The sealed answer (32 bytes) of the entry tagged ``tag`` (16 bytes) in ``bucket``, or None."""
        raw = self.bucket_bytes(bucket)
        for i in range(0, len(raw), ENTRY_BYTES):
            if raw[i:i + TAG_BYTES] == tag:
                return raw[i + TAG_BYTES:i + ENTRY_BYTES]
        return None

    def contains(self, bucket: int, tag: bytes) -> bool:
        """Whether an entry tagged ``tag`` (16 bytes) is in ``bucket``."""
        return self.find(bucket, tag) is not None


def choose_bucket_bits(inputs: int, target: int = TARGET_PER_BUCKET) -> int:
    """The smallest multiple of 4 (at least 4) giving at most ``target`` inputs per bucket on average."""
    bits = 4
    while inputs / (1 << bits) > target and bits < 32:
        bits += 4
    return bits


def identifier_of(data: bytes) -> bytes:
    """The identifier part ``{kind}:{value}`` of an input ``{kind}:{value}|{birth_date}``."""
    return data.rpartition(b"|")[0]


def bucket_of(data: bytes, bucket_bits: int) -> str:
    """The bucket of an input: the first ``bucket_bits/4`` hex digits, lowercase, of SHA-256 of its identifier.

    The birth date is left out, so that every guess at one identifier's birth date falls in one bucket
    (the server's per-bucket budget then bounds them).
    """
    return hashlib.sha256(identifier_of(data)).hexdigest()[:bucket_bits // 4]


def pack_buckets(buckets: np.ndarray, prefixes: np.ndarray, bucket_bits: int,
                 minimum: int = MIN_ENTRIES_PER_BUCKET,
                 random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> tuple[bytes, int]:
    """Lay out ``prefixes`` (n x 48 uint8 entries) by bucket, pad with random entries, sort each bucket.

    Returns the entries block and the number of entries per bucket (the same for every bucket). The result depends
    on the entries of each bucket, not on their order, and on ``random_bytes`` (the padding).
    """
    n_buckets = 1 << bucket_bits
    counts = np.bincount(buckets, minlength=n_buckets) if len(buckets) else np.zeros(n_buckets, dtype=np.int64)
    per = max(minimum, -(-int(counts.max(initial=0)) // 32) * 32)
    block = np.frombuffer(random_bytes(n_buckets * per * ENTRY_BYTES), dtype=_ENTRY).reshape(n_buckets, per).copy()
    order = np.argsort(buckets, kind="stable")
    sorted_buckets = buckets[order]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    slot = np.arange(len(order)) - starts[sorted_buckets]
    block[sorted_buckets, slot] = np.ascontiguousarray(prefixes).view(_ENTRY).reshape(-1)[order]
    return _sorted_buckets(block).tobytes(), per


#: One entry as a single numpy value (48 bytes copied at once).
_ENTRY = np.dtype((np.void, ENTRY_BYTES))


def _sorted_buckets(block: np.ndarray) -> np.ndarray:
    """Each bucket (row of ``block``, buckets x entries of ``_ENTRY``) sorted bytewise.

    The entries of a bucket are sorted on their first 8 bytes, row by row; when two entries of one bucket share
    them (about once in 2^47 builds at full size), every bucket is sorted on all six 8-byte words instead."""
    n_buckets, per = block.shape
    words = block.view(">u8").reshape(n_buckets, per, ENTRY_BYTES // 8).astype(np.uint64)
    first = words[:, :, 0]
    order = np.argsort(first, axis=1, kind="stable")
    ordered = np.take_along_axis(first, order, axis=1)
    flat = block.reshape(-1)
    if (ordered[:, 1:] == ordered[:, :-1]).any():
        columns = words.reshape(-1, ENTRY_BYTES // 8)
        keys = tuple(columns[:, i] for i in reversed(range(ENTRY_BYTES // 8)))
        return flat[np.lexsort(keys + (np.repeat(np.arange(n_buckets), per),))]
    return flat[(order + (np.arange(n_buckets) * per)[:, None]).reshape(-1)]


def write_index(path: Path, header: dict, entries: bytes) -> None:
    """Write an index file atomically."""
    path = Path(path)
    head = json.dumps(header, sort_keys=True, ensure_ascii=False).encode()
    body = _PREFIX.pack(MAGIC, VERSION, len(head)) + head + entries
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(body)
        fh.write(hashlib.sha256(body).digest())
    os.replace(tmp, path)


def read_index(path: Path) -> LookupIndex:
    """Read and check an index file."""
    try:
        raw = Path(path).read_bytes()
    except OSError:
        raise LookupError_(f"cannot read the index file {path}") from None
    if len(raw) < _PREFIX.size + 32 or raw[:8] != MAGIC:
        raise LookupError_(f"{path}: not a fuite lookup index")
    _, version, head_len = _PREFIX.unpack_from(raw)
    if version != VERSION:
        raise LookupError_(f"{path}: index format version {version} is not supported")
    if hashlib.sha256(raw[:-32]).digest() != raw[-32:]:
        raise LookupError_(f"{path}: the index file is damaged (checksum mismatch)")
    try:
        header = json.loads(raw[_PREFIX.size:_PREFIX.size + head_len])
        index = LookupIndex(header, raw[_PREFIX.size + head_len:-32])
        expected = index.buckets * index.entries_per_bucket * ENTRY_BYTES
    except (ValueError, KeyError, TypeError):
        raise LookupError_(f"{path}: the index header is invalid") from None
    if (len(index.data) != expected or header.get("suite") != oprf.SUITE or header.get("mode") != oprf.MODE
            or header.get("entry_bytes") != ENTRY_BYTES or "exposure" not in header):
        raise LookupError_(f"{path}: the index is inconsistent with its header")
    return index
