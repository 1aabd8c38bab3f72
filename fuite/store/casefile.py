"""The case file ``case.toml``: the facts of the breach that the data cannot tell (its one owner).

``fuite case init`` writes :data:`TEMPLATE` (commented, every key present); the
controller edits it. :func:`parse_case_file` checks a parsed dict and returns a
typed :class:`CaseFile`, or raises :class:`~fuite.errors.CaseFileError` naming the key
at fault (dotted: ``breach.origin``). Every command reads the case file through here
(``Case.settings`` is the typed file of an open case); no other module parses it.
It holds no leaked data: dates, circumstances, contacts, SMTP settings.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fuite.errors import CaseFileError, CaseIncomplete, UsageError

__all__ = ["TEMPLATE", "FILE_NAME", "CaseFile", "gaps", "require_complete", "is_placeholder", "known", "Breach", "Party", "Contact", "SmtpSettings", "Notification",
           "Controller", "SINGLE_CONTROLLER", "processor_gaps",
           "parse_case_file", "load_case_file", "read_case_file", "write_template", "PARIS"]

PARIS = ZoneInfo("Europe/Paris")
FILE_NAME = "case.toml"

TEMPLATE = '''\
# fuite case file: the facts of the breach that the leaked data cannot tell.
# Fill in every value, then run `fuite case check --case DIR`: it lists each fact still missing.
# `fuite notify cnil` and `fuite notify persons` refuse to run while one remains (`--draft` renders for review).
# This file holds no leaked data. Dates are TOML date-times (2021-02-23T09:30:00+01:00); without an offset, Paris
# time is assumed. "" means "not known yet". Texts in French are quoted as written in the CNIL draft.
# Each "e.g." comment shows what the 2021 leak of French laboratories would have said: an example, not a fact.

[breach]
# Is the breach established (true) or only suspected (false)?
established = true
# When the controller became aware of it: the 72-hour deadline to notify CNIL runs from here (GDPR art. 33).
# e.g. discovered_at = 2021-02-23T09:00:00+01:00
discovered_at = ""
# When it started and ended; set ongoing = true while it is not contained.
started_at = ""
ended_at = ""
ongoing = false
# How it was discovered (French, quoted in the CNIL draft).
# e.g. how_discovered = "Signalement par un média : fichier diffusé sur Internet"
how_discovered = ""
# internal or external origin; malicious: true, false, or "" while not known.
# e.g. origin = "external"   malicious = true
origin = ""
malicious = ""
# Cause (French, quoted in the CNIL draft).
# e.g. cause = "Extraction de données depuis un logiciel de gestion de laboratoire, puis publication en ligne"
cause = ""
# What a person reads about the breach (its nature), French then English; one or two sentences.
# e.g. description_fr = "Des données de patients ont été copiées depuis notre logiciel de laboratoire puis diffusées sur Internet."
# e.g. description_en = "Patient data were copied from our laboratory software and then published on the Internet."
description_fr = ""
description_en = ""
# ENISA circumstances: confidentiality = none / known_recipients / unknown_recipients;
# integrity = none / recoverable / lost; availability = none / temporary / lost.
confidentiality = "unknown_recipients"
integrity = "none"
availability = "none"
# Processors (sous-traitants) involved, by name.
# e.g. processors = ["Éditeur du logiciel de gestion de laboratoire"]
processors = []
# Medium: where the data were (server, software, paper...), in French.
# e.g. medium = "Serveur applicatif du logiciel de laboratoire"
medium = ""
# Categories of persons concerned, in French.
person_categories = ["Patients"]
# Measures taken and planned (French, one sentence each; English versions in the same order, for the notices).
# e.g. measures_taken = ["Demande de retrait du fichier auprès des hébergeurs", "Dépôt de plainte"]
# e.g. measures_planned = ["Information individuelle de chaque patient", "Audit de sécurité du logiciel"]
measures_taken = []
measures_planned = []
# e.g. measures_taken_en = ["Request to the hosts to take the file down", "Complaint filed with the police"]
measures_taken_en = []
measures_planned_en = []
# Are persons informed? yes / no / planned; and when (date-time or "").
persons_informed = "planned"
persons_informed_at = ""
# Does the breach concern persons in other EU member states?
cross_border = false
# If CNIL is notified after 72 hours: why (French).
late_reason = ""
# The self-check page's summary of the breach (optional): title, short name, domain, day it happened.
title = ""
name = ""
domain = ""
date = ""

[controller]
# The data controller, printed in the CNIL draft and signing every notice.
# e.g. name = "Laboratoire de biologie médicale des Exemples"   address = "1 rue de l'Exemple, 35000 Rennes"
name = ""
address = ""
siren = ""
# health: the controller is a health-care actor (raises the severity of plain identity data).
sector = "health"
# The controller's own contact details (self-check page), optional.
email = ""
phone = ""
website = ""

[dpo]
# The data protection officer: CNIL's contact, and printed in every notice. An email or a phone is required
# here or under [contact].
name = ""
email = ""
phone = ""

[contact]
# Where persons can get help: printed in every notice.
phone = ""
email = ""
# The self-check page (fuite serve), if published.
url = ""

[smtp]
# smtp://user:password@host:587 (STARTTLS when offered) or smtps://user:password@host:465 (implicit TLS).
url = ""
# e.g. from = "Laboratoire des Exemples <dpo@laboratoire.fr>"
from = ""
# Messages per second (0: no limit), and parallel connections.
rate = 10
connections = 1

[security]
# true: every command that reads identifiers needs --operator NAME.
require_operator = false
# A date (2021-12-31) after which fuite warns that the case should be purged; "" for none.
retention_until = ""

[notification]
# initial or complementary; for a complementary notification, the reference CNIL gave the initial one.
kind = "initial"
previous_reference = ""
# Several controllers: who signs the notice of a person several of them share, by controller id in order of
# precedence (the first of the person's controllers in this list signs; every one of them is named).
# [] means the order of [[controllers]] below.
signing = []

# One leak, several controllers (e.g. the laboratories of one software vendor, the insurers of one operator):
# replace [controller] above by one [[controllers]] table per controller. Each record is attributed to the
# controller whose lab name, FINESS number, insurer name or AMC number its lab/insurer column holds, or by a
# file- or table-level rule; records matching none are counted by file, never assigned. Missing dpo, contact
# and from fall back to [dpo], [contact] and [smtp] above.
# [[controllers]]
# id = "bio-rennes"                      # short id: folder names of the drafts, `fuite report --controller`
# name = "Laboratoire Bio Rennes"        # address, siren, sector, email, phone, website as under [controller]
# address = "3 rue de l'Exemple, 35000 Rennes"
# siren = "732829320"
# dpo = { name = "", email = "dpo@bio-rennes.example", phone = "" }
# contact = { email = "", phone = "", url = "" }
# from = "Laboratoire Bio Rennes <dpo@bio-rennes.example>"
# labs = ["Laboratoire Bio Rennes"]      # values of a lab-name column
# finess = ["350002812"]                 # values of a FINESS column
# insurers = []                          # values of an insurer-name column
# amc = []                               # values of an AMC-number column (named under [attribution])
# files = ["rennes/*.csv"]               # every record of these files (glob over the path as scanned)
# tables = ["sil.sql:patients_rennes"]   # every record of these tables ("file:table", glob)

# [attribution]
# Columns holding a controller's key besides those fuite recognises (lab name, FINESS, insurer name), by header.
# columns = ["NUM_AMC"]

# The processor (sous-traitant) that suffered the breach, if any: `fuite notify processor` writes its
# notice to each controller (art. 33(2)).
# [processor]
# name = ""
# address = ""
# siren = ""
# dpo = { name = "", email = "", phone = "" }
# contact = { email = "", phone = "" }
'''

_CONFIDENTIALITY = ("none", "known_recipients", "unknown_recipients")
_INTEGRITY = ("none", "recoverable", "lost")
_AVAILABILITY = ("none", "temporary", "lost")


@dataclass(frozen=True)
class Breach:
    established: bool = True
    discovered_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    ongoing: bool = False
    how_discovered: str = ""
    origin: str = ""
    malicious: bool | None = None   # None: not stated yet
    cause: str = ""
    confidentiality: str = "unknown_recipients"
    integrity: str = "none"
    availability: str = "none"
    processors: tuple[str, ...] = ()
    medium: str = ""
    person_categories: tuple[str, ...] = ("Patients",)
    measures_taken: tuple[str, ...] = ()
    measures_planned: tuple[str, ...] = ()
    measures_taken_en: tuple[str, ...] = ()
    measures_planned_en: tuple[str, ...] = ()
    persons_informed: str = "planned"
    persons_informed_at: datetime | None = None
    cross_border: bool = False
    late_reason: str = ""
    # What a person reads about the breach: the self-check page (HIBP-style summary) and the notices.
    title: str = ""
    name: str = ""
    domain: str = ""
    occurred_on: date | None = None   # key `date`: when the breach happened, if known to the day
    description_fr: str = ""
    description_en: str = ""

    @property
    def deadline(self) -> datetime | None:
        """72 hours after discovery (GDPR art. 33)."""
        return self.discovered_at + timedelta(hours=72) if self.discovered_at else None


@dataclass(frozen=True)
class Party:
    name: str = ""
    address: str = ""
    siren: str = ""
    sector: str = "health"
    email: str = ""
    phone: str = ""
    website: str = ""


@dataclass(frozen=True)
class Contact:
    name: str = ""
    email: str = ""
    phone: str = ""
    url: str = ""


@dataclass(frozen=True)
class SmtpSettings:
    url: str = ""
    sender: str = ""
    rate: float = 10.0
    connections: int = 1


@dataclass(frozen=True)
class Notification:
    kind: str = "initial"
    previous_reference: str = ""


#: The id of the one controller of a case with a single ``[controller]``.
SINGLE_CONTROLLER = "controller"

_CONTROLLER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Controller:
    """One data controller of the case (a ``[[controllers]]`` entry): its facts and how its records are known.

    ``labs``/``insurers`` are names as a lab or insurer column writes them, ``finess``/``amc`` numbers,
    ``files``/``tables`` globs over the scanned file path and ``file:table``. Empty ``dpo``, ``contact`` and
    ``sender`` are the case-level ``[dpo]``, ``[contact]`` and ``[smtp] from`` (see :meth:`CaseFile.view`).
    """

    id: str
    party: Party = field(default_factory=Party)
    dpo: Contact = field(default_factory=Contact)
    contact: Contact = field(default_factory=Contact)
    sender: str = ""
    labs: tuple[str, ...] = ()
    finess: tuple[str, ...] = ()
    insurers: tuple[str, ...] = ()
    amc: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.party.name


@dataclass(frozen=True)
class AuditSettings:
    witness: str = ""     # a second witness file (e.g. on another machine's share), besides the operator's own
    syslog: bool = False  # also send each audit entry's digest to the system log


@dataclass(frozen=True)
class CaseFile:
    breach: Breach = field(default_factory=Breach)
    controller: Party = field(default_factory=Party)
    dpo: Contact = field(default_factory=Contact)
    contact: Contact = field(default_factory=Contact)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    notification: Notification = field(default_factory=Notification)
    require_operator: bool = False
    retention_until: date | None = None
    audit: AuditSettings = field(default_factory=AuditSettings)
    declared_controllers: tuple[Controller, ...] = ()   # [[controllers]]; empty: the one [controller]
    processor: Controller | None = None                 # [processor]
    attribution_columns: tuple[str, ...] = ()           # [attribution] columns: headers holding a key
    signing: tuple[str, ...] = ()                       # [notification] signing: controller ids, first signs

    @property
    def many(self) -> bool:
        """Whether the case declares ``[[controllers]]`` (else its one ``[controller]`` holds every record)."""
        return bool(self.declared_controllers)

    @property
    def controllers(self) -> tuple[Controller, ...]:
        """The controllers: the declared ones, or the single ``[controller]`` (id ``controller``, every file)."""
        if self.declared_controllers:
            return self.declared_controllers
        return (Controller(SINGLE_CONTROLLER, self.controller, self.dpo, self.contact, self.smtp.sender,
                           files=("*",)),)

    def controller_by_id(self, cid: str) -> Controller:
        for c in self.controllers:
            if c.id == cid:
                return c
        raise UsageError(f"no controller {cid!r} in case.toml (ids: {', '.join(c.id for c in self.controllers)})")

    def view(self, controller: Controller) -> CaseFile:
        """This case file as seen by one controller: its facts under ``controller``/``dpo``/``contact``/``smtp``."""
        return replace(self, controller=controller.party, dpo=_or(controller.dpo, self.dpo),
                       contact=_or(controller.contact, self.contact),
                       smtp=replace(self.smtp, sender=controller.sender or self.smtp.sender))

    def signer(self, ids: list[str] | tuple[str, ...]) -> Controller | None:
        """Who signs the notice of a person of these controllers: the first in ``signing``, else in case order."""
        if not ids:
            return None
        order = list(self.signing) + [c.id for c in self.controllers if c.id not in self.signing]
        return self.controller_by_id(min(ids, key=lambda cid: order.index(cid) if cid in order else len(order)))


def _or(own: Contact, shared: Contact) -> Contact:
    """A controller's own DPO or contact when it states one, else the case-level one."""
    return own if any((own.name, own.email, own.phone, own.url)) else shared


class _Reader:
    """Typed access to one section, raising ``CaseFileError`` with ``[section] key`` in the message."""

    def __init__(self, settings: dict, section: str, label: str | None = None):
        self.section = label or section
        value = settings.get(section, {})
        if not isinstance(value, dict):
            raise CaseFileError(f"case.toml: {self.section}: expected a table")
        self.data = value

    def _fail(self, key: str, expected: str) -> CaseFileError:
        return CaseFileError(f"case.toml: {self.section}.{key}: expected {expected}")

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value.strip()

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def maybe_flag(self, key: str) -> bool | None:
        value = self.data.get(key, "")
        if value == "":
            return None
        if not isinstance(value, bool):
            raise self._fail(key, 'true, false or ""')
        return value

    def number(self, key: str, default: float) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self._fail(key, "a number ≥ 0")
        return float(value)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.data.get(key, default)
        if value not in choices:
            raise self._fail(key, " or ".join(f'"{c}"' for c in choices))
        return value

    def texts(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.data.get(key, list(default))
        if isinstance(value, str):
            value = [value] if value.strip() else []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of strings")
        return tuple(v.strip() for v in value if v.strip())

    def moment(self, key: str) -> datetime | None:
        value = self.data.get(key, "")
        if value == "":
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                raise self._fail(key, "a date-time like 2021-02-23T09:00:00+01:00") from None
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime.combine(value, time())
        if not isinstance(value, datetime):
            raise self._fail(key, "a date-time like 2021-02-23T09:00:00+01:00")
        return value if value.tzinfo else value.replace(tzinfo=PARIS)

    def day(self, key: str) -> date | None:
        value = self.data.get(key, "")
        if value == "":
            return None
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise self._fail(key, "a date like 2021-12-31 (not a date)") from None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        raise self._fail(key, "a date like 2021-12-31")


def parse_case_file(settings: dict) -> CaseFile:
    """Check the parsed ``case.toml`` (a dict, possibly empty) and return it typed."""
    b = _Reader(settings, "breach")
    breach = Breach(
        established=b.flag("established", True), discovered_at=b.moment("discovered_at"),
        started_at=b.moment("started_at"), ended_at=b.moment("ended_at"), ongoing=b.flag("ongoing"),
        how_discovered=b.text("how_discovered"), origin=b.choice("origin", ("", "internal", "external"), ""),
        malicious=b.maybe_flag("malicious"), cause=b.text("cause"),
        confidentiality=b.choice("confidentiality", _CONFIDENTIALITY, "unknown_recipients"),
        integrity=b.choice("integrity", _INTEGRITY, "none"),
        availability=b.choice("availability", _AVAILABILITY, "none"),
        processors=b.texts("processors"), medium=b.text("medium"),
        person_categories=b.texts("person_categories", ("Patients",)),
        measures_taken=b.texts("measures_taken"), measures_planned=b.texts("measures_planned"),
        measures_taken_en=b.texts("measures_taken_en"), measures_planned_en=b.texts("measures_planned_en"),
        persons_informed=b.choice("persons_informed", ("yes", "no", "planned"), "planned"),
        persons_informed_at=b.moment("persons_informed_at"), cross_border=b.flag("cross_border"),
        late_reason=b.text("late_reason"), title=b.text("title"), name=b.text("name"), domain=b.text("domain"),
        occurred_on=b.day("date"), description_fr=b.text("description_fr"), description_en=b.text("description_en"),
    )
    if breach.started_at and breach.ended_at and breach.ended_at < breach.started_at:
        raise CaseFileError("case.toml: breach.ended_at: earlier than breach.started_at")
    c = _Reader(settings, "controller")
    controller = Party(c.text("name"), c.text("address"), c.text("siren"),
                       c.choice("sector", ("health", "other"), "health"), c.text("email"), c.text("phone"),
                       c.text("website"))
    _check_siren(controller.siren, "controller")
    d = _Reader(settings, "dpo")
    p = _Reader(settings, "contact")
    s = _Reader(settings, "smtp")
    smtp = SmtpSettings(s.text("url"), s.text("from"), s.number("rate", 10.0), int(s.number("connections", 1)))
    if not 1 <= smtp.connections <= 64:
        raise CaseFileError("case.toml: smtp.connections: expected a whole number from 1 to 64")
    if smtp.url and not smtp.url.startswith(("smtp://", "smtps://")):
        raise CaseFileError("case.toml: smtp.url: expected smtp://… or smtps://…")
    n = _Reader(settings, "notification")
    notification = Notification(n.choice("kind", ("initial", "complementary"), "initial"),
                                n.text("previous_reference"))
    sec = _Reader(settings, "security")
    a = _Reader(settings, "audit")
    declared = _controllers(settings)
    signing = n.texts("signing")
    unknown = [cid for cid in signing if cid not in {c.id for c in declared}]
    if unknown:
        raise CaseFileError(f"case.toml: notification.signing: no controller {unknown[0]!r} in [[controllers]]")
    processor = None
    if "processor" in settings:
        processor = _party_entry(_Reader(settings, "processor"), "processor", "processor")
    return CaseFile(
        breach=breach, controller=controller,
        dpo=Contact(d.text("name"), d.text("email"), d.text("phone")),
        contact=Contact("", p.text("email"), p.text("phone"), p.text("url")),
        smtp=smtp, notification=notification,
        require_operator=sec.flag("require_operator"), retention_until=sec.day("retention_until"),
        audit=AuditSettings(a.text("witness"), a.flag("syslog")),
        declared_controllers=declared, processor=processor,
        attribution_columns=_Reader(settings, "attribution").texts("columns"), signing=signing,
    )


def _check_siren(siren: str, key: str) -> None:
    from stdnum.fr import siren as stdnum_siren

    if siren and not stdnum_siren.is_valid(siren):
        raise CaseFileError(f"case.toml: {key}.siren: expected a SIREN (9 digits whose Luhn key checks)")


def _contact(reader: _Reader, key: str) -> Contact:
    sub = _Reader(reader.data, key, f"{reader.section}.{key}")
    return Contact(sub.text("name"), sub.text("email"), sub.text("phone"), sub.text("url"))


def _party_entry(r: _Reader, label: str, cid: str) -> Controller:
    party = Party(r.text("name"), r.text("address"), r.text("siren"), r.choice("sector", ("health", "other"), "health"),
                  r.text("email"), r.text("phone"), r.text("website"))
    _check_siren(party.siren, label)
    return Controller(cid, party, _contact(r, "dpo"), _contact(r, "contact"), r.text("from"))


def _controllers(settings: dict) -> tuple[Controller, ...]:
    """The ``[[controllers]]`` entries, checked: ids unique and folder-safe, FINESS valid, no key claimed twice."""
    from fuite.ids import finess
    from fuite.text.fold import name_key

    entries = settings.get("controllers", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise CaseFileError("case.toml: controllers: expected [[controllers]] tables")
    found: list[Controller] = []
    claimed: dict[tuple[str, str], str] = {}
    for i, entry in enumerate(entries):
        label = f"controllers[{i}]"
        r = _Reader({label: entry}, label)
        cid = r.text("id")
        if not _CONTROLLER_ID.match(cid):
            raise CaseFileError(f"case.toml: {label}.id: expected a short id (a-z, 0-9, - or _; 40 at most)")
        if any(c.id == cid for c in found):
            raise CaseFileError(f"case.toml: {label}.id: {cid!r} is already the id of another controller")
        base = _party_entry(r, label, cid)
        numbers = []
        for number in r.texts("finess"):
            if not finess.is_valid(number):
                raise CaseFileError(f"case.toml: {label}.finess: expected FINESS numbers (9 characters, Luhn key)")
            numbers.append(finess.compact(number))
        amc = tuple(clean_number(v) for v in r.texts("amc"))
        if not all(v.isascii() and v.isdigit() and 6 <= len(v) <= 10 for v in amc):
            raise CaseFileError(f"case.toml: {label}.amc: expected AMC numbers (6 to 10 digits)")
        c = replace(base, labs=r.texts("labs"), finess=tuple(numbers), insurers=r.texts("insurers"), amc=amc,
                    files=r.texts("files"), tables=r.texts("tables"))
        for kind, values in (("name", c.labs + c.insurers), ("number", c.finess + c.amc)):
            for value in values:
                key = (kind, name_key(value) or "" if kind == "name" else value)
                if claimed.setdefault(key, cid) != cid:
                    raise CaseFileError(f"case.toml: {label}: a key of controller {claimed[key]!r} is claimed again")
        found.append(c)
    return tuple(found)


def clean_number(value: str) -> str:
    """A FINESS or AMC number as attribution compares it: spaces, dots and dashes removed, upper-cased."""
    from fuite.ids import finess

    return finess.compact(value)


def load_case_file(path: Path) -> CaseFile:
    """Read and check a ``case.toml``; a missing file gives the defaults."""
    path = Path(path)
    if not path.exists():
        return CaseFile()
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CaseFileError("case.toml: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise CaseFileError(f"case.toml: invalid TOML ({exc})") from None
    return parse_case_file(settings)


#: Marks of a value the controller has not written: placeholders of this and earlier templates, example domains.
PLACEHOLDER_MARKS = ("à compléter", "a completer", "to be completed", "rue de l'exemple", "des exemples",
                     ".example", "example.", "@laboratoire.fr>")

#: The 2021 scenario that earlier templates wrote as values (and this one shows as "e.g." comments): a case
#: file still holding one of them was not edited.
EXAMPLE_VALUES = frozenset({
    "Signalement par un média : fichier diffusé sur Internet",
    "Extraction de données depuis un logiciel de gestion de laboratoire, puis publication en ligne",
    "Éditeur du logiciel de gestion de laboratoire", "Serveur applicatif du logiciel de laboratoire",
    "Demande de retrait du fichier auprès des hébergeurs", "Dépôt de plainte",
    "Information individuelle de chaque patient", "Audit de sécurité du logiciel",
    "Des données de patients ont été copiées depuis notre logiciel de laboratoire puis diffusées sur Internet.",
    "Patient data were copied from our laboratory software and then published on the Internet.",
    "Request to the hosts to take the file down", "Complaint filed with the police",
    "Laboratoire <dpo@laboratoire.example>",
})
EXAMPLE_DISCOVERY = datetime(2021, 2, 23, 9, 0, tzinfo=PARIS)


def is_placeholder(text: str) -> bool:
    """Whether ``text`` is a template placeholder or example rather than a fact."""
    lowered = text.casefold()
    return text.strip() in EXAMPLE_VALUES or any(mark in lowered for mark in PLACEHOLDER_MARKS)


def _texts_of(cf: CaseFile) -> Iterator[tuple[str, str]]:
    """``(dotted key, value)`` of every text the controller writes (lists item by item)."""
    for section in ("breach", "controller", "dpo", "contact", "smtp", "notification"):
        yield from _section_texts(section, getattr(cf, section))
    for c in cf.declared_controllers:
        yield from _texts_of_party(f"controllers[{c.id}]", c)


def _texts_of_party(prefix: str, c: Controller) -> Iterator[tuple[str, str]]:
    """``(dotted key, value)`` of the facts of one ``[[controllers]]`` entry or of ``[processor]``."""
    for section, value in ((prefix, c.party), (f"{prefix}.dpo", c.dpo), (f"{prefix}.contact", c.contact),
                           (prefix, SmtpSettings(sender=c.sender))):
        yield from _section_texts(section, value)


def _section_texts(section: str, value) -> Iterator[tuple[str, str]]:
    for f in fields(value):
        item_value = getattr(value, f.name)
        key = f"{section}.{'from' if f.name == 'sender' else f.name}"
        for item in item_value if isinstance(item_value, tuple) else (item_value,):
            if isinstance(item, str) and item:
                yield key, item


def _party_gaps(cf: CaseFile, c: Controller, prefix: str, who: str,
                fallback: bool = True) -> tuple[list[str], list[str]]:
    """The missing name and address of one controller (or the processor); and a missing DPO or contact point.

    ``fallback``: the case-level ``[dpo]`` and ``[contact]`` stand for the party's own (controllers, not the
    processor).
    """
    dpo, contact = (_or(c.dpo, cf.dpo), _or(c.contact, cf.contact)) if fallback else (c.dpo, c.contact)
    party = [f"{prefix}.{key}: missing ({why})" for key, value, why in (
        ("name", known(c.party.name), who),
        ("address", known(c.party.address), f"the {prefix.split('[')[0].rstrip('s')}'s address"),
    ) if not value]
    if [v for v in (dpo.email, dpo.phone, contact.email, contact.phone) if known(v)]:
        return party, []
    keys = ("dpo.email, dpo.phone, contact.email or contact.phone" if prefix == "controller"
            else f"{prefix}.dpo or {prefix}.contact (email or phone)")
    return party, [f"{keys}: missing (a DPO or contact point {'persons' if fallback else 'controllers'} can reach)"]


def gaps(cf: CaseFile) -> list[str]:
    """Every fact missing before a notice can be sent, one line each naming the key (art. 33(3), 34(2)).

    Missing: each controller's name and address, a DPO or contact point reachable by email or phone, the
    measures taken, the discovery date. Unedited: any value still a template placeholder or example.
    """
    b = cf.breach
    missing, reach = [], []
    for c in cf.controllers:
        party, unreachable = _party_gaps(cf, c, f"controllers[{c.id}]" if cf.many else "controller",
                                         "who signs the notices")
        missing, reach = missing + party, reach + unreachable
    missing += [f"{key}: missing ({why})" for key, value, why in (
        ("breach.discovered_at", b.discovered_at, "the 72-hour deadline runs from it"),
        ("breach.measures_taken", [m for m in b.measures_taken if not is_placeholder(m)],
         "every notice states the measures taken"),
    ) if not value]
    missing += reach
    if cf.notification.kind == "complementary" and not known(cf.notification.previous_reference):
        missing.append("notification.previous_reference: missing (a complementary notification names the "
                       "reference CNIL gave the initial one)")
    named = {line.split(":")[0] for line in missing}
    unedited = list(dict.fromkeys(key for key, value in _texts_of(cf) if is_placeholder(value) and key not in named))
    if b.discovered_at == EXAMPLE_DISCOVERY:
        unedited.insert(0, "breach.discovered_at")
    missing += [f"{key}: the template's example or placeholder, not edited" for key in unedited]
    return missing


def processor_gaps(cf: CaseFile) -> list[str]:
    """What the processor's notice to the controllers lacks: a ``[processor]`` with name, address and a contact."""
    if cf.processor is None:
        return ["processor: missing (a [processor] table: who tells the controllers, art. 33(2))"]
    party, unreachable = _party_gaps(cf, cf.processor, "processor", "who tells the controllers", fallback=False)
    return party + unreachable + [f"{key}: the template's example or placeholder, not edited"
                                  for key, value in _texts_of_party("processor", cf.processor) if is_placeholder(value)]


def require_complete(cf: CaseFile, action: str, extra: list[str] | None = None) -> None:
    """Raise :class:`CaseIncomplete` naming every gap (and ``extra`` ones), unless the case file states every
    required fact."""
    found = gaps(cf) + list(extra or [])
    if found:
        keys = ", ".join(line.split(":")[0] for line in found)
        raise CaseIncomplete(f"case.toml: {len(found)} fact(s) missing or unedited before {action}: {keys} "
                             f"(run `fuite case check`; --draft renders for review only)", found)


def known(text: str) -> str:
    """``text`` when it states a fact, "" when it is empty or a placeholder."""
    return "" if is_placeholder(text) else text


def read_case_file(case_dir: Path) -> CaseFile:
    """The typed case file of the case folder ``case_dir`` (defaults when it has none)."""
    return load_case_file(Path(case_dir) / FILE_NAME)


def write_template(case_dir: Path, force: bool = False) -> Path:
    """Write the commented template to ``case_dir/case.toml``; never overwrite unless ``force``."""
    path = Path(case_dir) / "case.toml"
    if path.exists() and not force:
        raise UsageError("case.toml already exists in the case folder (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEMPLATE, encoding="utf-8")
    return path
