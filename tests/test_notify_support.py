"""Helpers shared by the notify tests: hand-built persons, a real SMTP sink on loopback, a case with persons.

No test lives here; other modules import from it.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import socket
import subprocess
from pathlib import Path

import pyarrow as pa
from aiosmtpd.controller import Controller

from fuite.schema import PERSON_SCHEMA
from conftest import access

def _filled_case() -> str:
    """The template with every required fact stated (a fictional controller on the reserved .test domain)."""
    from fuite.store.casefile import TEMPLATE

    facts = {
        'discovered_at = ""': "discovered_at = 2026-03-02T10:15:00+01:00",
        'how_discovered = ""': 'how_discovered = "Alerte d\'un patient ayant reçu un SMS frauduleux"',
        'origin = ""': 'origin = "external"',
        'malicious = ""': "malicious = true",
        'cause = ""': 'cause = "Compte d\'un prestataire compromis"',
        'description_fr = ""': 'description_fr = "Des fiches de patients ont été copiées depuis notre serveur de '
                               'résultats par un tiers non autorisé."',
        'description_en = ""': 'description_en = "Patient records were copied from our results server by an '
                               'unauthorised third party."',
        'measures_taken = []': 'measures_taken = ["Réinitialisation de tous les accès du prestataire", '
                               '"Plainte déposée auprès de la gendarmerie"]',
        'measures_planned = []': 'measures_planned = ["Double authentification sur le serveur de résultats"]',
        'measures_taken_en = []': 'measures_taken_en = ["Every access of the provider reset", '
                                  '"Complaint filed with the gendarmerie"]',
        'measures_planned_en = []': 'measures_planned_en = ["Two-factor authentication on the results server"]',
        'name = ""\naddress = ""': 'name = "Laboratoire Bioline Armor"\naddress = "4 quai Duguay-Trouin, 35000 Rennes"',
        '[dpo]\n# The data protection officer: CNIL\'s contact, and printed in every notice. An email or a phone is '
        'required\n# here or under [contact].\nname = ""\nemail = ""\nphone = ""':
            '[dpo]\nname = "Claire Le Goff"\nemail = "dpo@bioline-armor.test"\nphone = "02 99 00 00 00"',
        'from = ""': 'from = "Laboratoire Bioline Armor <notifications@bioline-armor.test>"',
    }
    text = TEMPLATE
    for old, new in facts.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


#: A case file that passes `fuite case check`.
FILLED_CASE = _filled_case()

#: Hand-built persons: every shape the notices must handle.
PEOPLE = [
    dict(person_id=1, last_name="Martin", first_name="Alice", birth_date="1980-02-03", nir="280027512345678",
         email="alice.martin@example.org", phone="+33612345678", street="12 rue des Lilas", postal_code="75011",
         city="Paris", categories="last_name;first_name;birth_date;nir;email;phone;blood_group", health=True,
         hiv=False, conditions=None, labs="Labo Nord"),
    dict(person_id=2, last_name="Bernard", first_name="Bruno", birth_date="1975-06-30", nir=None,
         email="bruno.bernard@example.net", phone=None, street=None, postal_code=None, city=None,
         categories="last_name;first_name;email;medication", health=True, hiv=True, conditions="hiv",
         labs="Labo Sud"),
    dict(person_id=3, last_name="Petit", first_name="Chloé", birth_date="1990-11-11", nir=None,
         email=None, phone="+33698765432", street="4 allée des Chênes", postal_code="35000", city="Rennes",
         categories="last_name;first_name;birth_date;phone;street_address;postal_code;city", health=False,
         hiv=False, conditions=None, labs="Labo Ouest"),
    dict(person_id=4, last_name="Durand", first_name="Denis", birth_date=None, nir="185057512345612",
         email="not an address", phone=None, street="7 boulevard Victor Hugo", postal_code="06000", city="Nice",
         categories="last_name;first_name;nir;insurer_name;street_address;postal_code;city", health=False,
         hiv=False, conditions=None, labs=None),
    dict(person_id=5, last_name="Leroy", first_name="Emma", birth_date="2001-01-01", nir=None,
         email="emma.leroy@example.com", phone=None, street=None, postal_code=None, city=None,
         categories="last_name;first_name;birth_date;email;health_note", health=True, hiv=False,
         conditions="pregnancy", labs=None),
    dict(person_id=6, last_name="Moreau", first_name=None, birth_date=None, nir=None, email=None, phone=None,
         street=None, postal_code=None, city=None, categories="last_name", health=False, hiv=False,
         conditions=None, labs=None),
]


def persons_table(rows: list[dict] | None = None) -> pa.Table:
    """A PERSON_SCHEMA table from dicts (missing columns null)."""
    rows = PEOPLE if rows is None else rows
    cols = {}
    for f in PERSON_SCHEMA:
        cols[f.name] = pa.array([r.get(f.name, 1 if f.name == "records" else None) for r in rows], type=f.type)
    return pa.table(cols, schema=PERSON_SCHEMA)


def many_persons(n: int, *, start: int = 1, domain: str = "example.org") -> list[dict]:
    """``n`` synthetic persons, each with a distinct email and a category set that varies."""
    extra = ["blood_group", "medication", "nir", "insurer_name", "phone"]
    rows = []
    for i in range(start, start + n):
        cats = ["last_name", "first_name", "email", extra[i % len(extra)]]
        rows.append(dict(person_id=i, last_name=f"Nom{i}", first_name=f"Prenom{i}", email=f"p{i}@{domain}",
                         categories=";".join(cats), health=extra[i % len(extra)] in ("blood_group", "medication"),
                         hiv=False))
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """An aiosmtpd handler that keeps every accepted message (and writes it to a Maildir journal).

    ``refuse``: addresses answered 550 at RCPT; ``busy_once``: addresses answered 451 the first time;
    ``drop_after_data``: addresses whose message is stored, then the connection is cut before the 250.
    ``pipelining``: EHLO also offers PIPELINING (RFC 2920; aiosmtpd reads commands in order from one stream,
    so pipelined commands are served as sent, but it does not say so itself).
    """

    def __init__(self, maildir: Path | None = None, refuse=(), busy_once=(), drop_after_data=(),
                 pipelining: bool = False):
        self.pipelining = pipelining
        self.messages: list[tuple[list[str], bytes]] = []
        self.maildir = mailbox.Maildir(maildir) if maildir else None
        self.refuse, self.busy_once, self.drop = set(refuse), set(busy_once), set(drop_after_data)
        self.tls_sessions = 0
        self.auth = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses[:-1] + ["250-PIPELINING"] + responses[-1:] if self.pipelining else responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if address in self.busy_once:
            self.busy_once.discard(address)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        if self.maildir is not None:
            self.maildir.add(envelope.content)
        if session.ssl is not None:
            self.tls_sessions += 1
        if set(envelope.rcpt_tos) & self.drop:
            self.drop -= set(envelope.rcpt_tos)
            server.transport.close()
            return None
        return "250 OK"

    def by_recipient(self) -> dict[str, list[email.message.EmailMessage]]:
        out: dict[str, list] = {}
        for rcpts, raw in self.messages:
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            for r in rcpts:
                out.setdefault(r, []).append(msg)
        return out


def start_sink(handler: Sink, **kwargs) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


def body_text(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), for the TLS tests."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def new_case(case_dir: Path, rows: list[dict] | None = None, case_toml: str | None = None):
    """Create an encrypted case holding ``rows`` as its persons table (and a case.toml)."""
    from fuite.store import open_case

    case = open_case(case_dir, access(), create=True)
    (case_dir / "case.toml").write_text(case_toml if case_toml is not None else FILLED_CASE, encoding="utf-8")
    case.put_table("persons", persons_table(rows))
    return case
