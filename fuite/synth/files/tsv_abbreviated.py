"""File 2: a UTF-8 tab-separated dump with abbreviated headers (NSS, DDN, CP, TEL1, MAIL, GRP, RH…).

Names in upper case without accents, dates ``yyyy-mm-dd``, sex coded 1/2, the NIR
split in two columns (``NSS`` = 13 digits, ``CLE`` = the key), compact phones,
blood group and Rh in two columns, prescriber RPPS and lab FINESS.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from fuite.synth.health import COMMENT_TABLE, TREATMENT_TABLE
from fuite.synth.rows import (
    Ctx, ROW_REALITIES, Table, amounts, blood_cells, doctor_cells, shuffled_rows, health_cells, insurer_cells, maybe_blank, name_cells,
    sample_date_cells,
)
from fuite.synth.stream import TextFile
from fuite.synth.variants import date_layout, nir_layout, strip_accents

PATH = "anonfiles/bdd_labo_35.tsv"

COLUMNS = [
    ("ID_PAT", "internal_id"), ("NOM", "last_name"), ("PRENOM", "first_name"), ("DDN", "birth_date"), ("SX", "sex"),
    ("NSS", "nir"), ("CLE", "nir"), ("RANG", "beneficiary_rank"), ("ADR", "street_address"), ("CP", "postal_code"), ("VILLE", "city"),
    ("TEL1", "phone"), ("TEL2", "phone"), ("MAIL", "email"), ("GRP", "blood_group"), ("RH", "blood_group"),
    ("MED_TRT", "physician_name"), ("RPPS", "physician_id"), ("MUT", "insurer_name"), ("NUM_ADH", "insurer_id"),
    ("FINESS", "lab_id"), ("DT_PREL", "sample_date"), ("TTT", "medication"), ("OBS", "health_note"), ("MT", "other"),
]


def build(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray) -> list[Table]:
    pids, p = shuffled_rows(ctx, rng, pids, beneficiary=True)
    n = len(pids)
    last, first = name_cells(rng, p, upper_last=1.0, upper_first=1.0, no_accent=0.9, typo=0.02, swap=0.01)
    treat = health_cells(rng, ctx, pids, TREATMENT_TABLE, p_generic=0.25, p_topic=0.8, generic_weight=0.2)
    obs = health_cells(rng, ctx, pids, COMMENT_TABLE, p_generic=0.3, p_topic=0.6)
    group, rh = blood_cells(rng, p["blood"].to_numpy(), "split")
    has_blood = rng.random(n) >= 0.3
    cells = p.select(
        birth=date_layout(pl.col("birth_date"), "iso"),
        sex=pl.when(pl.col("sex") == "M").then(pl.lit("1")).otherwise(pl.lit("2")),
        nss=nir_layout(pl.col("nir"), "body"),
        key=nir_layout(pl.col("nir"), "key"),
        street=strip_accents(pl.col("street").str.to_uppercase()),
        city=strip_accents(pl.col("city").str.to_uppercase()),
        tel1=pl.coalesce(pl.col("mobile"), pl.col("landline")),
        tel2=pl.when(pl.col("mobile").is_not_null()).then(pl.col("landline")),
        mail=pl.col("email"),
    )
    no_nir = rng.random(n) < 0.08
    frame = pl.DataFrame({
        "ID_PAT": pl.Series(rng.integers(10**5, 10**6, n)).cast(pl.String),
        "NOM": last,
        "PRENOM": first,
        "DDN": maybe_blank(cells["birth"], rng, 0.02),
        "SX": cells["sex"],
        "NSS": pl.Series(np.where(no_nir, None, cells["nss"].to_numpy()).tolist(), dtype=pl.String),
        "CLE": pl.Series(np.where(no_nir, None, cells["key"].to_numpy()).tolist(), dtype=pl.String),
        "RANG": p["rank"].cast(pl.String).str.zfill(2),
        "ADR": maybe_blank(cells["street"], rng, 0.06),
        "CP": p["postal_code"],
        "VILLE": cells["city"],
        "TEL1": maybe_blank(cells["tel1"], rng, 0.04),
        "TEL2": cells["tel2"],
        "MAIL": maybe_blank(cells["mail"], rng, 0.12),
        "GRP": pl.Series(np.where(has_blood, group.to_numpy(), None).tolist(), dtype=pl.String),
        "RH": pl.Series(np.where(has_blood, rh.to_numpy(), None).tolist(), dtype=pl.String),
        "MED_TRT": doctor_cells(rng, ctx, p["doctor"].to_numpy(), [(0.8, "upper_initial"), (1, "last_first_dr")]),
        "RPPS": maybe_blank(pl.Series(ctx.pools.doctor_rpps[p["doctor"].to_numpy()], dtype=pl.String), rng, 0.1),
        "MUT": insurer_cells(p["insurer"].to_numpy(), abbreviated=True),
        "NUM_ADH": p["member"],
        "FINESS": pl.Series(ctx.pools.lab_finess[p["lab"].to_numpy()], dtype=pl.String),
        "DT_PREL": sample_date_cells(rng, n, "iso"),
        "TTT": treat.text,
        "OBS": obs.text,
        "MT": amounts(rng, n, comma=False),
    })
    return [Table(PATH, "", COLUMNS, frame, pids, treat.hiv | obs.hiv, treat.conditions | obs.conditions,
                  realities=p[ROW_REALITIES].to_numpy())]


def _render(tables: list[Table], first: bool) -> bytes:
    return tables[0].frame.write_csv(separator="\t", quote_style="never", include_header=first).encode("utf-8")


def open_writer(path: Path) -> TextFile:
    """The file, written chunk by chunk (the header with the first)."""
    return TextFile(path, _render)
