"""File 1: a ``;``-separated CSV in cp1252 with French headers and CRLF line ends (a Windows export).

One row per sample: about one person in ten appears twice (two visits). Names in
upper case with accents mostly kept, dates ``dd/mm/yyyy``, phones ``06 12 34 56 78``,
NIR spaced ``1 85 05 35 238 123 45`` or compact, amounts with a decimal comma and an
order number that looks like a NIR but fails the key.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from fuite.synth.health import COMMENT_TABLE
from fuite.synth.rows import (
    Ctx, Table, amounts, blood_cells, distractor_nirs, doctor_cells, health_cells, insurer_cells,
    maybe_blank, name_cells, person_rows, sample_date_cells, third_party, ROW_REALITIES,
)
from fuite.synth.stream import TextFile
from fuite.synth.variants import choose, date_layout, nir_layout, phone_layout

PATH = "mega/Export_Labos_Ouest/export_patients_2020.csv"
ENCODING = "cp1252"

COLUMNS = [
    ("N° dossier", "internal_id"), ("Nom", "last_name"), ("Prénom", "first_name"),
    ("Date de naissance", "birth_date"), ("Sexe", "sex"), ("N° Sécurité Sociale", "nir"), ("Adresse", "street_address"),
    ("Code postal", "postal_code"), ("Ville", "city"), ("Téléphone", "phone"), ("Email", "email"),
    ("Groupe sanguin", "blood_group"), ("Médecin prescripteur", "physician_name"), ("Mutuelle", "insurer_name"),
    ("N° adhérent", "insurer_id"), ("Laboratoire", "lab_name"), ("Date prélèvement", "sample_date"),
    ("Commentaire", "health_note"), ("N° commande", "internal_id"), ("Montant (€)", "other"),
]


def row_persons(rng: np.random.Generator, pids: np.ndarray) -> np.ndarray:
    """Each person once, one in ten twice; shuffled."""
    again = pids[rng.random(len(pids)) < 0.1]
    rows = np.concatenate([pids, again])
    return rows[rng.permutation(len(rows))]


def build(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray) -> list[Table]:
    pids = row_persons(rng, pids)
    n = len(pids)
    p = person_rows(ctx, rng, pids)
    last, first = name_cells(rng, p, upper_last=0.85, upper_first=0.1, no_accent=0.15, typo=0.02, swap=0.02)
    comment = health_cells(rng, ctx, pids, COMMENT_TABLE, p_generic=0.45, p_topic=0.85)
    u = rng.random((8, n))
    phone_src = pl.coalesce(pl.col("mobile"), pl.col("landline"))
    cells = p.select(
        dossier=pl.concat_str([pl.lit("D"), pl.lit(pl.Series(rng.integers(2015, 2021, n)).cast(pl.String)),
                               pl.lit("-"), pl.lit(pl.Series(rng.integers(0, 10**6, n)).cast(pl.String).str.zfill(6))]),
        birth=date_layout(pl.col("birth_date"), "fr"),
        sex=pl.when(pl.col("sex") == "M").then(choose(u[0], [(0.8, pl.lit("M")), (1, pl.lit("H"))]))
        .otherwise(pl.lit("F")),
        nir=choose(u[1], [(0.55, nir_layout(pl.col("nir"), "spaced")), (1, nir_layout(pl.col("nir"), "compact"))]),
        street=pl.col("street"),
        cp=pl.col("postal_code"),
        city=choose(u[2], [(0.6, pl.col("city").str.to_uppercase()), (1, pl.col("city"))]),
        phone=choose(u[3], [(0.6, phone_layout(phone_src, "spaced")), (0.85, phone_layout(phone_src, "compact")),
                                 (1, phone_layout(phone_src, "dotted"))]),
        email=choose(u[4], [(0.06, pl.concat_str([pl.col("email").str.slice(0, 1).str.to_uppercase(),
                                                   pl.col("email").str.slice(1)])),
                            (1, pl.col("email"))]),
    )
    frame = pl.DataFrame({
        "N° dossier": cells["dossier"],
        "Nom": last,
        "Prénom": first,
        "Date de naissance": maybe_blank(cells["birth"], rng, 0.02),
        "Sexe": maybe_blank(cells["sex"], rng, 0.03),
        "N° Sécurité Sociale": maybe_blank(cells["nir"], rng, 0.12),
        "Adresse": maybe_blank(cells["street"], rng, 0.05),
        "Code postal": maybe_blank(cells["cp"], rng, 0.03),
        "Ville": maybe_blank(cells["city"], rng, 0.03),
        "Téléphone": maybe_blank(cells["phone"], rng, 0.05),
        "Email": maybe_blank(cells["email"], rng, 0.1),
        "Groupe sanguin": maybe_blank(blood_cells(rng, p["blood"].to_numpy(), "symbol"), rng, 0.35),
        "Médecin prescripteur": maybe_blank(
            doctor_cells(rng, ctx, p["doctor"].to_numpy(), [(0.5, "dr_full"), (0.3, "dr_last"), (1, "docteur")]),
            rng, 0.1),
        "Mutuelle": insurer_cells(p["insurer"].to_numpy(), abbreviated=False),
        "N° adhérent": maybe_blank(p["member"], rng, 0.1),
        "Laboratoire": pl.Series(ctx.pools.lab_names[p["lab"].to_numpy()], dtype=pl.String),
        "Date prélèvement": sample_date_cells(rng, n, "fr"),
        "Commentaire": third_party(rng, ctx, comment.text, 0.04),
        "N° commande": maybe_blank(distractor_nirs(rng, n), rng, 0.3),
        "Montant (€)": amounts(rng, n, comma=True),
    })
    return [Table(PATH, "", COLUMNS, frame, pids, comment.hiv, comment.conditions,
                  realities=p[ROW_REALITIES].to_numpy())]


def _render(tables: list[Table], first: bool) -> bytes:
    text = tables[0].frame.write_csv(separator=";", line_terminator="\r\n", include_header=first)
    return text.replace("β", "bêta").encode(ENCODING)


def open_writer(path: Path) -> TextFile:
    """The file, written chunk by chunk (the header with the first)."""
    return TextFile(path, _render)
