"""Three independent layouts of French patient records, written by the tests and the bench (not by ``fuite synth``).

A world of households is drawn with the standard library's ``random`` and Faker's French names
(nothing from ``fuite.synth``): insured adults, spouses (some covered under the insured NIR),
children (minors under a parent's NIR), twins, true homonyms, married names, compound surnames,
several first names, moves and phone changes, family emails and landlines. Each layout writes
that world in its own shape:

- ``mutuelle``: a comma-separated UTF-8 insurer extract (NIR of the insured + ``rang_beneficiaire``,
  ``nom_usage`` / ``nom_naissance``, the civil list of first names) and an SMS appointment list
  (a full name, a birth date, a mobile on some rows);
- ``hopital``: a ``;``-separated latin-1 hospital export (``QUALITE`` ASSURE/CONJOINT/ENFANT, NIR
  spaced, ``MARTIN épouse DURAND`` names, birth dates ``yyyymmdd``, sex ``1``/``2``, mojibake);
- ``english``: a tab-separated export with English headers, the NIR on a third of the rows, an
  old archive with the addresses and phones before a move, sparse rows (names and birth date).

``build(layout, folder, households, seed)`` writes the files and returns the truth:
``rows`` (file, table, row, person) and ``realities`` (person -> set of reality names).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from faker import Faker
from stdnum.fr import nir as stdnir

__all__ = ["LAYOUTS", "build", "World", "Person"]

LAYOUTS = ("mutuelle", "hopital", "english")

_TOWNS = (("Lyon", "69003"), ("Villeurbanne", "69100"), ("Grenoble", "38000"), ("Saint-Étienne", "42000"),
          ("Annecy", "74000"), ("Chambéry", "73000"), ("Valence", "26000"), ("Bourg-en-Bresse", "01000"),
          ("Vienne", "38200"), ("Roanne", "42300"), ("Clermont-Ferrand", "63000"), ("Mâcon", "71000"))
_DOMAINS = ("gmail.com", "orange.fr", "free.fr", "sfr.fr", "laposte.net", "hotmail.fr")
_NOTES = ("Sérologie VIH positive, traitement ARV", "Bilan lipidique", "Glycémie à jeun élevée", "NFS normale",
          "Test de grossesse positif", "Suivi hépatite C", "Dosage TSH", "Vitamine D basse", "", "", "")


@dataclass
class Person:
    key: int
    sex: str
    birth: dt.date
    first: str
    civil: list[str]
    last: str                      # usage name
    birth_name: str | None
    nir: str
    insured: int | None            # key of the insured person when covered as an ayant droit
    rank: int
    quality: str
    town: int
    street: str
    mobile: str | None
    landline: str | None
    email: str | None
    old_town: int | None = None
    old_mobile: str | None = None
    realities: set = field(default_factory=set)


@dataclass
class World:
    persons: list[Person]

    def by_key(self, key: int) -> Person:
        return self.persons[key]


def _nir(rng: random.Random, sex: str, birth: dt.date, used: set) -> str:
    while True:
        body = (f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}{rng.randint(1, 95):02d}"
                f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}")
        if body[5:7] in ("20", "96", "97", "98", "99"):
            continue
        value = body + stdnir.calc_check_digits(body)
        if value not in used:
            used.add(value)
            return value


def _phone(rng: random.Random, prefix: str, used: set) -> str:
    while True:
        value = prefix + "".join(str(rng.randint(0, 9)) for _ in range(8))
        if value not in used:
            used.add(value)
            return value


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _given(fake: Faker, rng: random.Random, sex: str) -> tuple[str, list[str]]:
    draw = fake.first_name_male if sex == "M" else fake.first_name_female
    usual = draw()
    civil = [usual]
    if rng.random() < 0.3:
        civil += [n for n in {draw() for _ in range(rng.randint(1, 2))} if n != usual]
    return usual, civil


def make_world(households: int, seed: int) -> World:
    """Households of 1-5 persons and the realities listed in the module docstring."""
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    nirs, phones = set(), set()
    persons: list[Person] = []

    def add(sex, birth, last, birth_name, town, street, landline, email, insured, rank, quality):
        first, civil = _given(fake, rng, sex)
        mobile = _phone(rng, rng.choice(("06", "07")), phones) if birth.year < 2008 else None
        p = Person(len(persons), sex, birth, first, civil, last, birth_name, _nir(rng, sex, birth, nirs),
                   insured, rank, quality, town, street, mobile, landline, email)
        if len(civil) > 1:
            p.realities.add("several_first_names")
        persons.append(p)
        return p

    for _ in range(households):
        sex = rng.choice("MF")
        birth = _day(rng, dt.date(1945, 1, 1), dt.date(1998, 12, 31))
        last = fake.last_name()
        if rng.random() < 0.04:
            last = f"{last}-{fake.last_name()}"
        town, street = rng.randrange(len(_TOWNS)), fake.street_address()
        landline = _phone(rng, "04", phones) if rng.random() < 0.5 else None
        family = rng.random() < 0.3
        email = f"famille.{_ascii(last)}@{rng.choice(_DOMAINS)}" if family else None
        head_email = email or f"{_ascii(last)}.{rng.randint(1, 999)}@{rng.choice(_DOMAINS)}"
        head = add(sex, birth, last, None, town, street, landline, head_email, None, 1, "ASSURE")
        members = [head]
        if rng.random() < 0.55:
            spouse_sex = "F" if sex == "M" else "M"
            sb = min(birth + dt.timedelta(days=rng.randint(-2500, 2500)), dt.date(2000, 1, 1))
            married = spouse_sex == "F" and rng.random() < 0.8
            own_last = fake.last_name()
            covered = rng.random() < 0.3
            spouse = add(spouse_sex, sb, last if married else own_last, own_last if married else None, town,
                         street, landline, email or f"{_ascii(own_last)}{rng.randint(1, 99)}@{rng.choice(_DOMAINS)}",
                         head.key if covered else None, 2 if covered else 1, "CONJOINT" if covered else "ASSURE")
            if married:
                spouse.realities.add("married_name")
            if covered:
                spouse.realities.add("ayant_droit")
            members.append(spouse)
        kids = rng.choice((0, 0, 1, 2, 2, 3))
        previous = None
        for k in range(kids):
            kb = birth + dt.timedelta(days=rng.randint(22 * 365, 40 * 365))
            if kb > dt.date(2021, 6, 1):
                kb = _day(rng, dt.date(2004, 1, 1), dt.date(2021, 6, 1))
            twin = previous is not None and rng.random() < 0.08
            if twin:
                kb = previous.birth
            minor = kb >= dt.date(2003, 6, 1)
            child = add(rng.choice("MF"), kb, last, None, town, street, landline, email if not minor else None,
                        head.key if minor else None, 3 + k if minor else 1, "ENFANT" if minor else "ASSURE")
            if twin:
                while child.first == previous.first:
                    child.first, child.civil = _given(fake, rng, child.sex)
                child.realities.add("twin")
                previous.realities.add("twin")
            if minor:
                child.realities |= {"ayant_droit", "minor"}
            members.append(child)
            previous = child
        if len(members) > 1:
            for m in members:
                m.realities.add("household")
    for p in persons:
        if "-" in p.last:
            p.realities.add("compound_surname")
        if rng.random() < 0.08:
            p.old_town, p.old_mobile = rng.randrange(len(_TOWNS)), _phone(rng, "06", phones)
            p.realities.add("moved")
    adults = [p for p in persons if p.insured is None and "twin" not in p.realities and not p.birth_name]
    count = max(2, len(adults) // 120)
    for a, b in zip(rng.sample(adults, count), rng.sample(adults, count)):
        if a.key != b.key and a.town != b.town:
            b.first, b.civil, b.last, b.birth, b.sex = a.first, list(a.civil), a.last, a.birth, a.sex
            b.nir = _nir(rng, b.sex, b.birth, nirs)
            a.realities.add("homonym")
            b.realities.add("homonym")
    return World(persons)


def _ascii(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if c.isalpha() and c.isascii())


# ------------------------------------------------------------------ row-level damage

def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return rng.choice((word[:i] + word[i + 1:], word[:i] + word[i + 1] + word[i] + word[i + 2:],
                       word[:i] + "e" + word[i + 1:]))


def _date(rng: random.Random, p: Person, realities: set) -> dt.date | None:
    u = rng.random()
    if u < 0.03:
        return None
    if u < 0.04 and p.birth.day <= 12 and p.birth.day != p.birth.month:
        realities.add("birth_date_error")
        return p.birth.replace(month=p.birth.day, day=p.birth.month)
    if u < 0.05:
        realities.add("birth_date_error")
        return p.birth.replace(day=p.birth.day + 1 if p.birth.day < 28 else p.birth.day - 1)
    return p.birth


def _surname(rng: random.Random, p: Person, forms: bool) -> str:
    if p.birth_name and forms:
        return rng.choice((p.last, p.birth_name, f"{p.birth_name} épouse {p.last}", f"{p.last} née {p.birth_name}",
                           f"{p.last}-{p.birth_name}"))
    if p.birth_name:
        return rng.choice((p.last, p.last, p.birth_name))
    if "-" in p.last and rng.random() < 0.4:
        return rng.choice((p.last.replace("-", " "), p.last.split("-")[0]))
    return p.last


def _first(rng: random.Random, p: Person) -> str:
    return " ".join(p.civil) if len(p.civil) > 1 and rng.random() < 0.4 else p.first


def _nir_written(rng: random.Random, world: World, p: Person, declared: bool) -> str:
    """The insured NIR for an ayant droit (always when the file declares a rank or quality)."""
    if p.insured is not None and (declared or p.quality != "ENFANT" or rng.random() < 0.6):
        return world.by_key(p.insured).nir
    return p.nir


# ------------------------------------------------------------------ layouts

def _rows_per_person(rng: random.Random, world: World) -> list[Person]:
    chosen = []
    for p in world.persons:
        chosen += [p] * rng.choice((1, 1, 2, 2, 3))
    rng.shuffle(chosen)
    return chosen


def _write(path: Path, header: list[str], rows: list[list], *, delimiter: str, encoding: str) -> None:
    with open(path, "w", newline="", encoding=encoding, errors="replace") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def _mutuelle(world: World, folder: Path, rng: random.Random, truth: list) -> None:
    header = ["num_assure", "rang_beneficiaire", "nom_usage", "nom_naissance", "prenoms", "date_naissance", "sexe",
              "code_postal", "commune", "telephone", "courriel", "acte"]
    rows = []
    for p in _rows_per_person(rng, world):
        real: set = set()
        birth = _date(rng, p, real)
        town = _TOWNS[p.town]
        last = _surname(rng, p, forms=False)
        if rng.random() < 0.02:
            last = _typo(rng, last)
        rows.append([_nir_written(rng, world, p, True), f"{p.rank:02d}", last.upper(),
                     (p.birth_name or "").upper(), " ".join(p.civil) if rng.random() < 0.7 else p.first,
                     birth.strftime("%d/%m/%Y") if birth else "", p.sex, town[1], town[0],
                     p.mobile or p.landline or "", p.email or "", rng.choice(_NOTES)])
        truth.append(("mutuelle.csv", "", len(rows) - 1, p.key))
    _write(folder / "mutuelle.csv", header, rows, delimiter=",", encoding="utf-8")
    sms = []
    for p in world.persons:
        if rng.random() < 0.35:
            guardian = world.by_key(p.insured) if p.insured is not None else p
            phone = p.mobile or guardian.mobile or ""
            sms.append([f"{_surname(rng, p, False).upper()} {p.first}", p.birth.strftime("%d/%m/%Y"),
                        phone if rng.random() < 0.5 else ""])
            truth.append(("rdv_sms.csv", "", len(sms) - 1, p.key))
            p.realities.add("sparse")
    _write(folder / "rdv_sms.csv", ["patient", "ddn", "portable"], sms, delimiter=",", encoding="utf-8")


def _mojibake(text: str) -> str:
    try:
        return text.encode("utf-8").decode("cp1252").encode("latin-1").decode("latin-1")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return text


def _hopital(world: World, folder: Path, rng: random.Random, truth: list) -> None:
    header = ["IPP", "NOM", "PRENOM", "NE_LE", "SEXE", "NIR", "QUALITE", "ADRESSE", "CP", "VILLE", "TEL", "MAIL",
              "DIAGNOSTIC"]
    rows = []
    for p in _rows_per_person(rng, world):
        real: set = set()
        birth = _date(rng, p, real)
        nir = _nir_written(rng, world, p, True)
        last = _surname(rng, p, forms=True)
        if rng.random() < 0.01:
            last = _mojibake(last)
        first = _first(rng, p)
        if rng.random() < 0.02:
            first = _typo(rng, first)
        town = _TOWNS[p.town]
        rows.append([str(100000 + len(rows)), last.upper(), first, birth.strftime("%Y%m%d") if birth else "",
                     "1" if p.sex == "M" else "2",
                     " ".join((nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:])),
                     p.quality, p.street, town[1], town[0].upper(), p.landline or p.mobile or "",
                     p.email or "", rng.choice(_NOTES)])
        truth.append(("hopital.csv", "", len(rows) - 1, p.key))
    with open(folder / "hopital.csv", "w", newline="", encoding="latin-1", errors="replace") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)


def _english(world: World, folder: Path, rng: random.Random, truth: list) -> None:
    header = ["last_name", "first_name", "dob", "gender", "ssn", "phone", "email", "zip", "city", "result"]
    for name, old in (("export_2021.tsv", False), ("archive_2016.tsv", True)):
        rows = []
        for p in _rows_per_person(rng, world):
            if old and rng.random() < 0.5:
                continue
            real: set = set()
            sparse = rng.random() < 0.1
            birth = _date(rng, p, real)
            town = _TOWNS[p.old_town if old and p.old_town is not None else p.town]
            phone = p.old_mobile if old and p.old_mobile else (p.mobile or p.landline or "")
            nir = _nir_written(rng, world, p, False) if rng.random() < 0.35 else ""
            last = _surname(rng, p, forms=False)
            if rng.random() < 0.02:
                last = _typo(rng, last)
            if sparse:
                p.realities.add("sparse")
                rows.append([last, p.first, birth.isoformat() if birth else p.birth.isoformat(), "", "", "", "",
                             "", "", ""])
            else:
                rows.append([last, _first(rng, p), birth.isoformat() if birth else "", p.sex.lower(), nir, phone,
                             p.email or "", town[1], town[0], rng.choice(_NOTES)])
            truth.append((name, "", len(rows) - 1, p.key))
        _write(folder / name, header, rows, delimiter="\t", encoding="utf-8")


_WRITERS = {"mutuelle": _mutuelle, "hopital": _hopital, "english": _english}


def build(layout: str, folder: Path, households: int, seed: int = 1) -> dict:
    """Write ``layout`` for a world of ``households`` into ``folder``; return its truth."""
    world = make_world(households, seed)
    folder.mkdir(parents=True, exist_ok=True)
    truth: list = []
    _WRITERS[layout](world, folder, random.Random(seed * 31 + LAYOUTS.index(layout)), truth)
    return {"rows": truth, "realities": {p.key: set(p.realities) or {"plain"} for p in world.persons},
            "world": world}
