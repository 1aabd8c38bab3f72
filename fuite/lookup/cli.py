"""Commands of fuite.lookup (registered by fuite.cli): ``lookup build``, ``lookup rotate-key``, ``check``."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import typer

from fuite import console
from fuite.errors import UsageError
from fuite.readable import format_count, format_duration

lookup_app = typer.Typer(help="Build the private self-check index and manage its key.", no_args_is_help=True)


def build_from_case(case_dir: Path, out: Path, key, operator: str | None, workers: int | None,
                    bucket_bits: int | None, *, make_key=None, with_conditions: bool = False):
    """Open the case, build the index at ``out`` (the lookup stage); ``make_key()`` is called only once the case is
    known to have persons, so a refused build leaves no key file behind. Returns (stats, key)."""
    from fuite.lookup.stage import build_index_for_case, require_persons
    from fuite.store import open_case
    from fuite.store.edge import case_access

    with open_case(case_dir, case_access(case_dir), operator=operator, require_operator=True) as case:
        require_persons(case)
        key = key or make_key()
        with console.tracker() as bars:
            return build_index_for_case(case, out, key, workers, bucket_bits, with_conditions, bars), key


def _report(stats, out: Path, key_id: str, seconds: float) -> None:
    n = format_count
    console.out.print(f"index {console.shown(out)}: {n(stats.inputs)} inputs from {n(stats.persons)} persons "
                      f"(email {n(stats.by_kind['email'])}, phone {n(stats.by_kind['phone'])}, "
                      f"nir {n(stats.by_kind['nir'])}), key_id {key_id}, {format_duration(seconds)}")
    if stats.skipped_no_birth_date:
        console.err.print(f"skipped: {n(stats.skipped_no_birth_date)} persons without a birth date (not indexed: the "
                          "page tells them to ask the controller; notify them by letter or email)")
    if stats.shared_inputs:
        console.err.print(f"shared: {n(stats.shared_inputs)} inputs belong to several persons (their answer lists "
                          "the union of categories and only the conditions common to all)")


@lookup_app.command("build")
def build_command(
    case: Path = typer.Option(..., "--case", help="Case folder."),
    out: Path = typer.Option(..., "--out", help="Index file to write (holds no identifier)."),
    key_file: Path = typer.Option(None, "--key-file", help="Lookup key file, outside the case; created if absent "
                                                           "(else FUITE_LOOKUP_KEY or FUITE_LOOKUP_KEY_FILE)."),
    operator: str = typer.Option(None, "--operator", help="Operator name for the audit log."),
    workers: int = typer.Option(None, "--workers", help="Processes evaluating the OPRF (default: all cores)."),
    bucket_bits: int = typer.Option(None, "--bucket-bits", help="Force bucket_bits (multiple of 4)."),
    with_conditions: bool = typer.Option(False, "--with-conditions",
                                         help="Tell each person their own affirmed conditions (HIV, pregnancy…) "
                                              "in their sealed answer; without it, only data categories."),
) -> None:
    """Build the self-check index from the case's persons."""
    from fuite.lookup.keys import load_key

    if bucket_bits is not None and (bucket_bits % 4 or not 4 <= bucket_bits <= 32):
        raise UsageError("--bucket-bits must be a multiple of 4 between 4 and 32")
    start = time.perf_counter()
    stats, key = build_from_case(case, out, None, operator, workers, bucket_bits,
                                 make_key=lambda: load_key(key_file, create=True, case_dir=case),
                                 with_conditions=with_conditions)
    _report(stats, out, key.key_id, time.perf_counter() - start)


@lookup_app.command("rotate-key")
def rotate_key_command(
    key_file: Path = typer.Option(..., "--key-file", help="Lookup key file to replace (outside the case)."),
    case: Path = typer.Option(..., "--case", help="Case folder to rebuild the index from."),
    out: Path = typer.Option(..., "--out", help="Index file to rebuild."),
    operator: str = typer.Option(None, "--operator", help="Operator name for the audit log."),
    workers: int = typer.Option(None, "--workers", help="Processes evaluating the OPRF (default: all cores)."),
    with_conditions: bool = typer.Option(False, "--with-conditions",
                                         help="As for `lookup build`: tell each person their own conditions."),
) -> None:
    """Make a new lookup key and rebuild the index with it (restart `fuite serve` afterwards)."""
    from fuite.lookup.keys import ENV_KEY, new_key, write_key_file

    if os.environ.get(ENV_KEY):
        raise UsageError(f"{ENV_KEY} is set: rotate the key where that variable is defined")
    key = new_key()
    staged = out.with_name(out.name + ".rotating")
    start = time.perf_counter()
    stats, _ = build_from_case(case, staged, key, operator, workers, None, with_conditions=with_conditions)
    write_key_file(key_file, key, case)
    os.replace(staged, out)
    _report(stats, out, key.key_id, time.perf_counter() - start)


_TEXT = {
    "fr": {
        True: "TROUVÉ : cet identifiant, avec cette date de naissance, figure dans la fuite.",
        False: "Non trouvé : cet identifiant, avec cette date de naissance, ne figure pas dans les données de la "
               "fuite que nous avons analysées.",
        "no-proof": "Ce n'est pas une preuve que vous n'êtes pas concerné : vos données peuvent y figurer sous une "
                    "autre adresse ou un autre numéro, ou sans date de naissance (cette vérification ne peut alors "
                    "pas vous trouver). Vérifiez vos autres identifiants, ou posez la question au responsable du "
                    "traitement (contacts ci-dessous).",
        "yours": "Vos données exposées :",
        "no-conditions": "Le responsable du traitement ne communique pas ici les pathologies : demandez-lui le "
                         "détail des informations de santé vous concernant.",
        "shared": "Cet identifiant, avec cette date de naissance, correspond à plusieurs personnes dans la fuite : "
                  "la liste réunit leurs données, sans les pathologies qui ne leur sont pas communes. Pour le "
                  "détail, contactez le responsable du traitement.",
        "breach-wide": "Données exposées dans l'ensemble de la fuite (pas forcément les vôtres) :",
        "advice": "Que faire :", "contacts": "Qui contacter :", "colon": " : ",
        "held-by": "Vos données étaient détenues par :",
        "controllers": "Les responsables du traitement concernés par cette fuite :",
    },
    "en": {
        True: "FOUND: this identifier, with this birth date, is in the breach.",
        False: "Not found: this identifier, with this birth date, is not in the breach data we analysed.",
        "no-proof": "This is no proof that you are not affected: your data may be there under another address or "
                    "number, or without a birth date (this check cannot find you then). Check your other "
                    "identifiers, or ask the data controller (contacts below).",
        "yours": "Your data that was exposed:",
        "no-conditions": "The data controller does not list medical conditions here: ask them for the details of "
                         "the health information about you.",
        "shared": "This identifier, with this birth date, matches several persons in the breach: the list combines "
                  "their data, without the conditions they do not all share. For the details, contact the data "
                  "controller.",
        "breach-wide": "Data exposed across the whole breach (not necessarily yours):",
        "advice": "What to do:", "contacts": "Whom to contact:", "colon": ": ",
        "held-by": "Your data was held by:",
        "controllers": "The data controllers concerned by this breach:",
    },
}
_HEALTH = {"health_note", "medication", "blood_group", "sample_date", "lab_name", "lab_id"}


def _personal_advice(guidance: dict, ids: set[str]) -> list[dict]:
    return [a for a in guidance.get("advice", []) if not a.get("when") or set(a["when"]) & ids]


def _print_answer(result, lang: str) -> None:
    """This person's answer, then the breach-wide list (labelled as such), their advice and the contacts.

    Everything from the server is escaped: it is text from another machine."""
    text, guidance, say, shown = _TEXT[lang], result.guidance, console.out.print, console.shown
    say(text[result.member])
    ids = {c["id"] for c in result.exposed}
    if result.member:
        say(text["yours"] + " " + ", ".join(shown(c[lang]) for c in result.exposed))
        if not result.conditions and ids & _HEALTH:
            say(text["no-conditions"])
        if result.shared:
            say(text["shared"])
    else:
        say(text["no-proof"])
    items = guidance.get("categories", []) + guidance.get("conditions", [])
    if items:
        say(text["breach-wide"] + " " + ", ".join(shown(c[lang]) for c in items))
    say(text["advice"])
    for advice in _personal_advice(guidance, ids):
        say(f"  - {shown(advice[lang])}")
    if guidance.get("contacts"):
        say(text["contacts"])
        _print_contacts(guidance["contacts"], lang, "  ")
    # A case of several controllers: the ones holding this person's records, or every one when the answer
    # does not say (not found, or too many controllers for the sealed answer).
    held = result.controllers or guidance.get("controllers", [])
    if held:
        say(text["held-by" if result.controllers else "controllers"])
        for c in held:
            say(f"  - {shown(c['name'])}")
            _print_contacts(c.get("contacts", []), lang, "      ")


def _print_contacts(contacts: list[dict], lang: str, indent: str) -> None:
    text, say, shown = _TEXT[lang], console.out.print, console.shown
    for c in contacts:
        details = ", ".join(shown(c[k]) for k in ("name", "address", "email", "phone", "website") if c.get(k))
        say(f"{indent}- {shown(c['role'][lang])}{text['colon']}{details}")


def check_command(
    server: str = typer.Option(..., "--server", help="Base URL of the self-check service."),
    email: str = typer.Option(None, "--email", help="Email address to check."),
    phone: str = typer.Option(None, "--phone", help="Phone number to check."),
    nir: str = typer.Option(None, "--nir", help="Social security number (NIR) to check."),
    birth_date: str = typer.Option(..., "--birth-date", help="Birth date, YYYY-MM-DD or DD/MM/YYYY."),
    lang: str = typer.Option("fr", "--lang", help="fr or en."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer (member, key_id, exposed, shared, "
                                                       "conditions, guidance) as JSON."),
) -> None:
    """Check privately whether you are in the breach (the server never sees what you type). Exit 0 either way."""
    from fuite.lookup.client import check

    given = [(k, v) for k, v in (("email", email), ("phone", phone), ("nir", nir)) if v]
    if len(given) != 1:
        raise UsageError("give exactly one of --email, --phone, --nir")
    if lang not in _TEXT:
        raise UsageError("--lang must be fr or en")
    kind, value = given[0]
    result = check(server, kind, value, birth_date)
    if as_json:
        console.print_json(dataclasses.asdict(result))
        return
    _print_answer(result, lang)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the fuite app."""
    app.add_typer(lookup_app, name="lookup")
    app.command("check")(check_command)
