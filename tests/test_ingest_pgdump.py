"""SQL dumps as they are really written: comments, blank lines, SET/SELECT statements and psql meta-commands
between statements, in every dialect; and a differential test against a real PostgreSQL server and pg_dump."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from test_ingest_support import scan
from fuite.schema import Relation

PEOPLE = [
    ("1", "Dupont", "Jean", "12 rue de l'Église", "1980-02-03", "a\ttab"),
    ("2", "O'Brien", "Zoé", None, "1975-12-31", "line\nbreak"),
    ("3", "Martin", "Ève", "3 allée des Pins; bât B", "2001-01-01", "back\\slash"),
    ("4", "N'Diaye", "Aïssa", "-- pas un commentaire", None, "/* non plus */"),
]
COLUMNS = ["id", "nom", "prenom", "adresse", "naissance", "note"]
ANALYSES = [("1", "1", "B1234", "positif"), ("2", "2", "HIV", "CV indétectable"), ("3", "4", None, "l'analyse; fin")]


def _rows(scanned, file: str, table: str) -> list[tuple]:
    return [tuple(r[c] for c in list(r)[1:]) for r in scanned.rows(file, table)]


# ----------------------------------------------------------------- layouts written here, in three dialects


def _copy_value(v: str | None) -> str:
    if v is None:
        return "\\N"
    return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _pg_value(v: str | None) -> str:
    return "NULL" if v is None else "'" + v.replace("'", "''") + "'"


def _mysql_value(v: str | None) -> str:
    if v is None:
        return "NULL"
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t") + "'"


GAPS = [
    "", "\n", "--\n-- Data for Name: patients; Type: TABLE DATA; Schema: public; Owner: lab\n--\n\n",
    "/* a block\n   comment; with 'quotes' */\n", "SET statement_timeout = 0;\n",
    "SELECT pg_catalog.set_config('search_path', '', false);\n", "\\restrict k3Y\n",
    "SELECT pg_catalog.setval('public.seq', 3, true);\n",
]


def _pg_copy(gap: str) -> str:
    lines = "".join("\t".join(map(_copy_value, p)) + "\n" for p in PEOPLE)
    kids = "".join("\t".join(map(_copy_value, a)) + "\n" for a in ANALYSES)
    return (f"{gap}CREATE TABLE public.patients (\n    id integer NOT NULL,\n    nom text,\n    prenom text,\n"
            f"    adresse text,\n    naissance date,\n    note text\n);\n{gap}"
            f"CREATE TABLE public.analyses (id integer, patient_id integer, code text, resultat text);\n{gap}"
            f"COPY public.patients (id, nom, prenom, adresse, naissance, note) FROM stdin;\n{lines}\\.\n{gap}"
            f"COPY public.analyses (id, patient_id, code, resultat) FROM stdin;\n{kids}\\.\n{gap}"
            "ALTER TABLE ONLY public.analyses\n    ADD CONSTRAINT analyses_fk FOREIGN KEY (patient_id) "
            f"REFERENCES public.patients(id);\n{gap}")


def _pg_inserts(gap: str) -> str:
    people = "".join(f"INSERT INTO public.patients VALUES ({', '.join(map(_pg_value, p))});\n{gap}" for p in PEOPLE)
    kids = "".join(f"INSERT INTO public.analyses (id, patient_id, code, resultat) VALUES "
                   f"({', '.join(map(_pg_value, a))});\n{gap}" for a in ANALYSES)
    return (f"{gap}CREATE TABLE public.patients (id integer, nom text, prenom text, adresse text, naissance date, "
            f"note text);\n{gap}CREATE TABLE public.analyses (id integer, patient_id integer REFERENCES "
            f"public.patients(id), code text, resultat text);\n{gap}{people}{kids}")


def _mysql(gap: str) -> str:
    gap = gap.replace("\\restrict k3Y\n", "# a hash comment\n").replace("pg_catalog.", "")
    people = "INSERT INTO `patients` VALUES " + ",".join(f"({','.join(map(_mysql_value, p))})" for p in PEOPLE)
    kids = "".join(f"INSERT INTO `analyses` VALUES ({','.join(map(_mysql_value, a))});\n{gap}" for a in ANALYSES)
    return (f"-- MySQL dump 10.13\n{gap}/*!40101 SET NAMES utf8mb4 */;\n{gap}"
            f"CREATE TABLE `patients` (`id` int, `nom` text, `prenom` text, `adresse` text, `naissance` date, "
            f"`note` text) ENGINE=InnoDB;\n{gap}LOCK TABLES `patients` WRITE;\n{gap}{people};\n{gap}UNLOCK TABLES;\n"
            f"CREATE TABLE `analyses` (`id` int, `patient_id` int, `code` text, `resultat` text,\n"
            f"  CONSTRAINT `fk` FOREIGN KEY (`patient_id`) REFERENCES `patients` (`id`)) ENGINE=InnoDB;\n{gap}{kids}")


DIALECTS = {"pg_copy.sql": _pg_copy, "pg_inserts.sql": _pg_inserts, "mysql.sql": _mysql}


@pytest.mark.parametrize("gap", GAPS, ids=lambda g: repr(g[:12]))
@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_comments_and_settings_between_statements_lose_no_row(tmp_path, name, gap):
    (tmp_path / name).write_text(DIALECTS[name](gap), encoding="utf-8")
    s = scan(tmp_path / name)
    assert not s.quarantined and not s.problems, (s.quarantined, s.problems)
    assert s.tables[(name, "patients")]["columns"] == COLUMNS
    assert _rows(s, name, "patients") == PEOPLE
    assert _rows(s, name, "analyses") == ANALYSES
    assert [r["__row"] for r in s.rows(name, "patients")] == [0, 1, 2, 3]
    assert s.tables[(name, "analyses")]["relations"] == [Relation("patient_id", "patients", "id", True)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gaps=hs.lists(hs.sampled_from(GAPS), min_size=len(PEOPLE) + 1, max_size=len(PEOPLE) + 1),
       dialect=hs.sampled_from(["pg_copy", "pg_inserts"]))
def test_any_mix_of_gaps_reads_the_same_rows(tmp_path, gaps, dialect):
    """Every statement of a dump with its own comments, settings and blank lines before it."""
    body = "CREATE TABLE p (id integer, nom text, prenom text, adresse text, naissance date, note text);\n"
    if dialect == "pg_copy":
        body += gaps[0] + "COPY p (id, nom, prenom, adresse, naissance, note) FROM stdin;\n"
        body += "".join("\t".join(map(_copy_value, p)) + "\n" for p in PEOPLE) + "\\.\n"
        body += "".join(gaps[1:])
    else:
        body += "".join(f"{g}INSERT INTO p VALUES ({', '.join(map(_pg_value, p))});\n" for g, p in zip(gaps, PEOPLE))
    path = tmp_path / f"{dialect}.sql"
    path.write_text(body, encoding="utf-8")
    s = scan(path)
    assert not s.quarantined and not s.problems
    assert _rows(s, path.name, "p") == PEOPLE


def test_dollar_quoted_function_bodies_are_one_statement(tmp_path):
    text = ("CREATE FUNCTION public.touch() RETURNS trigger\n    LANGUAGE plpgsql\n    AS $$\nBEGIN\n"
            "  NEW.note := 'l''a; b';  -- a comment; with a quote '\n  RETURN NEW;\nEND;\n$$;\n"
            "CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $body$ SELECT 'x;y' $body$;\n"
            "CREATE TABLE public.t (id integer, nom text);\n"
            "COPY public.t (id, nom) FROM stdin;\n1\tL'Hostis\n\\.\n")
    (tmp_path / "f.sql").write_text(text, encoding="utf-8")
    s = scan(tmp_path / "f.sql")
    assert not s.quarantined and not s.problems
    assert _rows(s, "f.sql", "t") == [("1", "L'Hostis")]


def test_pg_dump_without_sql_extension_is_recognised(tmp_path):
    (tmp_path / "backup.dump.txt").write_text("--\n-- PostgreSQL database dump\n--\n\n\\restrict abc\n\n"
                                             + _pg_copy(""), encoding="utf-8")
    s = scan(tmp_path)
    assert _rows(s, "backup.dump.txt", "patients") == PEOPLE


def test_a_comment_that_never_closes_is_reported_not_swallowed(tmp_path):
    (tmp_path / "c.sql").write_text(_pg_inserts("") + "/* started but never closed\nINSERT INTO x VALUES (1);\n")
    s = scan(tmp_path / "c.sql")
    assert _rows(s, "c.sql", "patients") == PEOPLE
    assert [q.reason for q in s.quarantined] == ["line 11: comment not closed at end of file"]


# ----------------------------------------------------------------- a real server, a real pg_dump


@dataclass
class Postgres:
    bin: Path
    root: Path
    as_user: list[str]

    def run(self, tool: str, *args: str, stdin: bytes | None = None) -> bytes:
        proc = subprocess.run([*self.as_user, str(self.bin / tool), *args], input=stdin, capture_output=True,
                              timeout=120, cwd=self.root, check=False)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
        return proc.stdout

    def client(self, tool: str, *args: str, stdin: bytes | None = None) -> bytes:
        return self.run(tool, "-h", str(self.root), "-U", "fuite", *args, stdin=stdin)


def server_binaries() -> Path | None:
    """The newest PostgreSQL server installed by Debian's ``postgresql`` package (``install.sh``)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


@pytest.fixture(scope="module")
def postgres():
    bin_dir = server_binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL server not installed (install.sh installs Debian's postgresql package as root)")
    root = Path(tempfile.mkdtemp(prefix="fuite-pg-"))
    as_user = []
    if os.geteuid() == 0:   # initdb refuses root: run the server as Debian's postgres user
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    pg = Postgres(bin_dir, root, as_user)
    pg.run("initdb", "-D", str(root / "data"), "-A", "trust", "-U", "fuite", "--no-locale", "-E", "UTF8")
    pg.run("pg_ctl", "-D", str(root / "data"), "-o", f"-k {root} -c listen_addresses='' -F", "-l",
           str(root / "log"), "-w", "start")
    try:
        yield pg
    finally:
        pg.run("pg_ctl", "-D", str(root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


SCHEMA = """
CREATE TABLE patients (id integer PRIMARY KEY, nom text, prenom text, adresse text, naissance date, note text);
CREATE TABLE analyses (id serial PRIMARY KEY, patient_id integer REFERENCES patients(id), code text,
                       resultat text);
COMMENT ON TABLE patients IS 'Les patients du labo';
CREATE VIEW v AS SELECT nom FROM patients;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := 'vu; ok'; RETURN NEW; END $$;
"""


@pytest.fixture(scope="module")
def real_dumps(postgres, tmp_path_factory) -> Path:
    """``pg_dump`` of one database, in its three data layouts (COPY, --inserts, --column-inserts)."""
    postgres.client("createdb", "lab")
    inserts = "".join(f"INSERT INTO patients VALUES ({', '.join(map(_pg_value, p))});\n" for p in PEOPLE)
    inserts += "".join(f"INSERT INTO analyses (patient_id, code, resultat) VALUES "
                       f"({', '.join(map(_pg_value, a[1:]))});\n" for a in ANALYSES)
    postgres.client("psql", "-q", "-v", "ON_ERROR_STOP=1", "lab", stdin=(SCHEMA + inserts).encode())
    out = tmp_path_factory.mktemp("pg_dump")
    for name, flags in (("copy.sql", []), ("inserts.sql", ["--inserts"]), ("column_inserts.sql", ["--column-inserts"])):
        (out / name).write_bytes(postgres.client("pg_dump", *flags, "lab"))
    return out


@pytest.mark.parametrize("name", ["copy.sql", "inserts.sql", "column_inserts.sql"])
def test_real_pg_dump_output_is_read_whole(real_dumps, name):
    text = (real_dumps / name).read_text("utf-8")
    assert "-- Data for Name: patients; Type: TABLE DATA" in text   # the comment block before every table
    s = scan(real_dumps / name)
    assert not s.quarantined and not s.problems, (s.quarantined, s.problems)
    assert {t for _, t in s.tables} == {"patients", "analyses"}
    assert _rows(s, name, "patients") == PEOPLE
    assert _rows(s, name, "analyses") == ANALYSES
    assert s.tables[(name, "analyses")]["relations"] == [Relation("patient_id", "patients", "id", True)]
