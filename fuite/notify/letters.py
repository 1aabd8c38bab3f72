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


#: Recurring sections laid out once per process: ``(template digest, lang + section) → PDF bytes as JSON``. Only what
#: recurs across letters is kept (the case's words and a category list; never a name or an address), in memory.
_FRAGMENTS: dict[tuple[bytes, str], str] = {}
_FRAGMENTS_MAX = 512


def _compile(source: bytes, inputs: dict[str, str]) -> bytes:
    import typst

    try:
        return _compiler().compile(input=source, sys_inputs=inputs, pdf_tags=False)
    except typst.TypstError as exc:   # the message names the template's problem, never a value
        raise NotifyError(f"letter template could not be rendered ({exc.message.splitlines()[0][:120]})") from None


def _fragment(source: bytes, digest: bytes, lang: str, key: str, sections: list[dict]) -> str:
    """The fragment's PDF as the JSON array of bytes ``letter.typ`` reads (laid out on first use, then kept)."""
    found = _FRAGMENTS.get((digest, key))
    if found is None:
        pdf = _compile(source, {"fragment": "1", "data": json.dumps({"lang": lang, "sections": sections},
                                                                    ensure_ascii=False)})
        if len(_FRAGMENTS) >= _FRAGMENTS_MAX:
            _FRAGMENTS.clear()
        found = _FRAGMENTS[(digest, key)] = json.dumps(list(pdf), separators=(",", ":"))
    return found


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of consecutive true flags."""
    runs, start = [], None
    for k, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = k
        elif not flag and start is not None:
            runs.append((start, k))
            start = None
    return runs


def _use_fragments(source: bytes, data: dict) -> list[str]:
    """Mark the sections that recur in the batch (or were laid out before) with the fragment drawing them.

    A section written in one letter only (it would hold that person's own words) stays inline. Consecutive
    recurring sections are drawn by one fragment when that run itself recurs (fewer images to place), else
    one fragment each. A template without fragment mode (a controller's older ``letter.typ``) gets none.
    """
    if b"sys.inputs.fragment" not in source and b'"fragment" in sys.inputs' not in source:
        return []
    digest = hashlib.blake2b(source, digest_size=16).digest()
    bodies = [(lang, letter[lang]["sections"]) for letter in data["letters"] for lang in ("fr", "en")]
    keys = [[lang + repr(section) for section in sections] for lang, sections in bodies]   # plain lists and dicts
    seen = Counter(key for row in keys for key in row)
    recurs = [[seen[k] > 1 or (digest, k) in _FRAGMENTS for k in row] for row in keys]
    runs = [[(a, b, "".join(row[a:b])) for a, b in _runs(flags)] for row, flags in zip(keys, recurs, strict=True)]
    seen_runs = Counter(key for row in runs for a, b, key in row if b - a > 1)
    frags: list[str] = []
    index: dict[str, int] = {}

    def use(lang: str, key: str, sections: list[dict]) -> None:
        if key not in index:
            index[key] = len(frags)
            frags.append(_fragment(source, digest, lang, key, sections))
        sections[0]["frag"] = index[key]
        for rest in sections[1:]:
            rest["frag"] = -1            # drawn by the fragment of the run it belongs to
        for section in sections:
            section["blocks"] = []       # laid out in the fragment: typst need not read the words again

    for (lang, sections), row, key_row in zip(bodies, runs, keys, strict=True):
        for a, b, key in row:
            if b - a > 1 and (seen_runs[key] > 1 or (digest, key) in _FRAGMENTS):
                use(lang, key, sections[a:b])
            else:
                for k in range(a, b):
                    use(lang, key_row[k], sections[k:k + 1])
    return frags


def render_letters_pdf(renderer: NoticeRenderer, rows: list[dict], today: date | None = None,
                       override_dirs: list[Path] | None = None) -> bytes:
    """One PDF holding every letter of ``rows``, in the order given."""
    source = _template_source(override_dirs)
    data = letter_data(renderer, rows, today)
    frags = _use_fragments(source, data)
    inputs = {"data": json.dumps(data, ensure_ascii=False)}
    if frags:
        inputs["frags"] = "[" + ",".join(frags) + "]"
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
