"""Value pools the drill draws from: names, streets, towns, labs, doctors, insurers.

Faker's fr_FR data is read once to build pools; nothing here is called per cell.
Towns are real communes of north-west France with their main postcode; labs,
doctors and insurer member numbers are invented.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker
from faker.providers.person import fr_CA, fr_CH, fr_FR
from stdnum import luhn

__all__ = ["Pools", "build_pools", "TOWNS", "INSURERS", "EMAIL_DOMAINS"]

#: Breton and Norman surnames, frequent in the region the 2021 labs served.
REGIONAL_LAST_NAMES = (
    "Le Goff", "Le Gall", "Le Bihan", "Tanguy", "Guillou", "Le Roux", "Kerbrat", "Quéré", "Le Corre", "Jaouen",
    "Morvan", "Le Floch", "Hamon", "Riou", "Le Meur", "Cadiou", "Le Bras", "Le Guen", "Le Berre", "Le Moal",
    "Le Page", "Le Borgne", "Le Gac", "Le Bris", "L'Hostis", "Le Hir", "Kerjean", "Le Dantec", "Guéguen", "Le Coz",
    "Prigent", "Le Duff", "Salaün", "Nédélec", "Le Gléau", "Quéméner", "Le Bourhis", "Cornec", "Le Lay", "Bihan",
    "Lemaître", "Leprévost", "Lecœur", "Lebrun", "Hébert", "Lecomte", "Lemonnier", "Delafosse", "Le Cœur",
    "D'Almeida", "De La Fontaine", "Saint-Pierre", "Duchêne", "Lefèvre", "Génin", "Ménard", "Thébault", "Pétard",
)

#: (town, postcode, INSEE department) of north-west France.
TOWNS = (
    ("Rennes", "35000", "35"), ("Saint-Malo", "35400", "35"), ("Fougères", "35300", "35"), ("Vitré", "35500", "35"),
    ("Redon", "35600", "35"), ("Cesson-Sévigné", "35510", "35"), ("Bruz", "35170", "35"), ("Dinard", "35800", "35"),
    ("Brest", "29200", "29"), ("Quimper", "29000", "29"), ("Morlaix", "29600", "29"), ("Concarneau", "29900", "29"),
    ("Landerneau", "29800", "29"), ("Douarnenez", "29100", "29"), ("Quimperlé", "29300", "29"),
    ("Plougastel-Daoulas", "29470", "29"), ("Saint-Brieuc", "22000", "22"), ("Lannion", "22300", "22"),
    ("Dinan", "22100", "22"), ("Guingamp", "22200", "22"), ("Lamballe-Armor", "22400", "22"),
    ("Pléneuf-Val-André", "22370", "22"), ("Paimpol", "22500", "22"), ("Vannes", "56000", "56"),
    ("Lorient", "56100", "56"), ("Pontivy", "56300", "56"), ("Plœmeur", "56270", "56"), ("Auray", "56400", "56"),
    ("Lanester", "56600", "56"), ("Ploërmel", "56800", "56"), ("Hennebont", "56700", "56"),
    ("Nantes", "44000", "44"), ("Saint-Nazaire", "44600", "44"), ("Rezé", "44400", "44"),
    ("Saint-Herblain", "44800", "44"), ("Guérande", "44350", "44"), ("Châteaubriant", "44110", "44"),
    ("Angers", "49000", "49"), ("Cholet", "49300", "49"), ("Saumur", "49400", "49"), ("Le Mans", "72000", "72"),
    ("La Flèche", "72200", "72"), ("Laval", "53000", "53"), ("Mayenne", "53100", "53"),
    ("Château-Gontier-sur-Mayenne", "53200", "53"), ("La Roche-sur-Yon", "85000", "85"),
    ("Les Sables-d'Olonne", "85100", "85"), ("Caen", "14000", "14"), ("Lisieux", "14100", "14"),
    ("Bayeux", "14400", "14"), ("Hérouville-Saint-Clair", "14200", "14"), ("Cherbourg-en-Cotentin", "50100", "50"),
    ("Saint-Lô", "50000", "50"), ("Granville", "50400", "50"), ("Avranches", "50300", "50"),
    ("Coutances", "50200", "50"), ("Alençon", "61000", "61"), ("Flers", "61100", "61"), ("Argentan", "61200", "61"),
    ("Évreux", "27000", "27"), ("Vernon", "27200", "27"), ("Louviers", "27400", "27"), ("Rouen", "76000", "76"),
    ("Le Havre", "76600", "76"), ("Dieppe", "76200", "76"), ("Fécamp", "76400", "76"),
    ("Sotteville-lès-Rouen", "76300", "76"), ("Elbeuf", "76500", "76"),
)

#: Birth departments for NIRs: mostly the region, some elsewhere, Corsica and abroad (99).
BIRTH_DEPTS = (
    ("35", 12), ("29", 12), ("22", 8), ("56", 9), ("44", 10), ("49", 6), ("72", 4), ("53", 3), ("85", 4),
    ("14", 5), ("50", 4), ("61", 2), ("27", 3), ("76", 6), ("75", 4), ("92", 1), ("69", 1), ("13", 1),
    ("59", 1), ("33", 1), ("2A", 0.6), ("2B", 0.6), ("99", 3),
)

#: French complementary insurers (mutuelles) as they are written, and the shape of their member numbers.
INSURERS = (
    ("MGEN", "MGEN", "digits9"), ("Harmonie Mutuelle", "HARMONIE MUT.", "digits10"),
    ("Malakoff Humanis", "MALAKOFF HUM.", "alpha2digits8"), ("AG2R La Mondiale", "AG2R", "digits10"),
    ("MAAF Santé", "MAAF", "digits9"), ("Groupama Loire Bretagne", "GROUPAMA", "digits11"),
    ("Apivia Mutuelle", "APIVIA", "digits8"), ("Mutuelle Générale", "MUT. GENERALE", "digits9"),
    ("Macif Mutualité", "MACIF", "alpha1digits9"), ("Ociane Matmut", "OCIANE", "digits8"),
    ("Klésia Mut'", "KLESIA", "digits10"), ("Crédit Agricole Assurances", "CA ASSUR.", "digits11"),
    ("Mutuelle Just", "JUST", "digits8"), ("Mutuelle des Pays de Vilaine", "MPV", "digits7"),
    ("Choisir Mutuelle Bretagne", "CHOISIR", "digits8"), ("CMU-C / CSS", "CSS", "digits9"),
)

EMAIL_DOMAINS = (
    ("gmail.com", 30), ("orange.fr", 18), ("wanadoo.fr", 9), ("free.fr", 8), ("sfr.fr", 5), ("laposte.net", 6),
    ("hotmail.fr", 9), ("yahoo.fr", 5), ("outlook.fr", 4), ("bbox.fr", 2), ("icloud.com", 2), ("neuf.fr", 1),
)

_LAB_GROUPS = (
    "Bio Armor", "Océalab", "Biolam Ouest", "Labo Iroise", "Biogolfe", "Estuaire Biologie", "Bio Normandie",
    "Labo de la Rance", "Bio Vilaine", "Anjou Biologie", "Sarthe Analyses", "Bio Bocage", "Littoral Biologie",
    "Cotentin Bio", "Seine Biologie",
)

#: Abbreviated lab names some files use.
_LAB_KINDS = ("LBM", "Laboratoire", "Laboratoire de biologie médicale", "Labo")


@dataclass(frozen=True)
class Pools:
    """Everything the generator samples from (numpy object arrays for fast gathers)."""

    last_names: np.ndarray
    first_names_male: np.ndarray
    first_names_female: np.ndarray
    compound_male: np.ndarray     # Jean-Pierre, Marie-Claire… (drawn for a few percent of persons)
    compound_female: np.ndarray
    streets: np.ndarray
    towns: np.ndarray          # town names
    postcodes: np.ndarray
    town_depts: np.ndarray
    birth_depts: np.ndarray
    birth_dept_weights: np.ndarray
    lab_names: np.ndarray
    lab_finess: np.ndarray
    lab_towns: np.ndarray      # index into towns
    doctor_first: np.ndarray
    doctor_last: np.ndarray
    doctor_rpps: np.ndarray
    doctor_lab: np.ndarray     # lab each doctor mostly sends to


def _unique(values) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        seen.setdefault(v, None)
    return list(seen)


def _compound_first_names(names: list[str], rng: np.random.Generator, count: int) -> list[str]:
    picks = rng.choice(len(names), size=(count, 2))
    return [f"{names[a]}-{names[b]}" for a, b in picks if a != b]


def _finess(rng: np.random.Generator, dept: str) -> str:
    body = dept + "".join(str(d) for d in rng.integers(0, 10, 6))
    return body + luhn.calc_check_digit(body)


def _rpps(rng: np.random.Generator) -> str:
    body = "10" + "".join(str(d) for d in rng.integers(0, 10, 8))
    return body + luhn.calc_check_digit(body)


def build_pools(seed: int) -> Pools:
    """Build the pools once for a seed (deterministic: Faker and numpy are both seeded)."""
    rng = np.random.default_rng([seed, 1])
    faker = Faker("fr_FR")
    faker.seed_instance(seed)
    last = _unique([*fr_FR.Provider.last_names, *fr_CA.Provider.last_names, *fr_CH.Provider.last_names,
                    *REGIONAL_LAST_NAMES])
    male = _unique([*fr_FR.Provider.first_names_male, *fr_CA.Provider.first_names_male,
                    *fr_CH.Provider.first_names_male])
    female = _unique([*fr_FR.Provider.first_names_female, *fr_CA.Provider.first_names_female,
                      *fr_CH.Provider.first_names_female])
    compound_male = _unique(_compound_first_names(male, rng, 60))
    compound_female = _unique(_compound_first_names(female, rng, 60))
    streets = _unique(faker.street_name() for _ in range(4000))
    towns = np.array([t[0] for t in TOWNS], dtype=object)
    depts = [d for d, _ in BIRTH_DEPTS]
    weights = np.array([w for _, w in BIRTH_DEPTS], dtype=float)
    n_labs = 30
    lab_towns = rng.choice(len(TOWNS), size=n_labs, replace=False)
    lab_names, lab_finess = [], []
    for i, t in enumerate(lab_towns):
        group = _LAB_GROUPS[i % len(_LAB_GROUPS)]
        kind = _LAB_KINDS[i % len(_LAB_KINDS)]
        lab_names.append(f"{kind} {group} {TOWNS[t][0]}")
        lab_finess.append(_finess(rng, TOWNS[t][2]))
    n_doctors = 2400
    doc_sex = rng.random(n_doctors) < 0.5
    doc_first = [male[rng.integers(len(male))] if s else female[rng.integers(len(female))] for s in doc_sex]
    doc_last = [last[i] for i in rng.integers(0, len(last), n_doctors)]
    return Pools(
        last_names=np.array(last, dtype=object),
        first_names_male=np.array(male, dtype=object),
        first_names_female=np.array(female, dtype=object),
        compound_male=np.array(compound_male, dtype=object),
        compound_female=np.array(compound_female, dtype=object),
        streets=np.array(streets, dtype=object),
        towns=towns,
        postcodes=np.array([t[1] for t in TOWNS], dtype=object),
        town_depts=np.array([t[2] for t in TOWNS], dtype=object),
        birth_depts=np.array(depts, dtype=object),
        birth_dept_weights=weights / weights.sum(),
        lab_names=np.array(lab_names, dtype=object),
        lab_finess=np.array(lab_finess, dtype=object),
        lab_towns=lab_towns,
        doctor_first=np.array(doc_first, dtype=object),
        doctor_last=np.array(doc_last, dtype=object),
        doctor_rpps=np.array([_rpps(rng) for _ in range(n_doctors)], dtype=object),
        doctor_lab=rng.integers(0, n_labs, n_doctors),
    )
