"""The notice to one person (GDPR art. 34): what it says, in French then English.

:func:`notice_context` turns one persons row into template variables: **their own**
exposed categories in patient words (taxonomy ``patient_fr``/``patient_en``), the
sensitive conditions worded with care (never a diagnosis, never in a subject
line), the likely consequences and what to do. :class:`NoticeRenderer` renders
the Jinja2 templates (the controller can override any of them by putting a file of
the same name in the case's ``templates/`` folder or in ``--templates DIR``) and
builds the email (text + HTML) with a deterministic Message-ID.

With the shipped email templates, an email is filled in rather than rendered: the notices of one *variant*
(everything a notice says but the person's names: their categories, conditions, flags, signer) are rendered
and laid out as MIME bytes once, with a marker where each name goes, and each person's message is those
bytes with their names, address, Message-ID and boundary put in (:class:`_Variant`). The first person of
each variant is also rendered in full and compared: a variant whose fill would differ is always rendered.
"""

from __future__ import annotations

import binascii
import functools
import hmac
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from email.headerregistry import Address
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from pathlib import Path

import jinja2
import markupsafe

from fuite import taxonomy
from fuite.assess.rules import HEALTH_CATEGORIES
from fuite.errors import NotifyError
from fuite.ids import TRIM_CHARS, email_address
from fuite.notify.names import usual_case
from fuite.notify.postal import postal_lines
from fuite.notify.wording import date_en, date_fr, notice_sections
from fuite.store.casefile import CaseFile

__all__ = ["CONDITION_WORDS", "complement_of", "notice_context", "is_minor", "usable_email", "message_id", "NoticeRenderer", "template_env",
           "TEMPLATE_NAMES", "postal_block"]

#: How a special condition is named to the person: cautious, never a diagnosis.
CONDITION_WORDS: dict[str, tuple[str, str]] = {
    "hiv": ("un suivi ou un traitement en lien avec le VIH", "follow-up or treatment related to HIV"),
    "pregnancy": ("un suivi de grossesse", "pregnancy follow-up"),
    "cancer": ("un suivi en lien avec un cancer", "follow-up related to cancer"),
    "hepatitis": ("un suivi en lien avec une hépatite", "follow-up related to hepatitis"),
    "mental_health": ("un suivi en santé mentale", "mental health care"),
    "addiction": ("un accompagnement en addictologie", "addiction care"),
}

TEMPLATE_NAMES = ("notice_subject.txt.j2", "notice.txt.j2", "notice.html.j2", "_notice_body.html.j2", "letter.typ",
                  "cnil.html.j2")

def usable_email(value: str | None) -> str | None:
    """The address, trimmed, if ``fuite.ids.email_address`` says it can receive mail, else None (case kept)."""
    return value.strip(TRIM_CHARS) if email_address.is_valid(value) else None


#: Categories exposed alongside a person that say nothing about them (the laboratory's own identifier).
_NOT_ABOUT_THEM = frozenset({"lab_id"})


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(";") if v]


def _exposed(row: dict) -> list[taxonomy.Category]:
    """The person's exposed categories, in taxonomy order, with what their own columns prove."""
    ids = set(_split(row.get("categories")))
    for col, cat in (("nir", "nir"), ("email", "email"), ("phone", "phone"), ("birth_date", "birth_date"),
                     ("last_name", "last_name"), ("first_name", "first_name"), ("street", "street_address")):
        if row.get(col):
            ids.add(cat)
    if ids & {"street_address", "full_address"}:   # "votre adresse postale" already says postcode and town
        ids -= {"postal_code", "city"}
    names = ids & {"last_name", "first_name", "full_name"}
    if "full_name" in names or len(names) == 2:       # "vos nom et prénom", not three lines saying it
        ids = (ids - names) | {"full_name"}
    ids -= _NOT_ABOUT_THEM
    return [c for c in taxonomy.CATEGORIES if c.id in ids and c.patient_fr]


def _unique(words: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for w in words:
        seen.setdefault(w, None)
    return list(seen)


def postal_block(row: dict) -> list[str]:
    """French postal address lines (NF Z10-011): name, street, ``POSTCODE TOWN``; see :mod:`fuite.notify.postal`."""
    return postal_lines(row)


def is_minor(birth_date: str | None, today: date | None = None) -> bool:
    """Under 18 today (ISO birth date); unknown or malformed dates count as adults."""
    try:
        born = date.fromisoformat(birth_date or "")
    except ValueError:
        return False
    today = today or date.today()
    return (today.year - born.year - ((today.month, today.day) < (born.month, born.day))) < 18


def complement_of(row: dict) -> dict | None:
    """What a complementary notice (a later notice round) adds, from the row's delta columns; None for a
    first notice. ``kind``: ``grown`` (told before; says only what is new) or ``new`` (first told now)."""
    kind = row.get("complement_kind")
    if not kind:
        return None
    first = row.get("first_notice")
    try:
        told = date.fromisoformat(first[:10]) if first else None
    except ValueError:
        told = None
    return {"kind": kind, "first_notice": told}


def notice_context(row: dict, case_file: CaseFile, *, name_conditions: bool = True,
                   today: date | None = None) -> dict:
    """Template variables for one person's notice (a persons row as a dict).

    A row flagged ``shared_mailbox`` (its address also reaches other persons) never names a condition.
    A row of a complementary round whose person was told before (``complement_kind`` = ``grown``) lists
    only what is new: ``new_categories``, ``new_conditions``, ``new_health``.
    """
    ctx = _bare_context(row, case_file, name_conditions=name_conditions, today=today)
    ctx["notice"] = notice_sections(ctx)
    return ctx


def _bare_context(row: dict, case_file: CaseFile, *, name_conditions: bool, today: date | None,
                  address: bool = True) -> dict:
    """:func:`notice_context` without ``notice`` (the sections worded from the rest); without the postal
    address lines unless ``address`` (an email does not print them)."""
    complement = complement_of(row)
    grown = bool(complement and complement["kind"] == "grown")
    cats = _exposed({"categories": row.get("new_categories")}) if grown else _exposed(row)
    minor = is_minor(row.get("birth_date"), today)
    name_conditions = name_conditions and not row.get("shared_mailbox")
    ids = {c.id for c in cats}
    conditions = [c for c in _split(row.get("new_conditions" if grown else "conditions")) if c in CONDITION_WORDS]
    if not grown and row.get("hiv") and "hiv" not in conditions:
        conditions.insert(0, "hiv")
    health = bool((row.get("new_health") if grown else row.get("health") or row.get("hiv")) or conditions
                  or ids & HEALTH_CATEGORIES)
    first, last = usual_case(row.get("first_name")), usual_case(row.get("last_name"))
    case_file, named = signed_by(case_file, row)
    ctx = {
        "person": {
            "first_name": first, "last_name": last,
            "display_name": " ".join(p for p in (first, last) if p),
            # greet by name only when both are known ("Bonjour Moreau," reads badly; then "Madame, Monsieur,")
            "greeting_name": f"{first} {last}" if first and last else "",
            "address_lines": ((["Aux représentants légaux de"] if minor else []) + postal_block(row)) if address
            else [],
            "minor": minor,
        },
        "exposed_fr": _unique([c.patient_fr for c in cats]),
        "exposed_en": _unique([c.patient_en for c in cats]),
        "health": health,
        "conditions_fr": [CONDITION_WORDS[c][0] for c in conditions] if name_conditions else [],
        "conditions_en": [CONDITION_WORDS[c][1] for c in conditions] if name_conditions else [],
        "sensitive_unnamed": bool(conditions) and not name_conditions,
        "nir": "nir" in ids,
        "contact_exposed": bool(ids & {"email", "phone"}),
        "credentials": "credential" in ids,
        "insurer": bool(ids & {"insurer_name", "insurer_id"}),
        "labs": _split(row.get("labs")),
        "case": case_file,
        "controller": case_file.controller,
        "contact": case_file.contact,
        "dpo": case_file.dpo,
        "controllers": named,
        "complement": complement,
    }
    return ctx


def signed_by(case_file: CaseFile, row: dict) -> tuple[CaseFile, list[CaseFile]]:
    """The case file as the controller who signs this person's notice sees it, and one view per controller of
    the person (case-file order; ``[]`` in a case of one ``[controller]``).

    The signer is the first of the person's controllers (row ``controllers``, ``;``-joined ids) in
    ``[notification] signing``; its name, address, DPO, contact and sender are the notice's.
    """
    if not case_file.many:
        return case_file, []
    return _views(case_file, row.get("controllers") or "")


@functools.lru_cache(maxsize=256)
def _views(case_file: CaseFile, controllers: str) -> tuple[CaseFile, list[CaseFile]]:
    """``signed_by`` for one ``;``-joined set of controller ids (a few distinct sets per case: cached)."""
    ids = _split(controllers)
    signer = case_file.signer(ids)
    if signer is None:
        raise NotifyError("a person held by no controller cannot be notified (see `fuite report`: unattributed)")
    return case_file.view(signer), [case_file.view(case_file.controller_by_id(cid)) for cid in ids]


def message_id(secret: bytes, person_id: int, channel: str, domain: str) -> str:
    """A Message-ID that is the same on every run for this person and channel, and reveals nothing."""
    digest = hmac.digest(secret, f"{channel}:{int(person_id)}".encode(), "sha256").hex()[:32]
    return f"<{digest}.fuite@{domain}>"


def _join(words, last: str) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1] if words else ""


def template_env(override_dirs: list[Path] | None = None) -> jinja2.Environment:
    """Jinja2 environment: the controller's folders first, then the templates shipped with fuite."""
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(d)) for d in override_dirs or [] if Path(d).is_dir()]
    loaders.append(jinja2.PackageLoader("fuite.notify", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders), autoescape=jinja2.select_autoescape(["html.j2", "html"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        auto_reload=False,   # templates are read once per run: no stat() per include per notice
    )
    env.filters.update(date_fr=date_fr, date_en=date_en, join_fr=lambda w: _join(w, "et"),
                       join_en=lambda w: _join(w, "and"))
    return env


@dataclass
class Rendered:
    subject: str
    text: str
    html: str


class NoticeRenderer:
    """Renders notices and builds emails; templates are compiled once."""

    def __init__(self, case_file: CaseFile, override_dirs: list[Path] | None = None, *,
                 secret: bytes = b"", sender: str = "", name_conditions: bool = True, now: datetime | None = None,
                 round_no: int = 1):
        self.case_file = case_file
        self.round_no = round_no   # a complementary round's notices have Message-IDs of their own
        self.env = template_env(override_dirs)
        self.name_conditions = name_conditions
        self.secret = secret
        self.sender = sender or case_file.smtp.sender
        self.now = now
        try:
            self.subject_t = self.env.get_template("notice_subject.txt.j2")
            self.text_t = self.env.get_template("notice.txt.j2")
            self.html_t = self.env.get_template("notice.html.j2")
        except jinja2.TemplateError as exc:
            raise NotifyError(f"notice template: {type(exc).__name__} ({getattr(exc, 'name', '') or ''})") from None
        display, addr = parseaddr(self.sender) if self.sender else ("", "")
        self.sender_addr = addr
        self.sender_header = str(Address(display, addr_spec=addr)) if addr else ""
        self.domain = addr.rsplit("@", 1)[-1] if "@" in addr else "fuite.invalid"
        self._folded: dict[tuple[str, str], bytes] = {}
        self._date_cache: tuple[datetime | None, str] = (None, "")
        self._senders: dict[str, tuple[str, str, str]] = {}
        # fill-in emails only from the shipped templates (an override may use a name as more than text)
        self._variants: dict[tuple, _Variant | None] | None = None if any(
            (Path(d) / name).exists() for d in override_dirs or [] for name in _EMAIL_TEMPLATES) else {}

    def sender_of(self, row: dict) -> tuple[str, str, str]:
        """``(From header, envelope address, Message-ID domain)`` of this person's notice: its signer's sender
        in a case of several controllers (``[smtp] from`` when the signer states none), else the case's."""
        if not self.case_file.many:
            return self.sender_header, self.sender_addr, self.domain
        view, _ = signed_by(self.case_file, row)
        own = view.smtp.sender if view.smtp.sender != self.case_file.smtp.sender else ""
        sender = own or self.sender
        found = self._senders.get(sender)
        if found is None:
            display, addr = parseaddr(sender) if sender else ("", "")
            found = (str(Address(display, addr_spec=addr)) if addr else "", addr,
                     addr.rsplit("@", 1)[-1] if "@" in addr else "fuite.invalid")
            self._senders[sender] = found
        return found

    def context(self, row: dict) -> dict:
        return notice_context(row, self.case_file, name_conditions=self.name_conditions)

    def render(self, row: dict) -> Rendered:
        """Subject, text and HTML of one person's notice."""
        ctx = self.context(row)
        try:
            subject = " ".join(self.subject_t.render(ctx).split())
            return Rendered(subject, self.text_t.render(ctx), self.html_t.render(ctx))
        except jinja2.TemplateError as exc:   # the message names the template, never a value
            raise NotifyError(f"notice template could not be rendered ({type(exc).__name__})") from None

    def email(self, row: dict, recipient: str, rendered: Rendered | None = None, *,
              eight_bit: bool = False) -> tuple[str, bytes]:
        """``(message_id, bytes)`` of the email to ``recipient``: multipart/alternative, text then HTML.

        Assembled directly (RFC 5322 / 2045 / 2047, CRLF): five times faster than ``EmailMessage`` and the
        same structure; ``recipient`` must have passed :func:`usable_email` (plain ASCII addr-spec, ≤ 254
        characters), so its header needs no encoding or folding. Parts are quoted-printable, or 8bit
        (RFC 6152) with ``eight_bit`` (the server offers 8BITMIME: send with ``BODY=8BITMIME``) when every
        line fits SMTP's 998 octets: a third smaller, and fewer lines for the server to read.
        """
        header, addr, domain = self.sender_of(row)
        if not addr:
            raise NotifyError("no sender address: set smtp.from (or the signing controller's from) in case.toml")
        if usable_email(recipient) != recipient:
            raise NotifyError("the recipient address is not usable")
        mid = message_id(self.secret, row["person_id"], "email" if self.round_no == 1 else f"email:r{self.round_no}",
                         domain)
        boundary = f"=_fuite_{mid[1:17]}"
        if rendered is None and self._variants is not None:
            filled = self._filled(row, header, recipient, mid, boundary, eight_bit)
            if filled is not None:
                return mid, filled
        r = rendered or self.render(row)
        return mid, self._message(header, recipient, r.subject, mid, boundary, _part(b"plain", r.text, eight_bit),
                                  _part(b"html", _html_lines(r.html) if eight_bit else r.html, eight_bit))

    def _message(self, header: str, recipient: str, subject: str, mid: str, boundary: str, text: bytes,
                 html: bytes) -> bytes:
        """The whole message: headers, then the text and HTML parts (each with its part headers)."""
        sep = f"--{boundary}\r\n".encode()
        return b"".join((
            self._fold("From", header), f"To: {recipient}\r\n".encode("ascii"), self._fold("Subject", subject),
            f"Message-ID: {mid}\r\nDate: {self._date()}\r\nMIME-Version: 1.0\r\nContent-Language: fr, en\r\n"
            f"Auto-Submitted: auto-generated\r\n"
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode(),
            sep, text, b"\r\n", sep, html, b"\r\n", f"--{boundary}--\r\n".encode(),
        ))

    def _filled(self, row: dict, header: str, recipient: str, mid: str, boundary: str,
                eight_bit: bool) -> bytes | None:
        """The email filled in from its variant; None when this notice must be rendered in full."""
        ctx = _bare_context(row, self.case_file, name_conditions=self.name_conditions, today=None, address=False)
        words = _words(ctx)
        if not all(map(_fits_slot, words[:len(_NAME_FIELDS)])):   # the lists' words are the taxonomy's
            return None
        key = _variant_key(ctx, row.get("controllers") or "" if self.case_file.many else "")
        if key not in self._variants:
            if len(self._variants) >= _MAX_VARIANTS:
                return None
            self._variants[key] = self._variant(ctx, row, words)
        variant = self._variants[key]
        if variant is None:
            return None
        text = html = None
        if eight_bit and variant.text8 is not None:
            text, html = variant.text8.fill_bytes(words), variant.html8.fill_bytes(words, html=True)
            if text is not None and html is not None:
                text, html = _PART % (b"plain", b"8bit") + text, _PART % (b"html", b"8bit") + html
            else:
                text = html = None
        if text is None:
            text = _part(b"plain", variant.text.fill(words), False)
            html = _part(b"html", variant.html.fill(words, html=True), False)
        return self._message(header, recipient, variant.subject, mid, boundary, text, html)

    def _variant(self, ctx: dict, row: dict, words: list) -> _Variant | None:
        """Render a variant once with markers for the person's words; None when filling it in would not give
        what rendering this person's notice in full gives (then every notice of the variant is rendered)."""
        marked = dict(ctx, person=dict(ctx["person"]))
        marked["person"].update({f: _SLOT % k for k, f in enumerate(_NAME_FIELDS) if ctx["person"][f]})
        for k, name in _LISTS.items():   # a list as two markers: what stands between them is the separator
            if ctx[name]:
                marked[name] = [_SLOT % k, _SECOND % k]
        marked["notice"] = notice_sections(marked)
        try:
            subject = " ".join(self.subject_t.render(marked).split())
            text, html = self.text_t.render(marked), self.html_t.render(marked)
        except jinja2.TemplateError as exc:
            raise NotifyError(f"notice template could not be rendered ({type(exc).__name__})") from None
        variant = _Variant.of(subject, text, html)
        expected = self.render(row)
        if variant is None or (subject, variant.text.fill(words), variant.html.fill(words, html=True)) != (
                expected.subject, expected.text, expected.html):
            return None
        return variant

    def _fold(self, name: str, value: str) -> bytes:
        """One header, RFC 2047-encoded and folded by the stdlib (cached: From and Subject rarely vary)."""
        key = (name, value)
        folded = self._folded.get(key)
        if folded is None:
            folded = SMTP.fold_binary(name, SMTP.header_factory(name, value))
            if len(self._folded) < 1024:
                self._folded[key] = folded
        return folded

    def _date(self) -> str:
        now = self.now or datetime.now().astimezone().replace(microsecond=0)
        if now != self._date_cache[0]:
            self._date_cache = (now, format_datetime(now))
        return self._date_cache[1]


#: The email templates a fill-in email is made from; an override of any of them renders every email in full.
_EMAIL_TEMPLATES = ("notice_subject.txt.j2", "notice.txt.j2", "notice.html.j2", "_notice_body.html.j2")
#: The person's own words in an email, put in each message (slots 0–3); the rest is its variant's.
_NAME_FIELDS = ("first_name", "last_name", "display_name", "greeting_name")
#: Lists of the person's own words (slots 4–5): their exposed categories, in French and in English.
_LISTS = {4: "exposed_fr", 5: "exposed_en"}
_SLOT = "\ue000%d\ue001"     # private-use characters: no template filter changes them, no name holds them
_SECOND = "\ue002%d\ue001"   # a list's second item
_SLOTS = re.compile("\ue000([0-9])\ue001")
_PAIRS = re.compile("\ue000([0-9])\ue001(.*?)\ue002\\1\ue001", re.DOTALL)
_MARKERS = ("\ue000", "\ue001", "\ue002")
_MAX_VARIANTS = 20_000   # beyond, notices are rendered in full (memory stays bounded)
#: Context entries that are not the variant's: the person's words, and what the signer's views decide
#: (keyed by the person's controllers); ``labs`` and ``insurer`` are not said by the shipped email templates.
_NOT_VARIANT = frozenset({"person", "notice", "case", "controller", "contact", "dpo", "controllers", "labs",
                          "insurer", *_LISTS.values()})


def _frozen(value):
    """A hashable copy of a context value (lists, tuples and dicts of plain values)."""
    if isinstance(value, (list, tuple)):
        return tuple(map(_frozen, value))
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    hash(value)
    return value


def _variant_key(ctx: dict, controllers: str) -> tuple:
    """What a notice says but the person's own words: equal keys, equal notices once the words are put in."""
    person = ctx["person"]
    return (controllers, person["minor"], *(bool(person[f]) for f in _NAME_FIELDS),
            *(bool(ctx[name]) for name in _LISTS.values()),
            *((k, _frozen(v)) for k, v in ctx.items() if k not in _NOT_VARIANT))


def _words(ctx: dict) -> list:
    """The person's own words by slot: four names, then two lists."""
    return [ctx["person"][f] for f in _NAME_FIELDS] + [ctx[name] for name in _LISTS.values()]


def _fits_slot(word: str) -> bool:
    """A name that can be put into a laid-out variant as is (no line break, NUL or marker in it)."""
    return not any(c in word for c in ("\r", "\n", "\0", *_MARKERS))


@dataclass(frozen=True)
class _Pieces:
    """One part of a variant: ``[literal, slot, literal, …]`` and each list slot's separator."""

    pieces: list
    separators: dict
    longest: int = 0   # bytes: the longest line with every slot empty, in octets
    joined: dict = field(default_factory=dict)   # (slot, items, html, bytes) → the list as put in, its longest line

    @classmethod
    def of(cls, value: str, encode: bool = False, html_lines: bool = False) -> _Pieces | None:
        separators: dict = {}

        def pair(match: re.Match) -> str:
            k, sep = int(match.group(1)), match.group(2)
            if html_lines:   # between two items: any run of spaces is one line break (the same in HTML)
                sep = re.sub(r"\s+", "\n", sep)
            if separators.setdefault(k, sep) != sep:
                raise ValueError
            return _SLOT % k

        try:
            value = _PAIRS.sub(pair, value)
        except ValueError:
            return None
        if "\ue002" in value or value.count("\ue000") != len(_SLOTS.findall(value)):
            return None   # a marker was cut or moved: this variant cannot be filled in
        pieces = _SLOTS.split(value)
        pieces[1::2] = [int(k) for k in pieces[1::2]]
        if encode:
            pieces[0::2] = [_crlf(p) for p in pieces[0::2]]
            separators = {k: _crlf(v) for k, v in separators.items()}
            return cls(pieces, separators, max(map(len, b"".join(pieces[0::2]).split(b"\r\n"))))
        return cls(pieces, separators)

    def fill(self, words: list, *, html: bool = False) -> str:
        """The part with ``words`` (by slot number) put in, HTML-escaped with ``html``."""
        out = list(self.pieces)
        out[1::2] = [self._list(k, tuple(words[k]), html, False)[0] if isinstance(words[k], list)
                     else str(markupsafe.escape(words[k])) if html else words[k] for k in self.pieces[1::2]]
        return "".join(out)

    def fill_bytes(self, words: list, *, html: bool = False) -> bytes | None:
        """:meth:`fill` as 8bit bytes (CRLF); None when a line would pass SMTP's 998 octets."""
        out, bound = list(self.pieces), self.longest
        values = []
        for k in self.pieces[1::2]:
            if isinstance(words[k], list):
                value, longest = self._list(k, tuple(words[k]), html, True)
            else:
                value = (str(markupsafe.escape(words[k])) if html else words[k]).encode("utf-8")
                longest = len(value)
            values.append(value)
            bound += longest   # a line holds at most its literal, each name and each list's longest line
        out[1::2] = values
        data = b"".join(out)
        if bound > _SMTP_LINE and max(map(len, data.split(b"\r\n"))) > _SMTP_LINE:
            return None
        return data

    def _list(self, k: int, items: tuple, html: bool, bytes_: bool) -> tuple:
        """A list slot's value and (bytes) its longest line, cached: the same lists recur."""
        key = (k, items, html, bytes_)
        found = self.joined.get(key)
        if found is None:
            escaped = [str(markupsafe.escape(w)) for w in items] if html else list(items)
            if bytes_:
                value = self.separators[k].join(_crlf(i) for i in escaped)
                found = (value, max(map(len, value.split(b"\r\n"))))
            else:
                found = (self.separators[k].join(escaped), 0)
            if len(self.joined) < 4096:
                self.joined[key] = found
        return found


def _crlf(text: str) -> bytes:
    return text.encode("utf-8").replace(b"\n", b"\r\n")


@dataclass(frozen=True)
class _Variant:
    """One variant of the email, rendered and laid out once, the person's words left as slots."""

    subject: str
    text: _Pieces           # as rendered (quoted-printable is encoded per person, once filled in)
    html: _Pieces
    text8: _Pieces | None   # the 8bit parts' bytes (CRLF, HTML lines joined); None when a part cannot go 8bit
    html8: _Pieces | None

    @classmethod
    def of(cls, subject: str, text: str, html: str) -> _Variant | None:
        """None when a word is in the subject or a marker was cut (then render in full)."""
        if any(m in subject for m in _MARKERS):
            return None
        text_p, html_p = _Pieces.of(text), _Pieces.of(html)
        if text_p is None or html_p is None:
            return None
        text8 = html8 = None
        if not any(c in p for p in (text.replace("\r\n", "\n"), html.replace("\r\n", "\n")) for c in "\r\0"):
            text8 = _Pieces.of(text.replace("\r\n", "\n"), encode=True)
            html8 = _Pieces.of(_html_lines(html, 700), encode=True, html_lines=not _VERBATIM.search(html))
            if text8 is None or html8 is None:
                return None
        return cls(subject, text_p, html_p, text8, html8)


def _qp(text: str) -> bytes:
    """Quoted-printable body with CRLF line ends."""
    return binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8")).replace(b"\n", b"\r\n")


_PART = b"Content-Type: text/%s; charset=\"utf-8\"\r\nContent-Transfer-Encoding: %s\r\n\r\n"
_SMTP_LINE = 998   # octets per line, CRLF excluded (RFC 5321 4.5.3.1.6)
_VERBATIM = re.compile(r"<(pre|textarea)\b", re.IGNORECASE)


def _part(subtype: bytes, text: str, eight_bit: bool) -> bytes:
    """One MIME part: 8bit when allowed and every line fits SMTP's limit (no bare CR, no NUL), else QP."""
    if eight_bit:
        raw = text.replace("\r\n", "\n").encode("utf-8")
        if b"\r" not in raw and b"\0" not in raw and max(map(len, raw.split(b"\n"))) <= _SMTP_LINE:
            return _PART % (subtype, b"8bit") + raw.replace(b"\n", b"\r\n")
    return _PART % (subtype, b"quoted-printable") + _qp(text)


def _html_lines(html: str, width: int = 900) -> str:
    """HTML with its source lines joined, then cut at spaces into lines of at most ``width`` characters (a
    newline and a space mean the same in HTML outside ``pre``/``textarea``, which are left alone; a word
    longer than ``width`` keeps its own line): the fewer lines an SMTP server reads, the faster."""
    if _VERBATIM.search(html):
        return html
    flat = " ".join(filter(None, (line.strip() for line in html.split("\n"))))
    out, start, n = [], 0, len(flat)
    while n - start > width:
        cut = flat.rfind(" ", start, start + width + 1)
        if cut <= start:
            cut = flat.find(" ", start + width)
            if cut < 0:
                break
        out.append(flat[start:cut])
        start = cut + 1
    out.append(flat[start:])
    return "\n".join(out) + "\n"
