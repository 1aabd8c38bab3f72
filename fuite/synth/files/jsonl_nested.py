"""File 3: nested JSON lines — one patient file per line.

Objects under ``identite``, ``coordonnees``, ``medecin`` and ``mutuelle``; arrays
of scalars (``coordonnees.tel``, ``antecedents``, ``traitements``); an array of
objects ``prelevements`` (one per sample) that the answer key lists as the child
table ``prelevements`` with columns named relative to the child object. Birth
dates ``dd-mm-yy`` or ``yyyymmdd``; the whole postal address in one cell.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from fuite.synth.health import COMMENT_TABLE, TREATMENT_TABLE
from fuite.synth.rows import (
    Ctx, ROW_REALITIES, Table, analysis_cells, blood_cells, children_per_parent, doctor_cells, shuffled_rows, health_cells,
    insurer_cells, maybe_blank, name_cells, sample_date_cells,
)
from fuite.synth.stream import TextFile
from fuite.synth.variants import choose, date_layout, nir_layout, phone_layout

PATH = "pastebin/dossiers_patients.jsonl"
CHILD = "prelevements"

COLUMNS = [
    ("ref", "internal_id"), ("identite.nom", "last_name"), ("identite.prenom", "first_name"),
    ("identite.naissance", "birth_date"), ("identite.sexe", "sex"), ("identite.nir", "nir"),
    ("coordonnees.adresse", "full_address"), ("coordonnees.tel[]", "phone"), ("coordonnees.email", "email"),
    ("medecin.nom", "physician_name"), ("medecin.rpps", "physician_id"), ("mutuelle.nom", "insurer_name"),
    ("mutuelle.adherent", "insurer_id"), ("mutuelle.qualite", "beneficiary_quality"),
    ("mutuelle.rang", "beneficiary_rank"), ("groupe_sanguin", "blood_group"), ("antecedents[]", "health_note"),
    ("traitements[]", "medication"),
]
CHILD_COLUMNS = [
    ("date", "sample_date"), ("labo", "lab_name"), ("finess", "lab_id"), ("examen", "health_note"),
    ("resultat", "health_note"), ("commentaire", "health_note"),
]


def _as_list(series: pl.Series) -> pl.Series:
    """A one-item list per non-null value, [] for null."""
    return pl.select(pl.when(pl.lit(series).is_not_null()).then(pl.concat_list(pl.lit(series)))
                     .otherwise(pl.lit([], dtype=pl.List(pl.String)))).to_series()


def build(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray) -> list[Table]:
    pids, p = shuffled_rows(ctx, rng, pids)
    n = len(pids)
    last, first = name_cells(rng, p, upper_last=0.3, upper_first=0.0, no_accent=0.2, typo=0.02, swap=0.03)
    history = health_cells(rng, ctx, pids, COMMENT_TABLE, p_generic=0.3, p_topic=0.7)
    treat = health_cells(rng, ctx, pids, TREATMENT_TABLE, p_generic=0.3, p_topic=0.85, generic_weight=0.2)
    u = rng.random((4, n))
    cells = p.select(
        birth=choose(u[0], [(0.7, date_layout(pl.col("birth_date"), "fr_short")),
                                 (1, date_layout(pl.col("birth_date"), "compact"))]),
        nir=choose(u[1], [(0.7, nir_layout(pl.col("nir"), "compact")), (1, nir_layout(pl.col("nir"), "spaced"))]),
        address=choose(u[2], [
            (0.6, pl.concat_str([pl.col("street"), pl.lit(", "), pl.col("postal_code"), pl.lit(" "), pl.col("city")])),
            (1, pl.concat_str([pl.col("street"), pl.lit(" "), pl.col("postal_code"), pl.lit(" "),
                               pl.col("city").str.to_uppercase()]))]),
        mobile=choose(u[3], [(0.5, phone_layout(pl.col("mobile"), "intl_spaced")),
                                  (1, phone_layout(pl.col("mobile"), "spaced"))]),
        landline=phone_layout(pl.col("landline"), "spaced"),
    )
    phones = pl.select(pl.concat_list(pl.lit(cells["mobile"]), pl.lit(cells["landline"])).list.drop_nulls()).to_series()
    insurer = insurer_cells(p["insurer"].to_numpy(), abbreviated=False)
    tel_joined = phones.list.join(", ")
    own = np.random.default_rng([n, 14])          # its own stream: the rest of the drill draws as before
    rank = own.choice(np.array([1, 2, 3, 4]), size=n, p=[0.6, 0.2, 0.15, 0.05])
    quality = np.where(rank == 1, "ASSURE", np.where(rank == 2, "CONJOINT", "ENFANT"))
    flat = pl.DataFrame({
        "ref": pl.Series([f"PX-{v}" for v in rng.integers(10**6, 10**7, n).tolist()], dtype=pl.String),
        "identite.nom": last,
        "identite.prenom": first,
        "identite.naissance": maybe_blank(cells["birth"], rng, 0.02),
        "identite.sexe": p["sex"],
        "identite.nir": maybe_blank(cells["nir"], rng, 0.2),
        "coordonnees.adresse": maybe_blank(cells["address"], rng, 0.05),
        "coordonnees.tel[]": pl.select(pl.when(pl.lit(tel_joined) != "").then(pl.lit(tel_joined))).to_series(),
        "coordonnees.email": maybe_blank(p["email"], rng, 0.05),
        "medecin.nom": doctor_cells(rng, ctx, p["doctor"].to_numpy(), [(0.7, "dr_full"), (1, "docteur")]),
        "medecin.rpps": pl.Series(ctx.pools.doctor_rpps[p["doctor"].to_numpy()], dtype=pl.String),
        "mutuelle.nom": insurer,
        "mutuelle.adherent": p["member"],
        "mutuelle.qualite": maybe_blank(pl.Series(quality, dtype=pl.String), own, 0.1),
        "mutuelle.rang": pl.Series([f"{r:02d}" for r in rank.tolist()], dtype=pl.String),
        "groupe_sanguin": maybe_blank(blood_cells(rng, p["blood"].to_numpy(), "word"), rng, 0.4),
        "antecedents[]": history.text,
        "traitements[]": treat.text,
    })
    parent = Table(PATH, "", COLUMNS, flat, pids, history.hiv | treat.hiv, history.conditions | treat.conditions,
                   realities=p[ROW_REALITIES].to_numpy(),
                   extra={"phones": phones})
    counts = children_per_parent(rng, n)
    parent_row = np.repeat(np.arange(n), counts)
    cpids = pids[parent_row]
    m = len(cpids)
    analysis = analysis_cells(rng, ctx, cpids)
    remark = health_cells(rng, ctx, cpids, COMMENT_TABLE, p_generic=0.05, p_topic=0.2)
    lab = ctx.row_labs(cpids)
    child_frame = pl.DataFrame({
        "date": sample_date_cells(rng, m, "iso"),
        "labo": pl.Series(ctx.pools.lab_names[lab], dtype=pl.String),
        "finess": pl.Series(ctx.pools.lab_finess[lab], dtype=pl.String),
        "examen": analysis.label,
        "resultat": analysis.result,
        "commentaire": remark.text,
    })
    child = Table(PATH, CHILD, CHILD_COLUMNS, child_frame, cpids, analysis.hiv | remark.hiv,
                  analysis.conditions | remark.conditions, extra={"parent_row": parent_row})
    return [parent, child]


def _render(tables: list[Table], first: bool) -> bytes:
    parent, child = tables
    f = parent.frame
    kids = (child.frame.with_columns(parent_row=pl.Series(child.extra["parent_row"]))
            .group_by("parent_row", maintain_order=True)
            .agg(pl.struct(*child.frame.columns).alias(CHILD)))
    doc = pl.DataFrame({
        "ref": f["ref"],
        "identite": f.select(pl.struct(nom="identite.nom", prenom="identite.prenom", naissance="identite.naissance",
                                       sexe="identite.sexe", nir="identite.nir")).to_series(),
        "coordonnees": pl.DataFrame({"adresse": f["coordonnees.adresse"], "tel": parent.extra["phones"],
                                     "email": f["coordonnees.email"]}).select(pl.struct(pl.all())).to_series(),
        "medecin": f.select(pl.struct(nom="medecin.nom", rpps="medecin.rpps")).to_series(),
        "mutuelle": f.select(pl.struct(nom="mutuelle.nom", adherent="mutuelle.adherent", qualite="mutuelle.qualite",
                                       rang="mutuelle.rang")).to_series(),
        "groupe_sanguin": f["groupe_sanguin"],
        "antecedents": _as_list(f["antecedents[]"]),
        "traitements": _as_list(f["traitements[]"]),
        CHILD: kids[CHILD],
    })
    return doc.write_ndjson().encode("utf-8")


def open_writer(path: Path) -> TextFile:
    """The file, written chunk by chunk."""
    return TextFile(path, _render)
