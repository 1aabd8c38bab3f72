"""File 8: a plain-text ``pg_dump`` (PostgreSQL 15) of a lab information system, byte for byte as pg_dump writes it.

The header comment, ``\\restrict`` (pg_dump ≥ 15.14), the ``SET``/``SELECT
pg_catalog.set_config`` block, a ``--`` comment block before every object and every
``COPY … FROM stdin`` data block, ``SELECT pg_catalog.setval``, the constraints and the
foreign key at the end (``resultat.patient_id`` → ``patient.id``), ``\\unrestrict``.
COPY text format: tab-separated, ``\\N`` null, backslash escapes; apostrophes
(``L'Hostis``, ``rue de l'Église``) are plain characters. ``tests/test_ingest_pgdump.py``
restores this file into a real server and checks that ``pg_dump`` writes it back identically.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from fuite.synth.health import COMMENT_TABLE
from fuite.synth.rows import (
    Ctx, Table, analysis_cells, children_per_parent, doctor_cells, health_cells, insurer_cells, maybe_blank,
    name_cells, sample_dates, shuffled_rows, third_party,
)
from fuite.synth.stream import SectionFile
from fuite.synth.variants import date_layout, nir_layout, phone_layout

PATH = "ransomware_dump/lims_prod_2021-02-14.sql"
OWNER = "lims"
VERSION = "15.18 (Debian 15.18-0+deb12u1)"

PATIENT_COLUMNS = [
    ("id", "internal_id"), ("nom", "last_name"), ("prenom", "first_name"), ("date_naissance", "birth_date"),
    ("sexe", "sex"), ("nir", "nir"), ("adresse", "street_address"), ("code_postal", "postal_code"), ("ville", "city"),
    ("telephone", "phone"), ("email", "email"), ("medecin_traitant", "physician_name"), ("mutuelle", "insurer_name"),
    ("num_adherent", "insurer_id"), ("remarque", "health_note"),
]
RESULT_COLUMNS = [
    ("id", "internal_id"), ("patient_id", "internal_id"), ("date_prelevement", "sample_date"),
    ("code_examen", "other"), ("libelle", "health_note"), ("valeur", "health_note"), ("commentaire", "health_note"),
]
_TYPES = {
    "patient": ["integer NOT NULL", "character varying(64) NOT NULL", "character varying(64)", "date",
                "character(1)", "character varying(15)", "text", "character varying(5)", "text",
                "character varying(20)", "text", "text", "text", "character varying(20)", "text"],
    "resultat": ["integer NOT NULL", "integer NOT NULL", "timestamp without time zone", "character varying(12)",
                 "text", "text", "text"],
}


def build(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray) -> list[Table]:
    pids, p = shuffled_rows(ctx, rng, pids)
    n = len(pids)
    last, first = name_cells(rng, p, upper_last=1.0, upper_first=0.0, no_accent=0.1, typo=0.02, swap=0.01)
    remark = health_cells(rng, ctx, pids, COMMENT_TABLE, p_generic=0.3, p_topic=0.7)
    cells = p.select(
        birth=date_layout(pl.col("birth_date"), "iso"),
        nir=nir_layout(pl.col("nir"), "compact"),
        phone=phone_layout(pl.coalesce(pl.col("mobile"), pl.col("landline")), "spaced"),
    )
    ids = (ctx.start.get("patient", 0) + np.arange(1, n + 1)) * 7 + 1000
    patients = pl.DataFrame({
        "id": pl.Series(ids).cast(pl.String),
        "nom": last,
        "prenom": maybe_blank(first, rng, 0.01),
        "date_naissance": maybe_blank(cells["birth"], rng, 0.02),
        "sexe": p["sex"],
        "nir": maybe_blank(cells["nir"], rng, 0.15),
        "adresse": maybe_blank(_with_complement(rng, p["street"]), rng, 0.05),
        "code_postal": p["postal_code"],
        "ville": p["city"].str.to_uppercase(),
        "telephone": maybe_blank(cells["phone"], rng, 0.05),
        "email": maybe_blank(p["email"], rng, 0.1),
        "medecin_traitant": doctor_cells(rng, ctx, p["doctor"].to_numpy(), [(1, "dr_full")]),
        "mutuelle": insurer_cells(p["insurer"].to_numpy(), abbreviated=True),
        "num_adherent": p["member"],
        "remarque": third_party(rng, ctx, remark.text, 0.03),
    })
    key = "".join(np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))[
        rng.integers(0, 62, 63)])   # \restrict takes a random key in every dump
    parent = Table(PATH, "patient", PATIENT_COLUMNS, patients, pids, remark.hiv, remark.conditions,
                   extra={"restrict_key": key})
    parent_row = np.repeat(np.arange(n), children_per_parent(rng, n, (0.5, 0.3, 0.2)))
    parent_row = parent_row[rng.permutation(len(parent_row))]
    cpids = pids[parent_row]
    m = len(cpids)
    analysis = analysis_cells(rng, ctx, cpids)
    note = health_cells(rng, ctx, cpids, COMMENT_TABLE, p_generic=0.05, p_topic=0.2)
    seconds = (pl.Series(rng.integers(7 * 3600, 19 * 3600, m)) * 1000).cast(pl.Duration("ms"))
    sampled = sample_dates(rng, m).cast(pl.Datetime("ms")) + seconds
    results = pl.DataFrame({
        "id": pl.Series(ctx.start.get("resultat", 0) + np.arange(1, m + 1)).cast(pl.String),
        "patient_id": pl.Series(ids[parent_row]).cast(pl.String),
        "date_prelevement": sampled.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "code_examen": analysis.code,
        "libelle": analysis.label,
        "valeur": analysis.result,
        "commentaire": note.text,
    })
    child = Table(PATH, "resultat", RESULT_COLUMNS, results, cpids, analysis.hiv | note.hiv,
                  analysis.conditions | note.conditions)
    return [parent, child]


_COMPLEMENTS = ("Résidence l'Orée du Bois", "Lieu-dit l'Étang", "Chez Mme L'Hostis", "Bât. A, entrée d'honneur",
                "Allée de l'Abbaye")


def _with_complement(rng: np.random.Generator, street: pl.Series) -> pl.Series:
    """Some addresses carry a complement with an apostrophe (``Résidence l'Orée du Bois, 3 rue …``)."""
    n = len(street)
    complement = pl.Series(np.array(_COMPLEMENTS)[rng.integers(0, len(_COMPLEMENTS), n)].tolist(), dtype=pl.String)
    joined = pl.select(pl.concat_str([pl.lit(complement), pl.lit(", "), pl.lit(street)])).to_series()
    return pl.select(pl.when(pl.lit(pl.Series(rng.random(n) < 0.15))).then(pl.lit(joined))
                     .otherwise(pl.lit(street))).to_series()


def copy_text(column: pl.Expr) -> pl.Expr:
    """A value in COPY text format: backslash, tab, newline and carriage return escaped; null is ``\\N``."""
    escaped = (column.str.replace_all("\\", "\\\\", literal=True).str.replace_all("\t", "\\t", literal=True)
               .str.replace_all("\n", "\\n", literal=True).str.replace_all("\r", "\\r", literal=True))
    return escaped.fill_null("\\N")


def _object(name: str, kind: str) -> str:
    return f"--\n-- Name: {name}; Type: {kind}; Schema: public; Owner: {OWNER}\n--\n\n"


def _create(table: Table) -> str:
    cols = ",\n".join(f"    {c} {t}" for (c, _), t in zip(table.columns, _TYPES[table.table]))
    return (_object(table.table, "TABLE") + f"CREATE TABLE public.{table.table} (\n{cols}\n);\n\n\n"
            f"ALTER TABLE public.{table.table} OWNER TO {OWNER};\n\n")


def _rows(table: Table) -> str:
    names = [c for c, _ in table.columns]
    lines = table.frame.select(pl.concat_str([copy_text(pl.col(c)) for c in names], separator="\t")).to_series()
    return "".join(line + "\n" for line in lines.to_list())


def _data_head(table: Table) -> str:
    names = [c for c, _ in table.columns]
    return (f"--\n-- Data for Name: {table.table}; Type: TABLE DATA; Schema: public; Owner: {OWNER}\n--\n\n"
            f"COPY public.{table.table} ({', '.join(names)}) FROM stdin;\n")


_DATA_TAIL = "\\.\n\n\n"
_SEQ = "resultat_id_seq"


def _head(patient: Table, resultat: Table, key: str) -> str:
    """The dump up to its data, in pg_dump's order: settings, tables, sequence, default."""
    seq = _SEQ
    head = ("--\n-- PostgreSQL database dump\n--\n\n" f"\\restrict {key}\n\n"
            f"-- Dumped from database version {VERSION}\n-- Dumped by pg_dump version {VERSION}\n\n"
            "SET statement_timeout = 0;\nSET lock_timeout = 0;\nSET idle_in_transaction_session_timeout = 0;\n"
            "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n"
            "SELECT pg_catalog.set_config('search_path', '', false);\nSET check_function_bodies = false;\n"
            "SET xmloption = content;\nSET client_min_messages = warning;\nSET row_security = off;\n\n"
            "SET default_tablespace = '';\n\nSET default_table_access_method = heap;\n\n")
    sequence = (_object(seq, "SEQUENCE") + f"CREATE SEQUENCE public.{seq}\n    AS integer\n    START WITH 1\n"
                "    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\n\n\n"
                f"ALTER TABLE public.{seq} OWNER TO {OWNER};\n\n" + _object(seq, "SEQUENCE OWNED BY")
                + f"ALTER SEQUENCE public.{seq} OWNED BY public.resultat.id;\n\n\n"
                + _object("resultat id", "DEFAULT")
                + f"ALTER TABLE ONLY public.resultat ALTER COLUMN id SET DEFAULT nextval('public.{seq}'::regclass);"
                "\n\n\n")
    return head + _create(patient) + _create(resultat) + sequence


def _tail(results: int, key: str) -> str:
    """After the data: setval, constraints, foreign key."""
    seq = _SEQ
    last = max(results, 1)
    called = "true" if results else "false"
    return (_object(seq, "SEQUENCE SET") + f"SELECT pg_catalog.setval('public.{seq}', {last}, {called});\n\n\n"
            + _object("patient patient_pkey", "CONSTRAINT")
            + "ALTER TABLE ONLY public.patient\n    ADD CONSTRAINT patient_pkey PRIMARY KEY (id);\n\n\n"
            + _object("resultat resultat_pkey", "CONSTRAINT")
            + "ALTER TABLE ONLY public.resultat\n    ADD CONSTRAINT resultat_pkey PRIMARY KEY (id);\n\n\n"
            + _object("resultat resultat_patient_id_fkey", "FK CONSTRAINT")
            + "ALTER TABLE ONLY public.resultat\n    ADD CONSTRAINT resultat_patient_id_fkey FOREIGN KEY (patient_id) "
            "REFERENCES public.patient(id);\n\n\n"
            + f"--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict {key}\n\n")


class Writer:
    """The dump, written chunk by chunk: each COPY block grows in a part file, joined when closed."""

    def __init__(self, path: Path):
        self._file = SectionFile(path, 2)
        self._first: tuple[Table, Table] | None = None
        self._results = 0

    def add(self, tables: list[Table]) -> None:
        patient, resultat = tables
        if self._first is None:
            self._first = (replace(patient, frame=patient.frame.clear()), replace(resultat, frame=resultat.frame.clear()))
        self._results += resultat.frame.height
        self._file.add([_rows(patient).encode("utf-8"), _rows(resultat).encode("utf-8")])

    def close(self) -> None:
        patient, resultat = self._first
        key = patient.extra["restrict_key"]
        enc = lambda text: text.encode("utf-8")  # noqa: E731
        self._file.close([enc(_head(patient, resultat, key) + _data_head(patient)), 0,
                          enc(_DATA_TAIL + _data_head(resultat)), 1, enc(_DATA_TAIL + _tail(self._results, key))])


def open_writer(path: Path) -> Writer:
    return Writer(path)
