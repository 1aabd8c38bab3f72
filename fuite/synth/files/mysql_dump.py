"""File 5: a MySQL dump (mysqldump 5.7 style) of a lab information system.

Two tables: ``patients`` and ``analyses`` (``analyses.patient_id`` references
``patients.id``, declared as a foreign key). Multi-row ``INSERT`` statements of up
to 500 tuples, MySQL backslash escapes (``\\'``, ``\\\\``, ``\\n``), ``NULL`` for
missing values, dates ``yyyy-mm-dd``, phones ``33612345678``, blood groups
``O neg``, act codes, amounts and order numbers that look like NIRs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from fuite.synth.health import COMMENT_TABLE
from fuite.synth.rows import (
    Ctx, ROW_REALITIES, Table, amounts, analysis_cells, blood_cells, children_per_parent, distractor_nirs, doctor_cells, shuffled_rows,
    health_cells, insurer_cells, maybe_blank, name_cells, sample_dates, third_party,
)
from fuite.synth.stream import SectionFile
from fuite.synth.variants import choose, date_layout, phone_layout

PATH = "forum_dump/sil_backup_2020-11-03.sql"
BATCH = 500

PATIENT_COLUMNS = [
    ("id", "internal_id"), ("nom", "last_name"), ("prenom", "first_name"), ("date_naissance", "birth_date"),
    ("sexe", "sex"), ("num_secu", "nir"), ("qualite", "beneficiary_quality"), ("adresse", "street_address"), ("code_postal", "postal_code"),
    ("ville", "city"), ("telephone", "phone"), ("email", "email"), ("groupe_sanguin", "blood_group"),
    ("medecin_traitant", "physician_name"), ("rpps_medecin", "physician_id"), ("mutuelle", "insurer_name"),
    ("num_adherent", "insurer_id"), ("commentaire", "health_note"), ("date_creation", "other"),
]
ANALYSIS_COLUMNS = [
    ("id", "internal_id"), ("patient_id", "internal_id"), ("finess_labo", "lab_id"), ("labo", "lab_name"),
    ("date_prelevement", "sample_date"), ("code_acte", "other"), ("libelle", "health_note"),
    ("resultat", "health_note"), ("commentaire", "health_note"), ("num_commande", "internal_id"),
    ("montant", "other"),
]
_SQL_TYPES = {
    "patients": ["int(11) NOT NULL AUTO_INCREMENT", "varchar(64) NOT NULL", "varchar(64) NOT NULL", "date DEFAULT NULL",
                 "char(1) DEFAULT NULL", "varchar(21) DEFAULT NULL", "varchar(8) DEFAULT NULL", "varchar(128) DEFAULT NULL",
                 "varchar(5) DEFAULT NULL", "varchar(64) DEFAULT NULL", "varchar(20) DEFAULT NULL",
                 "varchar(128) DEFAULT NULL", "varchar(12) DEFAULT NULL", "varchar(128) DEFAULT NULL",
                 "char(11) DEFAULT NULL", "varchar(64) DEFAULT NULL", "varchar(20) DEFAULT NULL", "text",
                 "datetime NOT NULL"],
    "analyses": ["int(11) NOT NULL AUTO_INCREMENT", "int(11) NOT NULL", "char(9) NOT NULL", "varchar(128) NOT NULL",
                 "datetime NOT NULL", "varchar(8) NOT NULL", "varchar(128) NOT NULL", "varchar(64) DEFAULT NULL",
                 "text", "varchar(15) DEFAULT NULL", "decimal(8,2) DEFAULT NULL"],
}
_NUMERIC = {("patients", "id"), ("analyses", "id"), ("analyses", "patient_id"), ("analyses", "montant")}


def build(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray) -> list[Table]:
    pids, p = shuffled_rows(ctx, rng, pids, beneficiary=True, old=True)
    n = len(pids)
    last, first = name_cells(rng, p, upper_last=0.5, upper_first=0.05, no_accent=0.3, typo=0.02, swap=0.02)
    comment = health_cells(rng, ctx, pids, COMMENT_TABLE, p_generic=0.3, p_topic=0.75)
    u = rng.random(n)
    created = pl.Series(rng.integers(np.datetime64("2012-01-01T00:00:00").astype(np.int64),
                                     np.datetime64("2020-11-01T00:00:00").astype(np.int64), n)
                        * 1000).cast(pl.Datetime("ms")).dt.strftime("%Y-%m-%d %H:%M:%S")
    phone_src = pl.coalesce(pl.col("mobile"), pl.col("landline"))
    cells = p.select(
        birth=date_layout(pl.col("birth_date"), "iso"),
        phone=choose(pl.lit(pl.Series(u)), [(0.6, phone_layout(phone_src, "intl_nozero")),
                                            (1, phone_layout(phone_src, "compact"))]),
    )
    ids = ctx.start.get("patients", 0) + np.arange(1, n + 1)
    patients = pl.DataFrame({
        "id": pl.Series(ids).cast(pl.String),
        "nom": last,
        "prenom": first,
        "date_naissance": maybe_blank(cells["birth"], rng, 0.02),
        "sexe": p["sex"],
        "num_secu": maybe_blank(p["nir"], rng, 0.1),
        "qualite": p["quality"],
        "adresse": maybe_blank(p["street"], rng, 0.05),
        "code_postal": p["postal_code"],
        "ville": p["city"],
        "telephone": maybe_blank(cells["phone"], rng, 0.04),
        "email": maybe_blank(p["email"], rng, 0.08),
        "groupe_sanguin": maybe_blank(blood_cells(rng, p["blood"].to_numpy(), "word"), rng, 0.3),
        "medecin_traitant": doctor_cells(rng, ctx, p["doctor"].to_numpy(), [(0.5, "dr_full"), (1, "last_first_dr")]),
        "rpps_medecin": pl.Series(ctx.pools.doctor_rpps[p["doctor"].to_numpy()], dtype=pl.String),
        "mutuelle": insurer_cells(p["insurer"].to_numpy(), abbreviated=False),
        "num_adherent": p["member"],
        "commentaire": _two_lines(rng, third_party(rng, ctx, comment.text, 0.04)),
        "date_creation": created,
    })
    parent = Table(PATH, "patients", PATIENT_COLUMNS, patients, pids, comment.hiv, comment.conditions,
                   realities=p[ROW_REALITIES].to_numpy())
    counts = children_per_parent(rng, n, (0.55, 0.3, 0.15))
    parent_row = np.repeat(np.arange(n), counts)
    order = rng.permutation(len(parent_row))  # analyses come in date order, not grouped by patient
    parent_row = parent_row[order]
    cpids = pids[parent_row]
    m = len(cpids)
    analysis = analysis_cells(rng, ctx, cpids)
    remark = health_cells(rng, ctx, cpids, COMMENT_TABLE, p_generic=0.05, p_topic=0.25)
    lab = ctx.row_labs(cpids)
    times = rng.integers(7 * 3600, 19 * 3600, m)
    sample = sample_dates(rng, m).cast(pl.Datetime("ms")) + (pl.Series(times) * 1000).cast(pl.Duration("ms"))
    analyses = pl.DataFrame({
        "id": pl.Series(ctx.start.get("analyses", 0) + np.arange(1, m + 1)).cast(pl.String),
        "patient_id": pl.Series(ids[parent_row]).cast(pl.String),
        "finess_labo": pl.Series(ctx.pools.lab_finess[lab], dtype=pl.String),
        "labo": pl.Series(ctx.pools.lab_names[lab], dtype=pl.String),
        "date_prelevement": sample.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "code_acte": analysis.code,
        "libelle": analysis.label,
        "resultat": analysis.result,
        "commentaire": remark.text,
        "num_commande": maybe_blank(distractor_nirs(rng, m), rng, 0.2),
        "montant": amounts(rng, m, comma=False),
    })
    child = Table(PATH, "analyses", ANALYSIS_COLUMNS, analyses, cpids, analysis.hiv | remark.hiv,
                  analysis.conditions | remark.conditions)
    return [parent, child]


def _two_lines(rng: np.random.Generator, text: pl.Series) -> pl.Series:
    """Some comments were typed on two lines (escaped ``\\n`` in the dump)."""
    more = pl.lit(pl.Series(rng.random(len(text)) < 0.05))
    return pl.select(pl.when(more).then(pl.concat_str([pl.lit(text), pl.lit("\nA recontrôler")]))
                     .otherwise(pl.lit(text))).to_series()


def _sql_value(table: str, col: str) -> pl.Expr:
    if (table, col) in _NUMERIC:
        return pl.col(col).fill_null("NULL")
    escaped = (pl.col(col).str.replace_all("\\", "\\\\", literal=True).str.replace_all("'", "\\'", literal=True)
               .str.replace_all("\n", "\\n", literal=True).str.replace_all("\r", "\\r", literal=True))
    return pl.concat_str([pl.lit("'"), escaped, pl.lit("'")]).fill_null("NULL")


def _table_head(table: Table) -> str:
    name = table.table
    cols = [c for c, _ in table.columns]
    defs = [f"  `{c}` {t}" for c, t in zip(cols, _SQL_TYPES[name])]
    defs.append("  PRIMARY KEY (`id`)")
    if name == "analyses":
        defs.append("  KEY `fk_analyses_patient` (`patient_id`)")
        defs.append("  CONSTRAINT `fk_analyses_patient` FOREIGN KEY (`patient_id`) REFERENCES `patients` (`id`)")
    head = (f"--\n-- Table structure for table `{name}`\n--\n\nDROP TABLE IF EXISTS `{name}`;\n"
            "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
            "/*!40101 SET character_set_client = utf8 */;\n"
            f"CREATE TABLE `{name}` (\n" + ",\n".join(defs) + "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
            "/*!40101 SET character_set_client = @saved_cs_client */;\n\n"
            f"--\n-- Dumping data for table `{name}`\n--\n\nLOCK TABLES `{name}` WRITE;\n"
            f"/*!40000 ALTER TABLE `{name}` DISABLE KEYS */;\n")
    return head


def _table_inserts(table: Table) -> str:
    name = table.table
    cols = [c for c, _ in table.columns]
    tuples = table.frame.select(
        pl.concat_str([pl.lit("(")] + [_sql_value(name, c) for c in cols] + [pl.lit(")")], separator=","
                      ).str.replace(r"^\(,", "(").str.replace(r",\)$", ")")
    ).to_series().to_list()
    inserts = [f"INSERT INTO `{name}` VALUES " + ",".join(tuples[i:i + BATCH]) + ";\n"
               for i in range(0, len(tuples), BATCH)]
    return "".join(inserts)


def _table_tail(name: str) -> str:
    return f"/*!40000 ALTER TABLE `{name}` ENABLE KEYS */;\nUNLOCK TABLES;\n\n"


_PROLOGUE = """-- MySQL dump 10.13  Distrib 5.7.33, for Linux (x86_64)
--
-- Host: 10.0.3.12    Database: sil_labo
-- ------------------------------------------------------
-- Server version\t5.7.33-0ubuntu0.18.04.1

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;

"""
_EPILOGUE = """/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;

-- Dump completed on 2020-11-03  2:14:07
"""


class Writer:
    """The dump, written chunk by chunk: each table's INSERTs grow in a part file, joined when closed."""

    def __init__(self, path: Path):
        self._file = SectionFile(path, 2)
        self._heads: list[bytes] = []

    def add(self, tables: list[Table]) -> None:
        if not self._heads:
            self._heads = [_table_head(t).encode("utf-8") for t in tables]
            self._names = [t.table for t in tables]
        self._file.add([_table_inserts(t).encode("utf-8") for t in tables])

    def close(self) -> None:
        pieces: list[bytes | int] = [_PROLOGUE.encode("utf-8")]
        for i, (head, name) in enumerate(zip(self._heads, self._names)):
            pieces += [head, i, _table_tail(name).encode("utf-8")]
        self._file.close(pieces + [_EPILOGUE.encode("utf-8")])


def open_writer(path: Path) -> Writer:
    return Writer(path)
