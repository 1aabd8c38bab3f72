"""The case file ``case.toml``: the facts of the breach that the data cannot tell (its one owner).

``fuite case init`` writes :data:`TEMPLATE` (commented, every key present); the
controller edits it. :func:`parse_case_file` checks a parsed dict and returns a
typed :class:`CaseFile`, or raises :class:`~fuite.errors.CaseFileError` naming the key
at fault (dotted: ``breach.origin``). Every command reads the case file through here
(``Case.settings`` is the typed file of an open case); no other module parses it.
It holds no leaked data: dates, circumstances, contacts, SMTP settings.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fuite.errors import CaseFileError, CaseIncomplete, UsageError

__all__ = ["TEMPLATE", "FILE_NAME", "CaseFile", "gaps", "require_complete", "is_placeholder", "known", "Breach", "Party", "Contact", "SmtpSettings", "Notification",
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


class _Reader:
    """Typed access to one section, raising ``CaseFileError`` with ``[section] key`` in the message."""

    def __init__(self, settings: dict, section: str):
        self.section = section
        value = settings.get(section, {})
        if not isinstance(value, dict):
            raise CaseFileError(f"case.toml: {section}: expected a table")
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
    if controller.siren and not (controller.siren.replace(" ", "").isascii()
                                 and controller.siren.replace(" ", "").isdigit()
                                 and len(controller.siren.replace(" ", "")) == 9):
        raise CaseFileError("case.toml: controller.siren: expected 9 digits")
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
    return CaseFile(
        breach=breach, controller=controller,
        dpo=Contact(d.text("name"), d.text("email"), d.text("phone")),
        contact=Contact("", p.text("email"), p.text("phone"), p.text("url")),
        smtp=smtp, notification=notification,
        require_operator=sec.flag("require_operator"), retention_until=sec.day("retention_until"),
        audit=AuditSettings(a.text("witness"), a.flag("syslog")),
    )


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
        for f in fields(getattr(cf, section)):
            value = getattr(getattr(cf, section), f.name)
            key = f"{section}.{'from' if f.name == 'sender' else f.name}"
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, str) and item:
                    yield key, item


def gaps(cf: CaseFile) -> list[str]:
    """Every fact missing before a notice can be sent, one line each naming the key (art. 33(3), 34(2)).

    Missing: the controller's name and address, a DPO or contact point reachable by email or phone, the
    measures taken, the discovery date. Unedited: any value still a template placeholder or example.
    """
    b, c = cf.breach, cf.controller
    missing = [f"{key}: missing ({why})" for key, value, why in (
        ("controller.name", known(c.name), "who signs the notices"),
        ("controller.address", known(c.address), "the controller's address"),
        ("breach.discovered_at", b.discovered_at, "the 72-hour deadline runs from it"),
        ("breach.measures_taken", [m for m in b.measures_taken if not is_placeholder(m)],
         "every notice states the measures taken"),
    ) if not value]
    reachable = [v for v in (cf.dpo.email, cf.dpo.phone, cf.contact.email, cf.contact.phone) if known(v)]
    if not reachable:
        missing.append("dpo.email, dpo.phone, contact.email or contact.phone: missing (a DPO or contact point "
                       "persons can reach)")
    named = {line.split(":")[0] for line in missing}
    unedited = list(dict.fromkeys(key for key, value in _texts_of(cf) if is_placeholder(value) and key not in named))
    if b.discovered_at == EXAMPLE_DISCOVERY:
        unedited.insert(0, "breach.discovered_at")
    missing += [f"{key}: the template's example or placeholder, not edited" for key in unedited]
    return missing


def require_complete(cf: CaseFile, action: str) -> None:
    """Raise :class:`CaseIncomplete` naming every gap, unless the case file states every required fact."""
    found = gaps(cf)
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
