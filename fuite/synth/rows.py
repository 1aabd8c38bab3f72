"""Building blocks shared by the seven file builders: one table's rows and their truth.

A builder gathers the persons of its rows, draws per-row values (sample date,
lab, health texts) and formats every column as its file writes it. The result is
a ``Table``: the cells as written plus, per row, the person and the HIV and
condition flags the answer key needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from fuite.synth.health import COMMENT_TABLE, TOPIC_BIT, TOPIC_HIV, PhraseTable, pick_topic, typed_identifier_cells
from fuite.synth.households import reality_bit
from fuite.synth.people import BLOOD_GROUPS
from fuite.synth.pools import INSURERS, Pools
from fuite.synth.variants import blank, choose, date_layout, mojibake, ocr_errors, strip_accents, typos

__all__ = [
    "Ctx", "Table", "HealthCells", "AnalysisCells", "shuffled_rows", "sample_date_cells", "sample_dates",
    "health_cells", "analysis_cells", "children_per_parent", "third_party", "name_cells", "blood_cells",
    "doctor_cells", "insurer_cells", "distractor_nirs", "amounts", "maybe_blank", "person_rows", "ROW_REALITIES",
]

#: Column of ``person_rows`` frames: bits of ``households.REALITIES`` this row shows.
ROW_REALITIES = "row_realities"

_DAY_2015 = np.datetime64("2015-01-01").astype(np.int64)
_DAY_2021 = np.datetime64("2020-12-31").astype(np.int64)


@dataclass
class Ctx:
    """What every builder reads: the persons of one chunk, their health topics and the pools; ``first`` for the
    drill's first chunk (which writes the broken lines), ``start`` the rows each table already has (by table name,
    "" for a file's only table) so that ids and row numbers go on from the previous chunks."""

    persons: pl.DataFrame
    topics: np.ndarray
    pools: Pools
    first: bool = True
    start: dict = field(default_factory=dict)

    def row_labs(self, pids: np.ndarray) -> np.ndarray:
        return row_labs(self.persons, pids)


@dataclass
class Table:
    """One table of one leaked file: cells as written (null = empty) and the truth per row."""

    file: str                                # relative to OUT/leak, posix
    table: str                               # sheet / SQL table / JSON child path, "" otherwise
    columns: list[tuple[str, str]]           # (header as written, taxonomy id)
    frame: pl.DataFrame                      # one column per entry of ``columns``, in order
    person_id: np.ndarray
    hiv: np.ndarray
    conditions: np.ndarray                   # int64 bit masks (health.CONDITION_BITS)
    extra: dict = field(default_factory=dict)  # writer-only data (e.g. SQL ids, JSON parent rows)
    realities: np.ndarray | None = None      # int64 bits of households.REALITIES per row (None: none)


@dataclass
class HealthCells:
    text: pl.Series
    hiv: np.ndarray
    conditions: np.ndarray


def shuffled_rows(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray, *, beneficiary: bool = False,
                  old: bool = False) -> tuple[np.ndarray, pl.DataFrame]:
    """The file's persons in random row order, and each row's person values as the file knows them
    (``person_rows``)."""
    pids = pids[rng.permutation(len(pids))]
    return pids, person_rows(ctx, rng, pids, beneficiary=beneficiary, old=old)


def _bits(mask: np.ndarray, name: str) -> np.ndarray:
    return np.where(mask, np.int64(reality_bit(name)), np.int64(0))


def _last_names(rng: np.random.Generator, p: pl.DataFrame) -> pl.Series:
    """Usage name, birth name, ``MARTIN épouse DURAND``, ``DURAND née MARTIN``, ``DURAND-MARTIN``; compound
    names hyphenated, spaced or cut to their first part; particles sometimes glued (``DELAFONTAINE``)."""
    n = p.height
    u = pl.lit(pl.Series(rng.random(n)))
    v = pl.lit(pl.Series(rng.random(n)))
    usage, born = pl.col("last_name"), pl.col("birth_name")
    married = choose(u, [(0.45, usage), (0.25, born), (0.1, pl.concat_str([born, pl.lit(" épouse "), usage])),
                         (0.1, pl.concat_str([usage, pl.lit(" née "), born])),
                         (0.1, pl.concat_str([usage, pl.lit("-"), born]))])
    hyphen = usage.str.contains("-")
    compound = choose(v, [(0.6, usage), (0.8, usage.str.replace_all("-", " ")),
                          (1, usage.str.split("-").list.first())])
    particle = usage.str.contains(r"^(?i:de |d'|du |le |la |des )")
    glued = usage.str.replace_all(r"[ ']", "")
    return p.select(pl.when(born.is_not_null()).then(married).when(hyphen).then(compound)
                    .when(particle & (v < 0.2)).then(glued).otherwise(usage)).to_series()


def _first_names(rng: np.random.Generator, p: pl.DataFrame) -> pl.Series:
    """The usual first name, or the civil list (in its order, or reversed)."""
    u = pl.lit(pl.Series(rng.random(p.height)))
    civil = pl.col("first_names")
    several = civil != pl.col("first_name")
    reordered = civil.str.split(" ").list.reverse().list.join(" ")
    return p.select(pl.when(several & (u < 0.28)).then(civil).when(several & (u < 0.4)).then(reordered)
                    .otherwise(pl.col("first_name"))).to_series()


def _birth_errors(rng: np.random.Generator, birth: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """Day and month swapped (when both can be months) or one digit wrong, on a few rows."""
    n = len(birth)
    y, m, d = (birth.dt.year().to_numpy(), birth.dt.month().to_numpy(), birth.dt.day().to_numpy())
    u = rng.random(n)
    swap = (u < 0.006) & (d <= 12) & (d != m)
    digit = (u >= 0.006) & (u < 0.012) & ~np.isnan(d.astype(float))
    day = np.where(swap, m, np.where(digit, np.where((d % 10 <= 1) & (d < 28), d + 1, d - 1), d))
    month = np.where(swap, d, m)
    frame = pl.DataFrame({"y": y, "m": month, "d": day}).select(pl.date("y", "m", "d").alias("b"))
    damaged = swap | digit
    return frame["b"].zip_with(pl.Series(damaged), birth), damaged


def row_labs(persons: pl.DataFrame, pids: np.ndarray) -> np.ndarray:
    """The lab of each row of ``pids``: the person's own lab, or their second lab (``lab2``, when they have one)
    on every other row of a table. No draw: a table's rows alternate, so a person of two labs shows both."""
    lab = persons["lab"].to_numpy()[pids]
    if "lab2" not in persons.columns or not len(pids):
        return lab
    second = persons["lab2"].to_numpy()[pids]
    return np.where((second >= 0) & ((np.arange(len(pids)) + pids) % 2 == 1), second, lab)


def person_rows(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray, *, beneficiary: bool = False,
                old: bool = False) -> pl.DataFrame:
    """The persons of ``pids`` as one file writes them, with a ``row_realities`` column.

    An ayant droit's row carries the insured person's NIR (always with ``beneficiary``: the file
    has a rank or quality column; else an uncovered spouse always, a child on 60 % of rows). Names
    take their married, compound and particle forms, first names their civil list or usual
    form, a few birth dates an error, a few names mojibake or OCR errors; with ``old`` (an old
    archive) a moved person keeps the old address and mobile.
    """
    p = ctx.persons[pids].with_columns(pl.col("last_name").alias("usage_name"), pl.Series("lab", row_labs(ctx.persons, pids)))
    n = p.height
    insured = p["insured"].to_numpy()
    child = (p["quality"] == "ENFANT").to_numpy()
    use_insured = (insured >= 0) & (beneficiary | ~child | (rng.random(n) < 0.6))
    own_nir = p["nir"].to_numpy()
    nir = np.where(use_insured, ctx.persons["nir"].to_numpy()[np.maximum(insured, 0)], own_nir)
    birth, birth_damaged = _birth_errors(rng, p["birth_date"])
    last, first = _last_names(rng, p), _first_names(rng, p)
    moji = (rng.random(n) < 0.006) & last.str.contains(r"[^\x00-\x7f]").fill_null(False).to_numpy()
    ocr = rng.random(n) < 0.005
    last = mojibake(last, np.flatnonzero(moji))
    first = ocr_errors(first, np.flatnonzero(ocr), rng.integers(0, 1 << 30, int(ocr.sum())))
    bits = (_bits(use_insured, "insured_nir_written") | _bits(birth_damaged, "birth_date_error")
            | _bits(moji, "mojibake") | _bits(ocr, "ocr_error"))
    p = p.with_columns(pl.Series("nir", nir.tolist(), dtype=pl.String), birth.alias("birth_date"),
                       last.alias("last_name"), first.alias("first_name"),
                       pl.Series(ROW_REALITIES, bits))
    if old:
        moved = pl.col("moved")
        p = p.with_columns(*[pl.when(moved).then(pl.col(f"old_{c}")).otherwise(pl.col(c)).alias(c)
                             for c in ("street", "postal_code", "city", "mobile")])
    return p


def sample_date_cells(rng: np.random.Generator, n: int, layout: str) -> pl.Series:
    """Sample dates written in a ``variants.date_layout``."""
    return pl.select(date_layout(pl.lit(sample_dates(rng, n)), layout)).to_series()


def sample_dates(rng: np.random.Generator, n: int) -> pl.Series:
    """Sample dates uniformly over 2015–2020."""
    days = rng.integers(_DAY_2015, _DAY_2021 + 1, n)
    return pl.Series("sample_date", days.astype("datetime64[D]")).cast(pl.Date)


def health_cells(rng: np.random.Generator, ctx: Ctx, pids: np.ndarray, table: PhraseTable,
                 p_generic: float, p_topic: float, generic_weight: float = 0.3) -> HealthCells:
    """One health text per row (or null) about one of the person's topics, with the flags it reveals."""
    n = len(pids)
    topic = pick_topic(ctx.topics[pids], rng.random(n), generic_weight)
    topic = np.where(table.own[topic], topic, 0)  # topics without phrases of this kind fall back to generic
    present = rng.random(n) < np.where(topic == 0, p_generic, p_topic)
    idx = table.pick(topic, rng.random(n))
    values = pl.Series(table.values, dtype=pl.String)
    text = values.gather(idx)
    text = pl.select(pl.when(pl.lit(pl.Series(present))).then(pl.lit(text))).to_series()
    if table is COMMENT_TABLE:      # a patient's own phone, email or NIR typed into a share of comments
        text = typed_identifier_cells(rng, ctx.persons[pids], text, share=0.03)
    return HealthCells(text=text, hiv=present & TOPIC_HIV[topic], conditions=np.where(present, TOPIC_BIT[topic], 0))


def third_party(rng: np.random.Generator, ctx: Ctx, text: pl.Series, share: float) -> pl.Series:
    """Append a third person's name to a share of non-empty comments (``vu avec Mme Durand``)."""
    n = len(text)
    names = pl.Series(ctx.pools.last_names[rng.integers(0, len(ctx.pools.last_names), n)], dtype=pl.String)
    forms = pl.Series(["vu avec Mme ", "appel de M. ", "résultats transmis au Dr ", "prévenir sa fille Mme ",
                       "accompagné par M. "], dtype=pl.String).gather(rng.integers(0, 5, n))
    add = rng.random(n) < share
    suffix = pl.concat_str([pl.lit(" — "), pl.lit(forms), pl.lit(names)])
    return pl.select(pl.when(pl.lit(pl.Series(add)) & pl.lit(text).is_not_null())
                     .then(pl.concat_str([pl.lit(text), suffix])).otherwise(pl.lit(text))).to_series()


def name_cells(rng: np.random.Generator, rows: pl.DataFrame, *, upper_last: float, upper_first: float,
               no_accent: float, typo: float, swap: float) -> tuple[pl.Series, pl.Series]:
    """Last and first names as a file writes them: case, lost accents, typos, swapped fields."""
    n = rows.height
    u = rng.random((5, n))
    last = pl.col("last_name")
    first = pl.col("first_name")
    last = pl.when(pl.lit(pl.Series(u[0])) < upper_last).then(last.str.to_uppercase()).otherwise(last)
    first = pl.when(pl.lit(pl.Series(u[1])) < upper_first).then(first.str.to_uppercase()).otherwise(first)
    strip = pl.lit(pl.Series(u[2])) < no_accent
    last = pl.when(strip).then(strip_accents(last)).otherwise(last)
    first = pl.when(strip).then(strip_accents(first)).otherwise(first)
    swapped = pl.lit(pl.Series(u[3])) < swap
    out = rows.select(last=pl.when(swapped).then(first).otherwise(last),
                      first=pl.when(swapped).then(last).otherwise(first))
    damaged = np.flatnonzero(u[4] < typo)
    which = rng.random(len(damaged)) < 0.7
    r = rng.integers(0, 1 << 30, len(damaged))
    last_s = typos(out["last"], damaged[which], r[which])
    first_s = typos(out["first"], damaged[~which], r[~which])
    return last_s, first_s


def blood_cells(rng: np.random.Generator, blood: np.ndarray, notation: str) -> pl.Series | tuple[pl.Series, pl.Series]:
    """Blood group in a notation: ``symbol`` (A+), ``word`` (O neg), ``rh`` (A Rh+), or ``split`` (A | POS)."""
    group = np.array([g for g, _, _ in BLOOD_GROUPS], dtype=object)[blood]
    rh = np.array([r for _, r, _ in BLOOD_GROUPS], dtype=object)[blood]
    if notation == "symbol":
        return pl.Series(group + rh, dtype=pl.String)
    if notation == "word":
        words = np.where(rng.random(len(blood)) < 0.5, np.where(rh == "+", " pos", " neg"),
                         np.where(rh == "+", " positif", " négatif"))
        return pl.Series(group + words, dtype=pl.String)
    if notation == "rh":
        return pl.Series(group + " Rh" + rh, dtype=pl.String)
    if notation == "split":
        rh_word = np.where(rng.random(len(blood)) < 0.6, rh, np.where(rh == "+", "POS", "NEG"))
        return pl.Series(group, dtype=pl.String), pl.Series(rh_word, dtype=pl.String)
    raise ValueError(notation)


def doctor_cells(rng: np.random.Generator, ctx: Ctx, doctor: np.ndarray, layouts: list[tuple[float, str]]) -> pl.Series:
    """Referring doctor's name: ``Dr Jean MARTIN``, ``Dr MARTIN``, ``DR MARTIN J``, ``MARTIN Jean (Dr)``…"""
    p = ctx.pools
    df = pl.DataFrame({"f": pl.Series(p.doctor_first[doctor], dtype=pl.String),
                       "l": pl.Series(p.doctor_last[doctor], dtype=pl.String)})
    f, lname = pl.col("f"), pl.col("l")
    forms = {
        "dr_full": pl.concat_str([pl.lit("Dr "), f, pl.lit(" "), lname.str.to_uppercase()]),
        "dr_last": pl.concat_str([pl.lit("Dr "), lname]),
        "upper_initial": pl.concat_str([pl.lit("DR "), strip_accents(lname.str.to_uppercase()), pl.lit(" "),
                                        f.str.slice(0, 1)]),
        "last_first_dr": pl.concat_str([lname.str.to_uppercase(), pl.lit(" "), f, pl.lit(" (Dr)")]),
        "docteur": pl.concat_str([pl.lit("Docteur "), f, pl.lit(" "), lname]),
    }
    u = rng.random(len(doctor))
    return df.select(choose(pl.lit(pl.Series(u)), [(pr, forms[k]) for pr, k in layouts])).to_series()


def insurer_cells(insurer: np.ndarray, abbreviated: bool) -> pl.Series:
    """The mutuelle's name (null when the person has none)."""
    names = np.array([a if abbreviated else full for full, a, _ in INSURERS], dtype=object)
    return pl.Series(np.where(insurer >= 0, names[np.maximum(insurer, 0)], None).tolist(), dtype=pl.String)


def distractor_nirs(rng: np.random.Generator, n: int) -> pl.Series:
    """Order numbers shaped like NIRs (15 digits, plausible sex/year/month) whose key is wrong."""
    head = (rng.integers(1, 3, n) * 10**12 + rng.integers(0, 100, n) * 10**10 + rng.integers(1, 13, n) * 10**8
            + rng.integers(10, 96, n) * 10**6 + rng.integers(0, 10**6, n))
    good = 97 - head % 97
    wrong = (good - 1 + rng.integers(1, 97, n)) % 97 + 1  # any key in 1..97 but the right one
    digits = pl.Series(head).cast(pl.String).str.zfill(13)
    keys = pl.Series(wrong).cast(pl.String).str.zfill(2)
    return pl.select(pl.concat_str([pl.lit(digits), pl.lit(keys)])).to_series()


def amounts(rng: np.random.Generator, n: int, comma: bool) -> pl.Series:
    """Amounts billed, e.g. ``23,50`` (comma decimal) or ``23.50``."""
    cents = rng.integers(350, 25000, n)
    s = pl.Series((cents // 100).astype(str), dtype=pl.String)
    c = pl.Series(cents % 100).cast(pl.String).str.zfill(2)
    return pl.select(pl.concat_str([pl.lit(s), pl.lit("," if comma else "."), pl.lit(c)])).to_series()


def maybe_blank(series: pl.Series, rng: np.random.Generator, p: float) -> pl.Series:
    """Null a share ``p`` of cells."""
    return pl.select(blank(pl.lit(series), rng.random(len(series)), p)).to_series()


@dataclass
class AnalysisCells:
    code: pl.Series
    label: pl.Series
    result: pl.Series
    hiv: np.ndarray
    conditions: np.ndarray


def analysis_cells(rng: np.random.Generator, ctx: Ctx, pids: np.ndarray) -> AnalysisCells:
    """One lab analysis per row (code, label, result) about one of the person's topics."""
    from fuite.synth.health import ANALYSIS_TABLE as table

    n = len(pids)
    topic = pick_topic(ctx.topics[pids], rng.random(n), generic_weight=0.5)
    idx = table.pick(topic, rng.random(n))
    parts = list(zip(*table.values))
    code, label, result = (pl.Series(list(col), dtype=pl.String).gather(idx) for col in parts)
    return AnalysisCells(code, label, result, TOPIC_HIV[topic].copy(), TOPIC_BIT[topic].copy())


def children_per_parent(rng: np.random.Generator, n: int, probs: tuple[float, ...] = (0.6, 0.3, 0.1)) -> np.ndarray:
    """How many child rows (analyses, samples) each parent row has: 1, 2, 3…"""
    return rng.choice(np.arange(1, len(probs) + 1), size=n, p=np.array(probs))
