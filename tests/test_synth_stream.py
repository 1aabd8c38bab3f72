"""The drill streams: persons drawn and written a chunk at a time, memory that of one chunk, identifiers unique
across chunks, ids and row numbers going on from one chunk to the next."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from fuite.synth import generate
from fuite.synth.files import mysql_dump, pg_dump_lims
from fuite.synth.generate import chunk_sizes

ROOT = Path(__file__).resolve().parents[1]
PERSONS, CHUNK = 3000, 700


@pytest.fixture(scope="module")
def drill(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("stream")
    generate(out, persons=PERSONS, seed=11, chunk=CHUNK)
    return out


def _csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_chunks_are_even_and_cover_every_person():
    assert chunk_sizes(3000, 700) == [600] * 5
    assert chunk_sizes(491_840, 250_000) == [245_920, 245_920]
    assert chunk_sizes(10, 250_000) == [10]
    assert sum(chunk_sizes(5_000_001, 250_000)) == 5_000_001


def test_identifiers_are_unique_across_chunks(drill):
    persons = _csv(drill / "answer_key" / "persons.csv")
    assert [int(p["person_id"]) for p in persons] == list(range(PERSONS))
    assert len({p["nir"] for p in persons}) == PERSONS
    homes_per_email = {}
    for p in persons:
        if p["email"]:
            homes_per_email.setdefault(p["email"], set()).add(p["household"])
    assert max(len(h) for h in homes_per_email.values()) == 1   # one person's, or one household's
    mobiles = Counter(p["phone"] for p in persons if p["phone"].startswith(("+336", "+337")))
    assert mobiles.most_common(1)[0][1] == 1


def test_households_stay_in_their_chunk(drill):
    persons = {p["person_id"]: p for p in _csv(drill / "answer_key" / "persons.csv")}
    chunk = lambda pid: int(pid) // (PERSONS // 5)  # noqa: E731  (five chunks of 600)
    for pid, p in persons.items():
        assert p["household"] in persons and chunk(p["household"]) == chunk(pid)
        if p["insured_person"]:
            assert chunk(p["insured_person"]) == chunk(pid)
            assert persons[p["insured_person"]]["household"] == p["household"]


def test_every_chunk_has_rows_in_every_file_and_realities(drill):
    records = _csv(drill / "answer_key" / "records.csv")
    per_chunk = Counter((int(r["person_id"]) // 600, r["file"]) for r in records)
    files = {r["file"] for r in records}
    assert len(files) == 10
    assert all(per_chunk[(c, f)] > 0 for c in range(5) for f in files)
    persons = _csv(drill / "answer_key" / "persons.csv")
    for reality in ("ayant_droit", "homonym", "married_name"):   # twins are too rare for 600 persons
        assert {int(p["person_id"]) // 600 for p in persons if reality in p["realities"].split(";")} == set(range(5))


def test_dump_ids_go_on_across_chunks(drill):
    sql = (drill / "leak" / mysql_dump.PATH).read_text("utf-8")
    assert sql.count("CREATE TABLE `patients`") == 1 and sql.count("UNLOCK TABLES") == 2
    rows = _csv(drill / "answer_key" / "records.csv")
    patients = sum(r["table"] == "patients" for r in rows)
    assert f"INSERT INTO `patients` VALUES ({patients}," in sql or f"),({patients}," in sql
    dump = (drill / "leak" / pg_dump_lims.PATH).read_text("utf-8")
    results = sum(r["file"] == pg_dump_lims.PATH and r["table"] == "resultat" for r in rows)
    assert dump.count("COPY public.resultat") == 1
    assert f"setval('public.resultat_id_seq', {results}, true)" in dump


def _peak_rss_mb(tmp: Path, persons: int, chunk: int) -> float:
    code = ("import sys;from pathlib import Path;from fuite.synth import generate;"
            "generate(Path(sys.argv[1]), int(sys.argv[2]), 1, chunk=int(sys.argv[3]));"
            "print(int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:'))))")  # VmHWM: this process's own peak (ru_maxrss keeps the forking parent's RSS across exec)
    out = subprocess.run([sys.executable, "-c", code, str(tmp / f"d{persons}"), str(persons), str(chunk)],
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def test_memory_is_that_of_one_chunk_whatever_the_size(tmp_path):
    """Four times the persons in the same chunks: the peak RSS does not grow (unstreamed, 60,000 more persons
    took about 170 MB more here)."""
    small = _peak_rss_mb(tmp_path, 20_000, 5_000)
    large = _peak_rss_mb(tmp_path, 80_000, 5_000)
    assert large - small < 40, (small, large)
