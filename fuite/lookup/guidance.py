"""The breach summary stored in the index and shown with a self-check answer (no identifiers).

It says which categories of data the breach exposed (from the ``persons`` table, aggregated), what a
person should watch for (advice chosen from those categories), and whom to contact (from the typed case
file, :mod:`fuite.store.casefile`). Everything a person reads is in French with an English twin.

Case-file keys read (all optional)::

    [breach]      name, title, domain, date or started_at or discovered_at, description_fr, description_en
    [controller]  name, email, phone, website, address
    [dpo]         name, email, phone
    [contact]     email, phone, url   (where persons get help)
    [[controllers]]  each controller's name, address, DPO and contact (a case of several controllers)

In a case of several controllers, ``controllers`` lists each one with its own contacts, and each person's
sealed answer says which of them hold that person's records (codes ``controller:<id>``, see ``controller_codes``).
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from fuite import taxonomy
from fuite.store.casefile import CaseFile, parse_case_file
from fuite.text.fold import fold

__all__ = ["breach_summary", "advice_for", "controller_codes", "ADVICE", "CONTROLLER_PREFIX"]

#: The exposure code of a controller in an index: ``controller:<id>``.
CONTROLLER_PREFIX = "controller:"

#: (trigger categories or conditions, French, English). Shown when any trigger was exposed.
ADVICE: tuple[tuple[frozenset[str], str, str], ...] = (
    (frozenset({"email", "phone"}),
     "Méfiez-vous des courriels, SMS et appels qui se réclament de votre laboratoire, de l'Assurance maladie ou "
     "de votre mutuelle : ne cliquez sur aucun lien, ne donnez jamais de mot de passe ni de coordonnées bancaires.",
     "Beware of emails, text messages and calls claiming to come from your laboratory, the health insurance "
     "(Assurance maladie) or your insurer: click no link, never give a password or bank details."),
    (frozenset({"nir", "insurer_id", "birth_date"}),
     "Votre numéro de sécurité sociale peut servir à usurper votre identité : surveillez vos remboursements sur "
     "votre compte ameli et signalez toute opération inconnue à votre caisse.",
     "Your social security number can be used for identity theft: check the reimbursements on your ameli account "
     "and report any unknown transaction to your health insurance fund."),
    (frozenset({"health_note", "medication", "blood_group", "sample_date", "hiv", "pregnancy", "cancer",
                "hepatitis", "mental_health", "addiction"}),
     "Des informations sur votre santé ont été exposées. Si quelqu'un vous contacte en évoquant votre santé pour "
     "vous demander de l'argent, ne payez pas, conservez les messages et portez plainte.",
     "Information about your health was exposed. If anyone contacts you about your health to ask for money, "
     "do not pay, keep the messages and report it to the police."),
    (frozenset({"street_address", "full_address", "postal_code", "city"}),
     "Votre adresse postale a été exposée : méfiez-vous des courriers et visites imprévus se réclamant de votre "
     "laboratoire ou d'un organisme de santé.",
     "Your postal address was exposed: be wary of unexpected letters or visits claiming to come from your "
     "laboratory or a health body."),
)

_GENERAL = (
    "Pour être aidé face à une tentative d'escroquerie : cybermalveillance.gouv.fr. Pour faire valoir vos droits "
    "sur vos données : le responsable du traitement ci-dessous, puis la CNIL (www.cnil.fr).",
    "For help with a scam attempt: cybermalveillance.gouv.fr. To exercise your rights over your data: the "
    "controller below, then the CNIL (www.cnil.fr).",
)


def advice_for(exposed: set[str]) -> list[dict]:
    """Advice (``{"fr", "en", "when"}``) relevant to the exposed categories and conditions, general advice last.

    ``when`` lists the categories and conditions that make an item relevant (empty: always), so that a client
    can keep, for one person, the items that concern their own exposure.
    """
    chosen = [{"fr": fr, "en": en, "when": sorted(triggers)} for triggers, fr, en in ADVICE if triggers & exposed]
    return chosen + [{"fr": _GENERAL[0], "en": _GENERAL[1], "when": []}]


def _union(persons: pa.Table, column: str) -> set[str]:
    if column not in persons.column_names:
        return set()
    values = pc.unique(persons[column].drop_null()).to_pylist()
    return {part.strip() for v in values for part in v.split(";") if part.strip()}


def _contact(section, role_fr: str, role_en: str) -> dict | None:
    values = {"name": section.name, "email": section.email, "phone": section.phone,
              "website": getattr(section, "website", "") or getattr(section, "url", ""),
              "address": getattr(section, "address", "")}
    fields = {k: v for k, v in values.items() if v}
    return {"role": {"fr": role_fr, "en": role_en}, **fields} if fields else None


def _controllers(case_file: CaseFile) -> list[dict]:
    """``[{id, name, contacts}]`` for a case of several controllers, each with its own contacts; else empty."""
    if not case_file.many:
        return []
    listed = []
    for c in case_file.controllers:
        view = case_file.view(c)
        contacts = [x for x in (_contact(view.controller, "Responsable du traitement", "Data controller"),
                                _contact(view.dpo, "Délégué à la protection des données", "Data protection officer"),
                                _contact(view.contact, "Pour vous aider", "Where to get help")) if x]
        listed.append({"id": c.id, "name": view.controller.name or c.id, "contacts": contacts})
    return listed


def controller_codes(summary: dict) -> list[dict]:
    """The exposure codes of the summary's controllers (``{id: "controller:<id>", fr, en, controller: True}``)."""
    return [{"id": CONTROLLER_PREFIX + c["id"], "fr": c["name"], "en": c["name"], "condition": False,
             "controller": True} for c in summary.get("controllers", [])]


def _date(breach, now: str) -> str:
    for value in (breach.occurred_on, breach.started_at, breach.discovered_at):
        if value:
            return value.isoformat()[:10]
    return now[:10]


def _name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", fold(text).title()) or "Breach"


def _without_birth_date(persons: pa.Table) -> int:
    if "birth_date" not in persons.column_names:
        return persons.num_rows
    dates = pc.utf8_trim_whitespace(persons["birth_date"].fill_null(""))
    return int(pc.sum(pc.equal(dates, "")).as_py() or 0)


def breach_summary(persons: pa.Table, settings: CaseFile | dict, now: str) -> dict:
    """The public summary of the breach: categories, conditions, counts, advice, contacts.

    ``settings``: the typed case file (``Case.settings``), or a parsed ``case.toml`` dict.
    """
    case_file = settings if isinstance(settings, CaseFile) else parse_case_file(settings)
    breach = case_file.breach
    ids = _union(persons, "categories")
    conditions = _union(persons, "conditions")
    categories = [{"id": c.id, "fr": c.fr, "en": c.en} for c in taxonomy.CATEGORIES if c.id in ids]
    special = [{"id": k, "fr": fr, "en": en} for k, (fr, en) in taxonomy.SPECIAL_CONDITIONS.items() if k in conditions]
    contacts = [c for c in (_contact(case_file.contact, "Pour vous aider", "Where to get help"),
                            _contact(case_file.controller, "Responsable du traitement", "Data controller"),
                            _contact(case_file.dpo, "Délégué à la protection des données",
                                     "Data protection officer")) if c]
    controllers = _controllers(case_file)
    title = breach.title or "Fuite de données de laboratoires"
    return {
        "name": breach.name or _name(title),
        "title": title,
        "domain": breach.domain,
        "breach_date": _date(breach, now),
        "added_date": now,
        "pwn_count": persons.num_rows,
        "persons_without_birth_date": _without_birth_date(persons),
        "description": {
            "fr": str(breach.description_fr or "Des données de patients de laboratoires d'analyses ont été "
                      "divulguées."),
            "en": str(breach.description_en or "Patient data from medical laboratories was leaked."),
        },
        "categories": categories,
        "conditions": special,
        "advice": advice_for(ids | conditions),
        "contacts": contacts,
        "controllers": controllers,
    }
