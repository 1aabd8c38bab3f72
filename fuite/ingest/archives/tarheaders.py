"""Tar extended headers checked before ``tarfile`` parses them (CVE-2024-6232, and headers of any size).

CPython before 3.11.10 parses pax headers with backtracking regular expressions: a
1 kB ``.tar.gz`` whose pax header holds a million digits keeps it busy for hours. The
fix is in the standard library from 3.11.10 and 3.12.6; fuite does not rely on it.
``GuardedTarInfo`` (given to ``tarfile.open(..., tarinfo=GuardedTarInfo)``) reads
each pax or GNU long-name header once, refuses it when it is larger than
``MAX_HEADER_BYTES``, not a run of well-formed ``LENGTH key=value\\n`` records, or holds
a run of more than ``MAX_DIGITS`` digits, then hands the same bytes to ``tarfile``.
Every check is linear in the header's size.
"""

from __future__ import annotations

import re
import tarfile

from fuite.errors import IngestError
from fuite.ingest.limits import MiB

MAX_HEADER_BYTES = 1 * MiB
MAX_DIGITS = 64
_LENGTH = re.compile(rb"([0-9]{1,20}) ")
_LONG_NUMBER = re.compile(rb"[0-9]{%d}" % (MAX_DIGITS + 1))


def check_pax(buf: bytes) -> None:
    """Raise ``IngestError`` unless ``buf`` (a pax header's data) is well-formed records only."""
    if _LONG_NUMBER.search(buf):
        raise IngestError(f"tar pax header holds a number of more than {MAX_DIGITS} digits (CVE-2024-6232 pattern)")
    pos = 0
    while pos < len(buf) and buf[pos]:
        m = _LENGTH.match(buf, pos)
        length = int(m.group(1)) if m else 0
        end = pos + length
        if not m or end > len(buf) or end <= m.end() or buf[end - 1] != 0x0A or b"=" not in buf[m.end():end]:
            raise IngestError("malformed tar pax header")
        pos = end


def _checked_size(info: tarfile.TarInfo) -> int:
    if info.size > MAX_HEADER_BYTES:
        raise IngestError(f"tar extended header larger than {MAX_HEADER_BYTES // MiB} MiB")
    return info._block(info.size)


class _Replay:
    """The tar stream, with the bytes of one header already read handed out first."""

    def __init__(self, head: bytes, stream):
        self.head, self.stream = head, stream

    def read(self, n: int = -1) -> bytes:
        if self.head is not None:
            data, self.head = self.head, None
            return data
        return self.stream.read(n)

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


class GuardedTarInfo(tarfile.TarInfo):
    """``TarInfo`` whose pax and GNU long-name headers are size-checked, and pax ones validated, first."""

    def _proc_pax(self, tar):
        buf = tar.fileobj.read(_checked_size(self))
        check_pax(buf[: self.size])
        return self._replayed(tar, buf, super()._proc_pax)

    def _proc_gnulong(self, tar):
        return self._replayed(tar, tar.fileobj.read(_checked_size(self)), super()._proc_gnulong)

    @staticmethod
    def _replayed(tar, buf: bytes, parse):
        stream = tar.fileobj
        tar.fileobj = _Replay(buf, stream)
        try:
            return parse(tar)
        finally:
            tar.fileobj = stream


def open_tar(source, **kwargs) -> tarfile.TarFile:
    """``tarfile.open`` in read mode (any compression) with guarded headers; ``source`` a path or a file object."""
    if isinstance(source, str):
        return tarfile.open(source, "r:*", tarinfo=GuardedTarInfo, **kwargs)
    return tarfile.open(fileobj=source, mode="r:*", tarinfo=GuardedTarInfo, **kwargs)


def is_tar(path) -> bool:
    """``tarfile.is_tarfile`` with guarded headers: a corrupt or hostile stream is simply not a tar here."""
    try:
        with open_tar(str(path)):
            return True
    except IngestError:
        return True   # a tar, with a header refused: reading it reports why
    except Exception:  # noqa: BLE001
        return False
