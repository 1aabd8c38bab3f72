"""Guess the text encoding of a sample: BOM first, then UTF-8, then cp1252 / latin-1."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_C1 = frozenset(range(0x80, 0xA0))
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\x0b\x1a")
_NOT_CONTROL = bytes(b for b in range(256) if b >= 0x20 or b in _TEXT_CONTROLS)   # deleted: controls remain


@dataclass(frozen=True)
class Encoding:
    """``codec`` decodes the bytes after a ``bom`` bytes long byte-order mark; ``label`` is what we report."""

    codec: str
    label: str
    bom: int = 0


_BOMS = (
    (codecs.BOM_UTF32_LE, Encoding("utf-32-le", "utf-32", 4)),
    (codecs.BOM_UTF32_BE, Encoding("utf-32-be", "utf-32", 4)),
    (codecs.BOM_UTF8, Encoding("utf-8", "utf-8-sig", 3)),
    (codecs.BOM_UTF16_LE, Encoding("utf-16-le", "utf-16", 2)),
    (codecs.BOM_UTF16_BE, Encoding("utf-16-be", "utf-16", 2)),
)


def detect_encoding(sample: bytes, override: str | None = None) -> Encoding:
    """The encoding of ``sample`` (the first bytes of a file, possibly cut mid-character)."""
    bom = next((enc for mark, enc in _BOMS if sample.startswith(mark)), None)
    if override:
        codecs.lookup(override)  # LookupError for an unknown name
        return Encoding(override, override, bom.bom if bom and bom.codec.startswith(override[:5]) else 0)
    if bom is not None:
        return bom
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return Encoding(utf16, utf16)
    if _is_utf8(sample):
        return Encoding("utf-8", "utf-8")
    high = set(sample) & _C1
    if high and not high & _CP1252_UNDEFINED:
        return Encoding("cp1252", "cp1252")
    if high:
        return Encoding("latin-1", "latin-1")
    return Encoding("cp1252", "cp1252")  # identical to latin-1 on these bytes; the Windows superset


def _is_utf8(sample: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError as exc:
        # a mixed file: valid multi-byte UTF-8 before the first bad byte means UTF-8 with bad rows
        return any(b >= 0xC2 for b in sample[: exc.start]) and _mostly_utf8(sample)
    return True


def _mostly_utf8(sample: bytes) -> bool:
    good = bad = 0
    for line in sample.split(b"\n")[:-1] or [sample]:
        if max(line, default=0) < 0x80:
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return good >= bad


def _utf16_without_bom(sample: bytes) -> str | None:
    head = sample[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def looks_binary(sample: bytes, encoding: Encoding) -> bool:
    """True when the bytes are not text in ``encoding``: NUL bytes or control characters on many lines."""
    if encoding.codec.startswith(("utf-16", "utf-32")):
        text = sample[encoding.bom:].decode(encoding.codec, errors="replace")
        return text.count("\x00") > 0 or text.count("\ufffd") > 0.05 * max(len(text), 1)
    head = sample[:8192]
    if not head:
        return False
    lines = head.split(b"\n")
    dirty = sum(1 for line in lines if line.translate(None, _NOT_CONTROL))
    if dirty > max(1, len(lines) / 10) or (dirty and len(lines) == 1):
        return True   # a few lines with a NUL or a control in text are bad rows, not a binary file
    if encoding.codec == "utf-8":
        text = head.decode("utf-8", errors="replace")
        return text.count("\ufffd") > 0.1 * len(text)
    return False
