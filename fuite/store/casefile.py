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
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fuite.errors import CaseFileError, UsageError

__all__ = ["TEMPLATE", "FILE_NAME", "CaseFile", "Breach", "Party", "Contact", "SmtpSettings", "Notification",
           "parse_case_file", "load_case_file", "read_case_file", "write_template", "PARIS"]

PARIS = ZoneInfo("Europe/Paris")
FILE_NAME = "case.toml"

TEMPLATE = '''\
# fuite case file: the facts of the breach that the leaked data cannot tell.
# Edit every value, then run `fuite notify cnil --case DIR`. This file holds no leaked data.
# Dates are TOML date-times (2021-02-23T09:30:00+01:00); without an offset, Paris time is assumed.
# Leave "" where a fact is not known yet. Texts in French are quoted as written in the CNIL draft.

[breach]
# Is the breach established (true) or only suspected (false)?
established = true
# When the controller became aware of it: the 72-hour deadline to notify CNIL runs from here (GDPR art. 33).
discovered_at = 2021-02-23T09:00:00+01:00
# When it started and ended; set ongoing = true while it is not contained.
started_at = ""
ended_at = ""
ongoing = false
# How it was discovered (French, quoted in the CNIL draft).
how_discovered = "Signalement par un média : fichier diffusé sur Internet"
# internal or external origin; malicious (true) or accidental (false).
origin = "external"
malicious = true
# Cause (French, quoted in the CNIL draft).
cause = "Extraction de données depuis un logiciel de gestion de laboratoire, puis publication en ligne"
# ENISA circumstances: confidentiality = none / known_recipients / unknown_recipients;
# integrity = none / recoverable / lost; availability = none / temporary / lost.
confidentiality = "unknown_recipients"
integrity = "none"
availability = "none"
# Processors (sous-traitants) involved, by name.
processors = ["Éditeur du logiciel de gestion de laboratoire"]
# Medium: where the data were (server, software, paper...), in French.
medium = "Serveur applicatif du logiciel de laboratoire"
# Categories of persons concerned, in French.
person_categories = ["Patients"]
# Measures taken and planned (French, one sentence each).
measures_taken = ["Demande de retrait du fichier auprès des hébergeurs", "Dépôt de plainte"]
measures_planned = ["Information individuelle de chaque patient", "Audit de sécurité du logiciel"]
# Are persons informed? yes / no / planned; and when (date-time or "").
persons_informed = "planned"
persons_informed_at = ""
# Does the breach concern persons in other EU member states?
cross_border = false
# If CNIL is notified after 72 hours: why (French).
late_reason = ""

[controller]
name = "Laboratoire d'analyses (à compléter)"
address = "1 rue de l'Exemple, 35000 Rennes"
siren = ""
# health: the controller is a health-care actor (raises the severity of plain identity data).
sector = "health"

[dpo]
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
from = "Laboratoire <dpo@laboratoire.example>"
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
    malicious: bool = False
    cause: str = ""
    confidentiality: str = "unknown_recipients"
    integrity: str = "none"
    availability: str = "none"
    processors: tuple[str, ...] = ()
    medium: str = ""
    person_categories: tuple[str, ...] = ("Patients",)
    measures_taken: tuple[str, ...] = ()
    measures_planned: tuple[str, ...] = ()
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
class CaseFile:
    breach: Breach = field(default_factory=Breach)
    controller: Party = field(default_factory=Party)
    dpo: Contact = field(default_factory=Contact)
    contact: Contact = field(default_factory=Contact)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    notification: Notification = field(default_factory=Notification)
    require_operator: bool = False
    retention_until: date | None = None


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
        malicious=b.flag("malicious"), cause=b.text("cause"),
        confidentiality=b.choice("confidentiality", _CONFIDENTIALITY, "unknown_recipients"),
        integrity=b.choice("integrity", _INTEGRITY, "none"),
        availability=b.choice("availability", _AVAILABILITY, "none"),
        processors=b.texts("processors"), medium=b.text("medium"),
        person_categories=b.texts("person_categories", ("Patients",)),
        measures_taken=b.texts("measures_taken"), measures_planned=b.texts("measures_planned"),
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
    return CaseFile(
        breach=breach, controller=controller,
        dpo=Contact(d.text("name"), d.text("email"), d.text("phone")),
        contact=Contact("", p.text("email"), p.text("phone"), p.text("url")),
        smtp=smtp, notification=notification,
        require_operator=sec.flag("require_operator"), retention_until=sec.day("retention_until"),
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


#: Marks of a value the controller has not written: earlier templates' placeholders and example domains.
PLACEHOLDER_MARKS = ("à compléter", "a completer", "to be completed", "rue de l'exemple", ".example", "example.")


def is_placeholder(text: str) -> bool:
    """Whether ``text`` is a template placeholder rather than a fact (case and accents of the mark ignored)."""
    lowered = text.casefold()
    return any(mark in lowered for mark in PLACEHOLDER_MARKS)


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
