"""Postal letters: print-ready PDF batches (typst), duplex-safe, sorted by postcode, each with a manifest.

Each letter starts on a front page with the sender, the French postal address block
(NF Z10-011: name, street line, ``POSTCODE TOWN``) placed for a DL window envelope and
the French notice; the English notice is on the back. Every letter takes an even number
of pages (one sheet whenever it fits), so a duplex printer never puts two persons on one
sheet. Letters are grouped in batches in postcode order (the order postal operators
discount for bulk mail); each batch ``letters-….pdf`` has a ``letters-….manifest.json``
saying how many letters and pages it holds and its postcode range: no identifier.

The letter's words are the notice's (:mod:`fuite.notify.wording`); the template
``letter.typ`` only lays them out, and the data reach typst in memory (``sys.inputs``),
never through a file. The PDFs hold names and addresses in clear: they are an explicit
export, created ``0600`` and written atomically (temporary name in the same folder,
fsync, rename) so that a batch file exists only complete.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections import Counter
from datetime import date
from pathlib import Path

from fuite.errors import NotifyError
from fuite.notify.notice import NoticeRenderer, notice_context
from fuite.notify.wording import date_fr

__all__ = ["has_postal_address", "letter_data", "render_letters_pdf", "write_private", "count_pages",
           "postcode_order", "batch_manifest", "LETTER_TEMPLATE"]

LETTER_TEMPLATE = "letter.typ"
_SHIPPED = Path(__file__).parent / "templates" / LETTER_TEMPLATE
_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")


def has_postal_address(row: dict) -> bool:
    """A letter can be addressed: street, postcode and town are all known."""
    return all((row.get(k) or "").strip() for k in ("street", "postal_code", "city"))


def postcode_order(row: dict) -> tuple:
    """Sort key of a letter in a print run: postcode, then town, then street (no identifier needed)."""
    return ((row.get("postal_code") or "").strip(), (row.get("city") or "").strip().upper(),
            (row.get("street") or "").strip().upper(), row.get("person_id") or 0)


def _body(b) -> dict:
    return {"greeting": b.greeting, "intro": list(b.intro), "closing": b.closing, "signature": b.signature,
            "sections": [{"title": s.title, "blocks": [[k, v] for k, v in s.blocks]} for s in b.sections]}


def letter_data(renderer: NoticeRenderer, rows: list[dict], today: date | None = None) -> dict:
    """The batch as the JSON ``letter.typ`` reads: sender, date, subject, and each letter's address and words."""
    cf = renderer.case_file
    letters = []
    for row in rows:
        ctx = notice_context(row, cf, name_conditions=renderer.name_conditions)
        letter = {"address": ctx["person"]["address_lines"], "fr": _body(ctx["notice"]["fr"]),
                  "en": _body(ctx["notice"]["en"])}
        if cf.many:   # each letter under its signing controller's letterhead
            letter["sender"] = [line for line in (ctx["controller"].name, ctx["controller"].address) if line]
        letters.append(letter)
    return {"sender": [line for line in (cf.controller.name, cf.controller.address) if line],
            "date_fr": date_fr(today or date.today()),
            "subject_fr": "Objet : information importante sur vos données personnelles",
            "letters": letters}


def _template_source(override_dirs: list[Path] | None) -> bytes:
    for folder in override_dirs or []:
        candidate = Path(folder) / LETTER_TEMPLATE
        if candidate.is_file():
            return candidate.read_bytes()
    return _SHIPPED.read_bytes()


@functools.lru_cache(maxsize=1)
def _compiler():
    """One typst compiler per process: fonts (typst's own, no system scan) loaded once, layouts memoised."""
    import typst

    return typst.Compiler(font_paths=typst.Fonts(include_system_fonts=False))


#: Fragments laid out once per process (the case's words, a category list, the letterhead; never a name or an
#: address), in memory: the fragment documents as 7-bit PDFs, and where each fragment is (document, page).
_DOCS: list[str] = []
_WHERE: dict[tuple[bytes, tuple], tuple[int, int]] = {}
_FRAGMENTS_MAX = 4096
#: At most this many fragment documents reach one batch (else the cache starts afresh with this batch's).
_DOCS_PER_BATCH = 32
#: A run of sections is one fragment when at least this many bodies of a batch hold it (or it was laid out before).
_RUN_MIN = 16
#: A template speaks the fragment protocol when it reads its fragment documents from ``sys.inputs``.
_FRAGMENT_MODE = b'sys.inputs.at("docs"'


def _compile(source: bytes, inputs: dict[str, str]) -> bytes:
    import typst

    try:
        return _compiler().compile(input=source, sys_inputs=inputs, pdf_tags=False)
    except typst.TypstError as exc:   # the message names the template's problem, never a value
        raise NotifyError(f"letter template could not be rendered ({exc.message.splitlines()[0][:120]})") from None


def seven_bit(pdf: bytes) -> str:
    """The same PDF in 7-bit ASCII (every stream ASCII85-encoded over its filters, header comment plain), so that
    it reaches typst as a string (``sys.inputs``) and is read back with ``bytes()``, without any file."""
    import base64
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject, NullObject, StreamObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for obj in writer._objects:
        if not isinstance(obj, StreamObject):
            continue
        filters, parms = obj.get("/Filter"), obj.get("/DecodeParms")
        obj._data = base64.a85encode(obj._data) + b"~>"
        obj[NameObject("/Filter")] = ArrayObject([NameObject("/ASCII85Decode"),
                                                 *(filters if isinstance(filters, ArrayObject) else [filters] if filters else [])])
        if parms is not None:
            obj[NameObject("/DecodeParms")] = ArrayObject([NullObject(),
                                                          *(parms if isinstance(parms, ArrayObject) else [parms])])
    buffer = io.BytesIO()
    writer.write(buffer)
    out = buffer.getvalue()
    head, _, rest = out.partition(b"\n")
    second, _, after = rest.partition(b"\n")
    if second.startswith(b"%") and not second.isascii():   # the binary comment: as long in ASCII, offsets kept
        out = b"\n".join((head, b"%" + b"-" * (len(second) - 1), after))
    if not out.isascii():
        raise NotifyError("a letter fragment could not be made 7-bit for typst")
    return out.decode("ascii")


def _key(lang: str, section: dict) -> tuple:
    """A section's words as a key (equal sections, equal keys): its language, title and blocks, frozen."""
    return lang, section["title"], tuple((kind, tuple(value) if isinstance(value, list) else value)
                                         for kind, value in section["blocks"])


def _tail(body: dict) -> None:
    """Move the closing and signature into a last section (the same in every letter: a fragment too)."""
    body["sections"].append({"title": "", "blocks": [["closing", body["closing"]], ["signature", body["signature"]]]})
    body["closing"] = body["signature"] = None


def _runs(bodies: list[list[tuple]], known) -> list[list[tuple[int, int]]]:
    """For each body (its sections' keys), the runs ``(start, end)`` of sections each drawn by one fragment.

    The whole body when it recurs (twice in the batch, or ``known``: laid out before), else it is split around
    its rarest section (the list of exposed categories, usually) and each side is tried in turn: fewer images
    to place, and what one letter alone has is laid out alone.
    """
    seen = Counter(key for keys in bodies for key in keys)
    pending = [[(0, len(keys))] if keys else [] for keys in bodies]
    done: list[list[tuple[int, int]]] = [[] for _ in bodies]
    while any(pending):
        counts = Counter(tuple(keys[a:b]) for keys, ranges in zip(bodies, pending) for a, b in ranges)
        later: list[list[tuple[int, int]]] = []
        for keys, ranges, runs in zip(bodies, pending, done, strict=True):
            split: list[tuple[int, int]] = []
            for a, b in ranges:
                run = tuple(keys[a:b])
                if b - a == 1 or counts[run] >= _RUN_MIN or known(run):
                    runs.append((a, b))
                    continue
                rare = min(range(a, b), key=lambda k: seen[keys[k]])
                split += [(x, y) for x, y in ((a, rare), (rare, rare + 1), (rare + 1, b)) if y > x]
            later.append(split)
        pending = later
    return [sorted(runs) for runs in done]


def _lay_out(source: bytes, digest: bytes, pieces: dict[tuple, dict], data: dict) -> None:
    """Lay ``pieces`` (key → piece) out in one new fragment document, one page each, and note where each is."""
    doc = {"pieces": list(pieces.values()), "date_fr": data["date_fr"], "subject_fr": data["subject_fr"]}
    _DOCS.append(seven_bit(_compile(source, {"fragment": "1", "data": json.dumps(doc, ensure_ascii=False)})))
    for page, key in enumerate(pieces):
        _WHERE[(digest, key)] = (len(_DOCS) - 1, page)


def _use_fragments(source: bytes, data: dict) -> list[str]:
    """Mark what a batch's letters share with the fragment drawing it; return the batch's fragment documents.

    Every section of every letter (the case's words, the list of exposed categories, the closing) and each
    letterhead (sender, date, subject) is laid out once per process, as a page of a fragment document, and placed
    as a PDF image (``"frag": [document, page]``, a run of sections drawn by one fragment from its first section,
    the others ``"frag": null``). The fragments a batch lays out first go into one new document (one typst run);
    a batch whose fragments are spread over more than :data:`_DOCS_PER_BATCH` documents lays them all out
    afresh in one. What is the person's own (address, greeting, a minor's introduction) stays in the letter.
    A template without the fragment protocol (a controller's older ``letter.typ``) gets none.
    """
    if _FRAGMENT_MODE not in source:
        return []
    digest = hashlib.blake2b(source, digest_size=16).digest()
    if len(_WHERE) > _FRAGMENTS_MAX:
        _DOCS.clear()
        _WHERE.clear()
    pieces: dict[tuple, dict] = {}
    uses: list[tuple[dict, tuple]] = []
    for letter in data["letters"]:
        sender = letter.get("sender", data["sender"])
        key = ("head", tuple(sender), data["date_fr"], data["subject_fr"])
        pieces.setdefault(key, {"head": sender})
        uses.append((letter, key))
    bodies = []
    for letter in data["letters"]:
        for lang in ("fr", "en"):
            _tail(letter[lang])
            bodies.append((lang, letter[lang]["sections"]))
    keys = [[_key(lang, s) for s in sections] for lang, sections in bodies]
    for (lang, sections), row, runs in zip(bodies, keys, _runs(keys, lambda k: (digest, k) in _WHERE), strict=True):
        for a, b in runs:
            key = tuple(row[a:b])
            pieces.setdefault(key, {"lang": lang, "sections": [{"title": s["title"], "blocks": s["blocks"]}
                                                              for s in sections[a:b]]})
            uses.append((sections[a], key))
            for section in sections[a:b]:
                section.clear()              # laid out in the fragment: typst need not read the words again
                section["frag"] = None       # drawn by the fragment of its run (the first one gets its place)
    spread = {_WHERE[(digest, key)][0] for key in pieces if (digest, key) in _WHERE}
    new = {key: piece for key, piece in pieces.items() if (digest, key) not in _WHERE}
    if len(spread) + bool(new) > _DOCS_PER_BATCH:
        _DOCS.clear()
        _WHERE.clear()
        new = pieces
    if new:
        _lay_out(source, digest, new, data)
    local: dict[int, int] = {}
    for target, key in uses:
        doc, page = _WHERE[(digest, key)]
        target["head" if "address" in target else "frag"] = [local.setdefault(doc, len(local)), page]
    for _, sections in bodies:
        sections[:] = [s for s in sections if s["frag"] is not None]   # the rest of each run: nothing to draw
    return [_DOCS[doc] for doc in local]


def render_letters_pdf(renderer: NoticeRenderer, rows: list[dict], today: date | None = None,
                       override_dirs: list[Path] | None = None) -> bytes:
    """One PDF holding every letter of ``rows``, in the order given."""
    source = _template_source(override_dirs)
    data = letter_data(renderer, rows, today)
    docs = _use_fragments(source, data)
    inputs = {"data": json.dumps(data, ensure_ascii=False), "docs": str(len(docs))}
    inputs |= {f"doc{k}": doc for k, doc in enumerate(docs)}
    return _compile(source, inputs)


def count_pages(pdf: bytes) -> int:
    """The number of pages of a PDF written by typst (page objects are not compressed there)."""
    return len(_PAGE.findall(pdf))


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, created 0600 (clear-text export): temp name, fsync, rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    if tmp.exists():
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def batch_manifest(name: str, rows: list[dict], pages: int) -> dict:
    """What a print shop needs of one batch: letters, pages, sheets, postcode range; no identifier."""
    codes = sorted((r.get("postal_code") or "").strip() for r in rows)
    return {"file": name, "letters": len(rows), "pages": pages, "sheets_duplex": pages // 2,
            "postcode_first": codes[0] if codes else "", "postcode_last": codes[-1] if codes else ""}
