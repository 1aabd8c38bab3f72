"""Archives (zip, tar, single-file gz/bz2/xz/zst), read from memory or streamed, never extracted to disk.

Every member becomes a ``Blob`` named ``archive/inner/path`` and goes back to the
dispatcher, so archives nest. Limits guard against zip bombs (expansion ratio,
member and total size, entry count, depth) and unsafe member paths are refused.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from fuite.errors import IngestError
from fuite.ingest.archives.tarheaders import open_tar
from fuite.ingest.blob import Blob, limited
from fuite.ingest.limits import MiB, Limits
from fuite.ingest.reporter import Reporter
from fuite.schema import SourceTable

Dispatch = Callable[[Blob, Reporter], Iterator[SourceTable]]
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def unsafe_member(name: str) -> bool:
    """True for absolute paths, drive letters and ``..`` components (path traversal)."""
    clean = name.replace("\\", "/")
    return clean.startswith("/") or (len(clean) > 1 and clean[1] == ":") or ".." in clean.split("/")


def _check_depth(blob: Blob, limits: Limits) -> None:
    if blob.depth >= limits.max_depth:
        raise IngestError(f"archives nested deeper than {limits.max_depth} levels")


def _check_totals(count: int, total: int, compressed: int | None, limits: Limits) -> None:
    if count > limits.max_entries:
        raise IngestError(f"{count} entries, more than the limit of {limits.max_entries}")
    if total > limits.max_total_bytes:
        raise IngestError(f"declares {total // MiB} MiB, more than the limit of {limits.max_total_bytes // MiB} MiB")
    if compressed and total > limits.ratio_floor and total > limits.max_ratio * compressed:
        raise IngestError(f"expansion ratio above {limits.max_ratio}:1: possible zip bomb")


def _seekable(blob: Blob, limits: Limits) -> BinaryIO | str:
    """A path or an in-memory file object for formats that need random access."""
    if blob.path is not None:
        return str(blob.path)
    import io

    return io.BytesIO(blob.read_all(limits.max_in_memory))


def read_zip(blob: Blob, reporter: Reporter, dispatch: Dispatch) -> Iterator[SourceTable]:
    limits = reporter.limits
    _check_depth(blob, limits)
    archive = zipfile.ZipFile(_seekable(blob, limits))
    infos = [i for i in archive.infolist() if not i.is_dir()]
    _check_totals(len(infos), sum(i.file_size for i in infos), sum(i.compress_size for i in infos), limits)
    for info in infos:
        name = f"{blob.name}/{info.filename}"
        reason = _zip_member_problem(info)
        if reason:
            reporter.problem(name, reason)
            continue
        opener = _zip_opener(archive, info, limits)
        yield from dispatch(Blob(name, opener, info.file_size, depth=blob.depth + 1), reporter)


def _zip_member_problem(info: zipfile.ZipInfo) -> str | None:
    if unsafe_member(info.filename):
        return "unsafe member path (absolute or with ..), skipped"
    if info.flag_bits & 0x1 or info.compress_type == 99:
        return "encrypted member (password protected): cannot be read without the password"
    if info.compress_type not in _ZIP_METHODS:
        return f"unsupported zip compression method {info.compress_type}"
    return None


def _zip_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> Callable[[], BinaryIO]:
    def opener() -> BinaryIO:
        return limited(archive.open(info), max_bytes=limits.max_member_bytes, compressed=info.compress_size,
                       max_ratio=limits.max_ratio, ratio_floor=limits.ratio_floor)
    return opener


def read_tar(blob: Blob, reporter: Reporter, dispatch: Dispatch) -> Iterator[SourceTable]:
    limits = reporter.limits
    _check_depth(blob, limits)
    source = _seekable(blob, limits)
    archive = open_tar(source)
    members: list[tarfile.TarInfo] = []
    try:
        for member in archive:
            members.append(member)
            if len(members) > limits.max_entries:
                break
    except IngestError as exc:
        reporter.problem(blob.name, f"{exc} after {len(members)} members; the rest of the archive is not read")
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError):
        reporter.problem(blob.name, f"archive truncated or corrupt after {len(members)} members")
    files = [m for m in members if m.isfile()]
    compressed = blob.size if blob.path is not None or blob.data is not None else None
    _check_totals(len(members), sum(m.size for m in files), compressed, limits)
    for member in members:
        name = f"{blob.name}/{member.name}"
        if member.isdir():
            continue
        if unsafe_member(member.name):
            reporter.problem(name, "unsafe member path (absolute or with ..), skipped")
        elif member.issym() or member.islnk():
            reporter.problem(name, "link member, not followed")
        elif not member.isfile():
            reporter.problem(name, "special file (device or pipe), skipped")
        else:
            yield from dispatch(Blob(name, _tar_opener(archive, member, limits), member.size,
                                     depth=blob.depth + 1), reporter)


def _tar_opener(archive: tarfile.TarFile, member: tarfile.TarInfo, limits: Limits) -> Callable[[], BinaryIO]:
    def opener() -> BinaryIO:
        raw = archive.extractfile(member)
        if raw is None:
            raise IngestError("member has no data")
        return limited(raw, max_bytes=limits.max_member_bytes)
    return opener


_DECOMPRESSORS: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    "gz": lambda f: gzip.GzipFile(fileobj=f, mode="rb"),
    "bz2": lambda f: bz2.BZ2File(f, mode="rb"),
    "xz": lambda f: lzma.LZMAFile(f, mode="rb"),
}


def _zstd(f: BinaryIO) -> BinaryIO:
    try:
        from backports.zstd import ZstdFile  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - depends on the environment
        try:
            from compression.zstd import ZstdFile  # type: ignore[import-not-found,no-redef]
        except ImportError as exc:
            raise IngestError("zstd compression is not supported here") from exc
    return ZstdFile(f, mode="rb")


_DECOMPRESSORS["zst"] = _zstd


def read_compressed(kind: str, blob: Blob, reporter: Reporter, dispatch: Dispatch) -> Iterator[SourceTable]:
    """A single compressed file: decompress as a stream and read what is inside under the same name."""
    limits = reporter.limits
    _check_depth(blob, limits)
    decompress = _DECOMPRESSORS[kind]

    def opener() -> BinaryIO:
        return limited(decompress(blob.open()), max_bytes=limits.max_member_bytes, compressed=blob.size,
                       max_ratio=limits.max_ratio, ratio_floor=limits.ratio_floor)

    base = (blob.hint or blob.name).rsplit("/", 1)[-1]
    hint = base[: -len(kind) - 1] if base.lower().endswith("." + kind) else base
    hint = {"tgz": "x.tar", "tbz2": "x.tar", "txz": "x.tar"}.get(hint.rsplit(".", 1)[-1].lower(), hint)
    yield from dispatch(Blob(blob.name, opener, None, depth=blob.depth + 1, hint=hint), reporter)
