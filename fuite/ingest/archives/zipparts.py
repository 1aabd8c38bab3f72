"""The zip parts of a spreadsheet (XLSX, ODS) measured before the spreadsheet library inflates them.

python-calamine inflates a workbook's XML parts with its own zip reader, where the
archive limits of ``archive.py`` cannot reach. So every part is inflated here first,
as a stream that is counted and thrown away (never held in memory): the real size
of each part, not the size its header declares, must stay within the limits an
archive member gets (expansion ratio beyond ``ratio_floor``, ``max_member_bytes``),
and all parts together within ``max_in_memory``. Parts are only inflated when they
could break a limit at all (deflate expands at most 1,032:1).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from typing import BinaryIO

from fuite.errors import IngestError
from fuite.ingest.limits import MiB, Limits

DEFLATE_MAX_RATIO = 1032
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_OUT_CHUNK = 4 * MiB


def check_zip_parts(source: BinaryIO, limits: Limits) -> None:
    """Raise ``IngestError`` (one line, naming no value) when a part of the zip in ``source`` is a bomb."""
    with zipfile.ZipFile(source) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > limits.max_entries:
        raise IngestError(f"spreadsheet with {len(infos)} parts, more than the limit of {limits.max_entries}")
    total = 0
    for info in infos:
        total += _part_size(source, info, limits)
        if total > limits.max_in_memory:
            raise IngestError(f"spreadsheet parts inflate beyond {limits.max_in_memory // MiB} MiB: possible zip bomb")


def part_limit(compressed: int, limits: Limits) -> int:
    """The most a part of ``compressed`` bytes may inflate to."""
    return min(limits.max_member_bytes, max(limits.ratio_floor, limits.max_ratio * max(compressed, 1)))


def _part_size(source: BinaryIO, info: zipfile.ZipInfo, limits: Limits) -> int:
    allowed = part_limit(info.compress_size, limits)
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise IngestError(f"spreadsheet part compressed with method {info.compress_type}, not deflate")
    if DEFLATE_MAX_RATIO * info.compress_size <= allowed:
        return DEFLATE_MAX_RATIO * info.compress_size
    return _inflated_size(source, info, allowed)


def _inflated_size(source: BinaryIO, info: zipfile.ZipInfo, allowed: int) -> int:
    """The real inflated size of a deflated part, counted as a stream; refused as soon as it passes ``allowed``."""
    source.seek(info.header_offset)
    magic, name_len, extra_len = _LOCAL_HEADER.unpack(source.read(_LOCAL_HEADER.size))
    if magic != b"PK\x03\x04":
        raise IngestError("corrupt spreadsheet (zip part header not found)")
    source.seek(name_len + extra_len, 1)
    inflater, left, size = zlib.decompressobj(-15), info.compress_size, 0
    while left > 0 and not inflater.eof:
        data = source.read(min(left, MiB))
        if not data:
            break
        left -= len(data)
        while data and not inflater.eof:
            size += len(inflater.decompress(data, _OUT_CHUNK))
            if size > allowed:
                raise IngestError(f"a spreadsheet part of {info.compress_size // 1024} kB inflates beyond "
                                  f"{allowed // MiB} MiB: possible zip bomb")
            data = inflater.unconsumed_tail
    return size
