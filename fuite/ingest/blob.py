"""A file to read: on disk, in memory, or a member streamed out of an archive, under limits."""

from __future__ import annotations

import io
import lzma
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fuite.errors import IngestError
from fuite.ingest.limits import MiB


@dataclass
class Blob:
    """What a reader needs: a provenance name and a way to (re)open the bytes.

    ``opener`` may be called several times (readers make more than one pass);
    ``data`` is set when the bytes are already in memory, ``path`` when they are
    a plain file on disk.
    """

    name: str
    opener: Callable[[], BinaryIO]
    size: int | None = None
    data: bytes | None = None
    path: Path | None = None
    depth: int = 0
    hint: str = ""   # the name whose extension hints at the format ("x.csv" for "x.csv.gz")

    @property
    def suffix(self) -> str:
        """Lower-case extension of the hint (or of the name), without the dot."""
        base = (self.hint or self.name).rsplit("/", 1)[-1]
        return base.rsplit(".", 1)[-1].lower() if "." in base else ""

    @classmethod
    def from_path(cls, path: Path, name: str) -> Blob:
        return cls(name, lambda: open(path, "rb"), path.stat().st_size, path=path)

    @classmethod
    def from_bytes(cls, name: str, data: bytes, depth: int = 0) -> Blob:
        return cls(name, lambda: io.BytesIO(data), len(data), data=data, depth=depth)

    def open(self) -> BinaryIO:
        return self.opener()

    def head(self, n: int = 64 * 1024) -> bytes:
        """The first ``n`` bytes (fewer if the file is shorter)."""
        if self.data is not None:
            return self.data[:n]
        with self.open() as f:
            return read_up_to(f, n, tolerant=True)

    def read_all(self, limit: int) -> bytes:
        """All bytes, refusing anything larger than ``limit``."""
        if self.data is not None:
            return self.data
        if self.size is not None and self.size > limit:
            raise IngestError(f"larger than the in-memory limit ({limit // MiB} MiB)")
        with self.open() as f:
            data = read_up_to(f, limit + 1)
        if len(data) > limit:
            raise IngestError(f"larger than the in-memory limit ({limit // MiB} MiB)")
        return data


def read_up_to(f: BinaryIO, n: int, *, tolerant: bool = False) -> bytes:
    """Read until ``n`` bytes or end of stream (streams may return short reads).

    ``tolerant`` returns what could be read before a truncated or corrupt
    compressed stream failed (enough to recognise the format; reading it fully
    reports the failure).
    """
    parts, got = [], 0
    while got < n:
        try:
            chunk = f.read(min(n - got, 64 * 1024 if tolerant else 8 * MiB))
        except (EOFError, OSError, zlib.error, lzma.LZMAError):
            if not tolerant or not parts:
                raise
            break
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


class LimitedReader(io.RawIOBase):
    """Count decompressed bytes and stop a stream that grows beyond its limits (zip bombs)."""

    def __init__(self, raw: BinaryIO, *, max_bytes: int, compressed: int | None = None,
                 max_ratio: int = 0, ratio_floor: int = 0):
        self.raw, self.max_bytes, self.compressed = raw, max_bytes, compressed
        self.max_ratio, self.ratio_floor, self.count = max_ratio, ratio_floor, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        read = getattr(self.raw, "read1", self.raw.read)   # short reads: a failure loses little
        data = read(min(len(buffer), 256 * 1024))
        n = len(data)
        buffer[:n] = data
        self.count += n
        self._check()
        return n

    def _check(self) -> None:
        if self.count > self.max_bytes:
            raise IngestError(f"expands beyond the size limit ({self.max_bytes // MiB} MiB): possible zip bomb")
        if (self.max_ratio and self.compressed is not None and self.count > self.ratio_floor
                and self.count > self.max_ratio * max(self.compressed, 1)):
            raise IngestError(f"expansion ratio above {self.max_ratio}:1: possible zip bomb")

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            super().close()


def limited(raw: BinaryIO, **limits) -> BinaryIO:
    """A buffered stream over ``raw`` that enforces ``LimitedReader`` limits."""
    return io.BufferedReader(LimitedReader(raw, **limits), buffer_size=1 * MiB)
