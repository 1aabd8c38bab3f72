"""`fuite match`: how much of a newly found dump a case holds, without adding it or writing it in clear.

The dumps are independent layouts written here: a resale of the known leak re-split into smaller CSV parts with
renamed columns, and a foreign JSON export of invented persons."""

from __future__ import annotations

import csv
import json
import random

import pytest

from conftest import STATE_DIR, access, run_fuite
from fuite.store import open_case
from test_security_no_leak import _files_under, _found

SOURCE = "mega/Export_Labos_Ouest/export_patients_2020.csv"
RENAMED = {"Nom": "NOM_PATIENT", "Prénom": "PRENOM", "Date de naissance": "DDN", "N° Sécurité Sociale": "NIR",
           "Code postal": "CP", "Ville": "COMMUNE", "Téléphone": "PORTABLE", "Email": "MAIL",
           "Commentaire": "OBS"}


@pytest.fixture(scope="module")
def case(small_drill, tmp_path_factory):
    copy = tmp_path_factory.mktemp("match") / "case"
    run_fuite("scan", str(small_drill / "leak"), "--case", str(copy), check=True)
    return copy


def _resale(small_drill, folder) -> list[str]:
    """The leak's CSV re-split into three smaller comma-separated UTF-8 parts, columns renamed and reordered,
    the rest of the columns dropped; returns some of its values (to look for in clear afterwards)."""
    with open(small_drill / "leak" / SOURCE, encoding="cp1252", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    folder.mkdir()
    keep = list(RENAMED)
    random.Random(3).shuffle(keep)
    for k in range(3):
        with open(folder / f"part_{k + 1}.csv", "w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow([RENAMED[c] for c in keep])
            out.writerows([[r[c] for c in keep] for r in rows[k::3]])
    return [r["Email"] for r in rows[:20] if r["Email"]] + [r["Nom"] for r in rows[:20] if len(r["Nom"]) > 5]


def _foreign(folder) -> list[str]:
    """An export of persons the case has never seen, as a JSON array of nested objects."""
    rng = random.Random(11)
    firsts, lasts = ["Ysolde", "Barnabé", "Clothilde", "Anatole", "Eulalie"], ["Quennehen", "Vaxelaire",
                                                                             "Zimmerlin", "Brochard", "Oudinot"]
    people = [{"patient": {"nom": rng.choice(lasts), "prenom": rng.choice(firsts),
                           "naissance": f"{rng.randint(1930, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                           "courriel": f"patient{i}.{rng.randint(100, 999)}@example.net",
                           "mobile": f"+336{rng.randint(10_000_000, 99_999_999)}"},
               "analyse": {"date": "2024-05-02", "resultat": "Sérologie VIH négative"}} for i in range(150)]
    folder.mkdir()
    (folder / "clients.json").write_text(json.dumps(people, ensure_ascii=False), encoding="utf-8")
    return [p["patient"]["courriel"] for p in people[:20]]


def _case_state(case):
    with open_case(case, access()) as c:
        return {name: c.table_rows(name) for name in c.table_names() if not name.startswith("raw/")}


def test_a_resale_of_the_known_leak(case, small_drill, tmp_path):
    values = _resale(small_drill, tmp_path / "resale")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    before = _case_state(case)
    proc = run_fuite("match", str(tmp_path / "resale"), "--case", str(case), "--json", env={"TMPDIR": str(tmp)},
                     check=True)
    figures = json.loads(proc.stdout)
    assert figures["files"] == 3 and figures["rows"] > 50
    assert figures["share_known"] >= 0.98 and figures["persons_new"] <= 0.02 * figures["persons"]
    assert figures["rows_matched"] >= 0.98 * figures["rows_with_identity"]
    assert figures["verdict"] == "resale" and "resale of the known leak" in proc.stderr
    assert _case_state(case) == before, "match adds nothing to the case"
    assert _found(values, _files_under(case, tmp, STATE_DIR)) == [], "nothing of the dump in clear"
    assert not [v for v in values if v in proc.stdout + proc.stderr]


def test_a_foreign_dump_is_a_new_breach(case, tmp_path):
    values = _foreign(tmp_path / "foreign")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    before = _case_state(case)
    proc = run_fuite("match", str(tmp_path / "foreign"), "--case", str(case), "--json", env={"TMPDIR": str(tmp)},
                     check=True)
    figures = json.loads(proc.stdout)
    assert figures["persons"] >= 100 and figures["share_known"] <= 0.02
    assert figures["persons_new"] == figures["persons"] - figures["persons_matched"]
    assert figures["verdict"] == "new breach" and "a new breach" in proc.stderr
    assert _case_state(case) == before
    assert _found(values, _files_under(case, tmp, STATE_DIR)) == []
    with open_case(case, access()) as c:
        entry = [e for e in c.audit_entries() if e["action"] == "match"][-1]
    assert json.loads(entry["detail"])["verdict"] == "new breach"


def test_the_later_part_of_a_drill_is_the_leak_grown(tmp_path):
    from fuite.synth import generate

    summary = generate(tmp_path / "drill", persons=300, seed=5, later=0.2)
    run_fuite("scan", str(tmp_path / "drill" / "leak"), "--case", str(tmp_path / "case"), check=True)
    proc = run_fuite("match", str(tmp_path / "drill" / "later"), "--case", str(tmp_path / "case"), "--json",
                     check=True)
    figures = json.loads(proc.stdout)
    later = summary["later"]
    assert figures["verdict"] == "grown"
    assert abs(figures["persons_new"] - later["new"]) <= 0.1 * later["new"]
    assert abs(figures["persons_more_exposed"] - later["grown"]) <= 0.15 * later["grown"] + 2
    human = run_fuite("match", str(tmp_path / "drill" / "later"), "--case", str(tmp_path / "case"), check=True)
    assert "persons new:" in human.stdout and "the known leak, grown" in human.stderr


def test_adding_a_resale_adds_rows_but_no_person(small_drill, tmp_path):
    """The resale re-split with renamed columns, added to a case: the same persons keep their ids, the delta
    holds almost nobody."""
    _resale(small_drill, tmp_path / "resale")
    case = tmp_path / "case"
    run_fuite("scan", str(small_drill / "leak"), "--case", str(case), check=True)
    with open_case(case, access()) as c:
        before = set(c.get_table("persons", ["person_id"]).column("person_id").to_pylist())
    added = json.loads(run_fuite("scan", str(tmp_path / "resale"), "--case", str(case), "--json", check=True).stdout)
    with open_case(case, access()) as c:
        after = set(c.get_table("persons", ["person_id"]).column("person_id").to_pylist())
        delta = c.get_table("delta")
    assert added["records"] > 50 and added["added_to_existing_case"]
    assert len(after - before) <= 0.01 * len(before) and len(before - after) <= 0.01 * len(before)
    assert (delta.num_rows if delta is not None else 0) <= 0.02 * len(before)
