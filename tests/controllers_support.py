"""A case file of three controllers and a processor, shared by the controller tests (no test lives here)."""

from __future__ import annotations

from test_notify_support import FILLED_CASE

#: Synthetic FINESS numbers (Luhn-valid) and SIRENs (Luhn-valid) of fictional laboratories on the .test domain.
CONTROLLERS_TOML = '''
[[controllers]]
id = "armor"
name = "Laboratoire Bio Armor"
address = "2 rue du Port, 22000 Saint-Brieuc"
siren = "732829320"
dpo = { name = "Yann Le Bihan", email = "dpo@bio-armor.test", phone = "02 96 00 00 00" }
contact = { email = "patients@bio-armor.test", phone = "02 96 00 00 01" }
from = "Laboratoire Bio Armor <notices@bio-armor.test>"
labs = ["Laboratoire Bio Armor", "LBM Bio Armor"]
finess = ["220000012"]

[[controllers]]
id = "iroise"
name = "Labo Iroise"
address = "9 quai de la Douane, 29200 Brest"
dpo = { email = "dpo@labo-iroise.test" }
from = "Labo Iroise <notices@labo-iroise.test>"
labs = ["Labo Iroise"]
finess = ["290000017"]
files = ["iroise/*"]

[[controllers]]
id = "mutuelle"
name = "Mutuelle des Abers"
address = "1 place du Marché, 29870 Lannilis"
insurers = ["Mutuelle des Abers"]
amc = ["12345678"]
tables = ["adherents.sql:adherents_abers"]

[attribution]
columns = ["NUM_AMC"]

[processor]
name = "Logilab Santé"
address = "5 avenue des Champs Blancs, 35510 Cesson-Sévigné"
siren = "552100554"
dpo = { name = "Anne Kervella", email = "dpo@logilab-sante.test" }
'''

#: A filled case file declaring the three controllers above and the processor; Iroise signs shared notices.
MANY_CASE = FILLED_CASE.replace("signing = []", 'signing = ["iroise"]') + CONTROLLERS_TOML


# -- an independent layout (written here, not by `fuite synth`): a vendor's export with a FINESS column, a lab's
# appointment list attributed by a file rule, an insurer's SQL dump with a per-table rule and an AMC-number column.

HIV_NOTE = "Sérologie VIH positive, traitement ARV"


def _people(n: int = 40) -> list[dict]:
    from faker import Faker

    fake = Faker("fr_FR")
    fake.seed_instance(2026)
    people = []
    for i in range(n):
        female = i % 2 == 0
        first = fake.first_name_female() if female else fake.first_name_male()
        people.append({"last": fake.last_name().upper(), "first": first,
                       "birth": f"{1950 + i % 50:04d}-{1 + i % 12:02d}-{1 + (i * 7) % 28:02d}",
                       "email": f"patient{i:02d}@example.org", "phone": f"06{12000000 + i * 1371:08d}",
                       "street": f"{i + 1} rue des Tilleuls", "postcode": "29200", "city": "Brest"})
    return people


def write_layout(folder) -> dict:
    """Write the layout under ``folder``; return the truth: controllers' persons and records, unattributed files."""
    import csv
    from pathlib import Path

    folder = Path(folder)
    people = _people()
    (folder / "vendor").mkdir(parents=True)
    (folder / "iroise").mkdir()
    armor, iroise, unknown = "22 000 001 2", "290000017", "350002812"
    rows = [(i, armor if i < 15 else iroise if i < 25 else unknown, HIV_NOTE if i == 0 else "NFS normale")
            for i in range(30)]
    rows += [(i, iroise, "Bilan lipidique") for i in range(5)]          # persons 0-4 seen by two labs
    rows[20] = (20, iroise, HIV_NOTE)
    with open(folder / "vendor" / "export_resultats.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["Nom", "Prénom", "Date de naissance", "Email", "Adresse", "CP", "Ville", "FINESS", "Analyse"])
        for i, finess_number, note in rows:
            p = people[i]
            w.writerow([p["last"], p["first"], p["birth"], p["email"], p["street"], p["postcode"], p["city"],
                        finess_number, note])
    with open(folder / "iroise" / "liste_rdv.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Nom", "Prénom", "Date de naissance", "Email", "Téléphone"])
        for i in range(30, 35):
            p = people[i]
            w.writerow([p["last"], p["first"], p["birth"], p["email"], p["phone"]])

    def values(i: int, amc: str | None = None) -> str:
        p = people[i]
        cells = [p["last"], p["first"], p["birth"], p["email"]] + ([amc] if amc is not None else [])
        return "(" + ",".join("NULL" if c == "" else "'" + c.replace("'", "\\'") + "'" for c in cells) + ")"

    dump = ["-- MySQL dump 10.13", "/*!40101 SET NAMES utf8mb4 */;",
            "CREATE TABLE `adherents_abers` (`nom` varchar(50), `prenom` varchar(50), `date_naissance` date, "
            "`email` varchar(80)) ENGINE=InnoDB;",
            "INSERT INTO `adherents_abers` VALUES " + ",".join(values(i) for i in (35, 10)) + ";",
            "CREATE TABLE `adherents_autres` (`nom` varchar(50), `prenom` varchar(50), `date_naissance` date, "
            "`email` varchar(80), `NUM_AMC` varchar(12)) ENGINE=InnoDB;",
            "INSERT INTO `adherents_autres` VALUES " + ",".join(
                [values(36, "12 345 678"), values(37, "12345678"), values(38, "99999999"), values(39, "")]) + ";",
            "-- Dump completed", ""]
    (folder / "adherents.sql").write_text("\n".join(dump), encoding="utf-8")
    return {
        "armor": {"persons": 15, "records": 15, "persons_hiv": 1},
        "iroise": {"persons": 20, "records": 20, "persons_hiv": 1},
        "mutuelle": {"persons": 4, "records": 4, "persons_hiv": 0},
        "unattributed": {"vendor/export_resultats.csv": 5, "adherents.sql": 2},
        "unattributed_persons": 7, "persons": 40, "two_labs": [people[i]["email"] for i in range(5)],
        "armor_and_mutuelle": people[10]["email"],
    }


def scanned_layout(root):
    """The layout written under ``root/leak`` and scanned into ``root/case`` with :data:`MANY_CASE`: (case, truth)."""
    from conftest import run_fuite

    truth = write_layout(root / "leak")
    case = root / "case"
    run_fuite("scan", str(root / "leak"), "--case", str(case), check=True)
    (case / "case.toml").write_text(MANY_CASE, encoding="utf-8")
    return case, truth
