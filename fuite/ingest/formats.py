"""Recognise a file's format from its first bytes (magic numbers first, the extension only as a hint)."""

from __future__ import annotations

import re

from fuite.ingest.blob import Blob
from fuite.ingest.encoding import detect_encoding, looks_binary

SPREADSHEET_SUFFIXES = {"xlsx", "xlsm", "xlsb", "xls", "ods"}
COMPRESSED = {"gz", "bz2", "xz", "zst"}

#: Formats recognised but not read, with the one-line reason given for them.
UNREADABLE = {
    "empty": "empty file",
    "binary": "binary content, not a known format",
    "html": "HTML or XML document, not a table",
    "7z": "7z archives are not supported (extract with 7z and scan the folder)",
    "rar": "RAR archives are not supported (extract with unrar and scan the folder)",
    "pdf": "PDF document, not a table",
    "image": "image file, not a table",
}

_MAGIC = (
    (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),
    (b"\x1f\x8b", "gz"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zst"),
    (b"PAR1", "parquet"), (b"SQLite format 3\x00", "sqlite"),
    (b"7z\xbc\xaf\x27\x1c", "7z"), (b"Rar!\x1a\x07", "rar"), (b"%PDF", "pdf"),
    (b"\x89PNG", "image"), (b"\xff\xd8\xff", "image"), (b"GIF8", "image"),
)
_SQL_START = re.compile(
    r"\A(?:\s|--[^\n]*\n|#[^\n]*\n|/\*.*?\*/|\\[a-z]+[^\n]*\n)*"   # psql meta-commands: pg_dump's \restrict
    r"(?:CREATE|INSERT|COPY|SET|SELECT|PRAGMA|BEGIN|DROP|USE|LOCK|START|ALTER)\b",
    re.IGNORECASE | re.DOTALL)
_MARKUP = re.compile(r"\A\s*<(?:!doctype|html|\?xml|table|head|body|meta|div)", re.IGNORECASE)


def sniff_format(blob: Blob, head: bytes | None = None) -> str:
    """One of the reader names (``delimited``, ``json``, ``sql``, ``xlsx``…) or a key of ``UNREADABLE``."""
    head = blob.head() if head is None else head
    if not head:
        return "empty"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return _container_kind(kind, head, blob)
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    encoding = detect_encoding(head)
    if looks_binary(head, encoding):
        return "binary"
    text = head[encoding.bom:].decode(encoding.codec, errors="replace")
    if _MARKUP.match(text):
        return "html"
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        return "json"
    if blob.suffix == "sql" or _SQL_START.match(text):
        return "sql"
    return "delimited"


def _container_kind(kind: str, head: bytes, blob: Blob) -> str:
    if kind == "zip":
        if b"[Content_Types].xml" in head[:4096] or blob.suffix in ("xlsx", "xlsm", "xlsb"):
            return "xlsx"
        if b"application/vnd.oasis.opendocument.spreadsheet" in head[:200] or blob.suffix == "ods":
            return "ods"
    return kind


def mismatch(blob: Blob, kind: str) -> str | None:
    """A reason when the content contradicts a spreadsheet extension (an "XLSX" that is really HTML).

    Text named ``.xls`` is common (tab-separated "Excel" exports) and is read as delimited text.
    """
    if blob.suffix in SPREADSHEET_SUFFIXES and kind not in ("xlsx", "xls", "ods", "delimited"):
        what = {"html": "HTML", "delimited": "plain text", "zip": "a zip archive"}.get(kind, kind)
        return f"named .{blob.suffix} but the content is {what}, not a spreadsheet"
    return None
