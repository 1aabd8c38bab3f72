"""The true persons of a drill, drawn column by column with numpy.

One row per person with canonical values (the answer key's truth): names as in
civil status, ISO birth date, a valid NIR consistent with sex and birth date,
unique E.164 phone and lowercase email when they have one, a postal address in
north-west France, a blood group, a referring doctor, a mutuelle and a home lab.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fuite.synth.health import person_topics
from fuite.synth.households import arrange
from fuite.synth.pools import EMAIL_DOMAINS, INSURERS, Pools
from fuite.synth.variants import strip_accents

__all__ = ["make_persons", "nir_keys", "email_hashes", "BLOOD_GROUPS"]

#: (ABO group, Rh, share in France).
BLOOD_GROUPS = (("O", "+", 36), ("A", "+", 37), ("B", "+", 9), ("AB", "+", 3), ("O", "-", 6), ("A", "-", 7),
                ("B", "-", 1), ("AB", "-", 1))

_MOBILE_PREFIXES = np.array([60, 61, 62, 64, 65, 66, 67, 68, 73, 74, 75, 76, 77, 78])  # 06 0…, 07 3…
_LANDLINE_PREFIXES = np.array([296, 297, 298, 299, 240, 241, 243, 231, 233, 235, 232, 251, 223])  # 02 96…
_COUNTRIES = np.array([350, 352, 351, 139, 109, 134, 127, 132, 331, 416])  # INSEE country codes for NIRs "99"
_DAY0 = np.datetime64("1970-01-01")


def nir_keys(body13: np.ndarray) -> np.ndarray:
    """NIR check keys (97 - n mod 97) for 13-digit bodies given as int64, Corsica already mapped (2A→19, 2B→18)."""
    return 97 - body13 % 97


def _order_numbers(part: tuple[int, int]) -> tuple[int, int]:
    """The NIR order numbers (first, count) of chunk ``part = (index, chunks)``: 1..999 split between the chunks,
    so that two chunks never draw the same NIR."""
    index, chunks = part
    width = 999 // chunks
    return 1 + index * width, width


def _dedupe_draw(rng: np.random.Generator, values: np.ndarray, redraw, base: np.ndarray | None = None,
                 orders: tuple[int, int] = (1, 999)) -> np.ndarray:
    """Redraw duplicate values until all are unique (collisions are rare, so a few rounds).

    With ``base``, duplicates become ``base + a new order number`` (in ``orders``: first, count) instead of
    ``redraw(k)``.
    """
    for _ in range(100):
        _, first = np.unique(values, return_index=True)
        dup = np.ones(len(values), dtype=bool)
        dup[first] = False
        if not dup.any():
            return values
        k = int(dup.sum())
        values[dup] = redraw(k) if base is None else base[dup] + rng.integers(orders[0], orders[0] + orders[1], k)
    raise RuntimeError("could not draw unique values")


def _nirs(rng: np.random.Generator, pools: Pools, female: np.ndarray, birth: np.ndarray,
          part: tuple[int, int] = (0, 1)) -> np.ndarray:
    n = len(female)
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dept_idx = rng.choice(len(pools.birth_depts), size=n, p=pools.birth_dept_weights)
    depts = pools.birth_depts[dept_idx]
    dept_num = np.array([19 if d == "2A" else 18 if d == "2B" else int(d) for d in pools.birth_depts])[dept_idx]
    abroad = depts == "99"
    corsica = (depts == "2A") | (depts == "2B")
    commune = np.where(abroad, _COUNTRIES[rng.integers(0, len(_COUNTRIES), n)],
                       np.where(corsica, rng.integers(1, 367, n), rng.integers(1, 700, n)))
    head = (np.where(female, 2, 1) * 10**12 + (years % 100) * 10**10 + months * 10**8 + dept_num * 10**6
            + commune * 10**3)
    lo, width = _order_numbers(part)
    body = _dedupe_draw(rng, head + rng.integers(lo, lo + width, n), None, head, (lo, width))
    keys = nir_keys(body)
    digits = pl.Series(body).cast(pl.String).str.zfill(13)
    dept_str = pl.Series(depts.astype(str))
    return (
        pl.DataFrame({"d": digits, "dept": dept_str, "k": pl.Series(keys).cast(pl.String).str.zfill(2)})
        .select(pl.concat_str([pl.col("d").str.slice(0, 5), pl.col("dept"), pl.col("d").str.slice(7), pl.col("k")]))
        .to_series()
        .to_numpy()
    )


def _phones(rng: np.random.Generator, n: int, prefixes: np.ndarray, part: tuple[int, int] = (0, 1)) -> np.ndarray:
    """Unique 9-digit national numbers (as int) like 612345678 (the leading 0 is added when written).

    Chunk ``part = (index, chunks)`` draws the numbers whose last digits are ``index`` modulo ``chunks``, so two
    chunks never share one; when a chunk's share of the plan is too small for unique numbers (beyond tens of
    millions of persons for landlines), numbers repeat, as reassigned lines do.
    """
    index, chunks = part
    scale = 10 ** (9 - len(str(int(prefixes[0]))))
    rests = (scale - index + chunks - 1) // chunks
    draw = lambda k: (prefixes[rng.integers(0, len(prefixes), k)] * scale  # noqa: E731
                      + rng.integers(0, rests, k) * chunks + index)
    values = draw(n)
    return _dedupe_draw(rng, values, draw) if len(prefixes) * rests >= 2 * n else values


def email_hashes(emails: pl.Series) -> np.ndarray:
    """64-bit hashes of addresses, sorted and unique: what later chunks must not draw again."""
    return np.unique(emails.drop_nulls().hash(seed=17).to_numpy())


def _emails(rng: np.random.Generator, first: pl.Series, last: pl.Series, birth_year: np.ndarray,
            taken: np.ndarray | None = None) -> pl.Series:
    n = len(first)
    df = pl.DataFrame({"f": first, "l": last, "yy": pl.Series(birth_year % 100).cast(pl.String).str.zfill(2),
                       "u": rng.random(n), "r": rng.integers(1, 100, n).astype(str)})
    norm = lambda c: strip_accents(pl.col(c).str.to_lowercase()).str.replace_all(r"[ ']", "")  # noqa: E731
    df = df.with_columns(f=norm("f"), l=norm("l"))
    u = pl.col("u")
    local = (pl.when(u < 0.35).then(pl.concat_str([pl.col("f"), pl.lit("."), pl.col("l")]))
             .when(u < 0.5).then(pl.concat_str([pl.col("f"), pl.col("l")]))
             .when(u < 0.62).then(pl.concat_str([pl.col("f").str.slice(0, 1), pl.lit("."), pl.col("l")]))
             .when(u < 0.72).then(pl.concat_str([pl.col("l"), pl.lit("."), pl.col("f")]))
             .when(u < 0.85).then(pl.concat_str([pl.col("f"), pl.lit("."), pl.col("l"), pl.col("yy")]))
             .when(u < 0.92).then(pl.concat_str([pl.col("f"), pl.lit("_"), pl.col("l")]))
             .otherwise(pl.concat_str([pl.col("f"), pl.col("l"), pl.col("r")])))
    weights = np.array([w for _, w in EMAIL_DOMAINS], dtype=float)
    domains = np.array([d for d, _ in EMAIL_DOMAINS], dtype=object)[rng.choice(len(EMAIL_DOMAINS), n,
                                                                               p=weights / weights.sum())]
    df = df.with_columns(local=local, domain=pl.Series(domains, dtype=pl.String))
    for round_ in range(5):  # make addresses unique: jean.martin@, jean.martin2@…
        df = df.with_columns(email=pl.concat_str([pl.col("local"), pl.lit("@"), pl.col("domain")]))
        df = df.with_columns(rank=pl.int_range(pl.len()).over("email"))
        if taken is not None and len(taken):   # an address an earlier chunk drew counts as taken
            hashes = df["email"].hash(seed=17).to_numpy()
            at = np.minimum(np.searchsorted(taken, hashes), len(taken) - 1)
            df = df.with_columns(rank=pl.col("rank") + pl.Series(taken[at] == hashes).cast(pl.Int64))
        if df["rank"].max() == 0:
            break
        df = df.with_columns(local=pl.when(pl.col("rank") > 0)
                             .then(pl.concat_str([pl.col("local"), (pl.col("rank") + 1 + round_).cast(pl.String)]))
                             .otherwise(pl.col("local")))
    return df["email"]


def _member_numbers(rng: np.random.Generator, insurer: np.ndarray) -> np.ndarray:
    n = len(insurer)
    digits = rng.integers(0, 10**11, n, dtype=np.int64)
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)
    letters = alphabet[rng.integers(0, 26, (n, 2))]
    out = np.empty(n, dtype=object)
    shapes = np.array([shape for _, _, shape in INSURERS], dtype=object)
    for shape in set(shapes):
        rows = np.flatnonzero(shapes[np.maximum(insurer, 0)] == shape)
        width = int(shape[-2:] if shape[-2].isdigit() else shape[-1])
        body = pl.Series(digits[rows] % 10**width).cast(pl.String).str.zfill(width).to_numpy()
        alpha = int(shape[5]) if shape.startswith("alpha") else 0
        prefix = np.full(len(rows), "", dtype=object)
        for k in range(alpha):
            prefix = prefix + letters[rows, k]
        out[rows] = prefix + body
    out[insurer < 0] = None
    return out


def _family_emails(rng: np.random.Generator, last: pl.Series, n: int) -> np.ndarray:
    """``famille.martin@orange.fr``-like addresses shared by a household (indexed by its head)."""
    words = ("famille.", "fam.", "les", "famille_", "")
    prefix = pl.Series(np.array(words, dtype=object)[rng.integers(0, len(words), n)], dtype=pl.String)
    domain = pl.Series(np.array([d for d, _ in EMAIL_DOMAINS], dtype=object)[rng.integers(0, 4, n)], dtype=pl.String)
    local = strip_accents(last.str.to_lowercase()).str.replace_all(r"[^a-z]", "")
    number = pl.Series(rng.integers(1, 100, n).astype(str), dtype=pl.String)
    return pl.select(pl.concat_str([pl.lit(prefix), pl.lit(local), pl.lit(number), pl.lit("@"),
                                    pl.lit(domain)])).to_series().to_numpy()


def make_persons(rng: np.random.Generator, pools: Pools, n: int, *, part: tuple[int, int] = (0, 1),
                 taken: np.ndarray | None = None) -> tuple[pl.DataFrame, np.ndarray]:
    """Draw ``n`` persons: their canonical frame and their health-topic matrix (persons x topics).

    For chunk ``part = (index, chunks)`` of a drill drawn in chunks: NIRs and phones from the chunk's share of
    their plan, emails other than ``taken`` (``email_hashes`` of the previous chunks').
    """
    female = rng.random(n) < 0.52
    birth = _DAY0 + rng.integers(np.datetime64("1932-01-01").astype(np.int64),
                                 np.datetime64("2004-12-31").astype(np.int64), n).astype("timedelta64[D]")
    birth_year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    pick = lambda pool: pool[rng.integers(0, len(pool), n)]  # noqa: E731
    simple = np.where(female, pick(pools.first_names_female), pick(pools.first_names_male))
    compound = np.where(female, pick(pools.compound_female), pick(pools.compound_male))
    first = np.where(rng.random(n) < 0.07, compound, simple)
    last = pools.last_names[rng.integers(0, len(pools.last_names), n)].copy()
    homes = arrange(np.random.default_rng(rng.integers(0, 2**63)), pools, female, birth, first, last)
    birth_year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    first_s, last_s = pl.Series(first, dtype=pl.String), pl.Series(last, dtype=pl.String)
    has_mobile = rng.random(n) < np.where(birth_year > 2008, 0.05, 0.93)
    has_landline = rng.random(n) < np.where(birth_year < 1970, 0.6, 0.2)
    mobile = _phones(rng, n, _MOBILE_PREFIXES, part)
    landline = _phones(rng, n, _LANDLINE_PREFIXES, part)
    email = _emails(rng, first_s, last_s, birth_year, taken)
    has_email = rng.random(n) < np.where(birth_year < 1950, 0.55, np.where(birth_year > 2006, 0.1, 0.9))
    town = rng.integers(0, len(pools.towns), n)
    street_no = rng.integers(1, 160, n)
    bis = rng.random(n) < 0.04
    streets = pools.streets[rng.integers(0, len(pools.streets), n)]
    old_town = rng.integers(0, len(pools.towns), n)
    old_street = pools.streets[rng.integers(0, len(pools.streets), n)]
    old_mobile = _phones(rng, n, _MOBILE_PREFIXES, part)
    hh = homes.household
    town, street_no, bis, streets = town[hh], street_no[hh], bis[hh], streets[hh]   # members live with the head
    family = homes.family_email
    has_landline = np.where(hh != np.arange(n), has_landline[hh], has_landline)
    landline = landline[hh]
    family_email = _family_emails(rng, last_s, n)[hh]
    email = pl.Series(np.where(family, family_email, email.to_numpy()), dtype=pl.String)
    has_email = np.where(family, has_email | (birth_year <= 2006), has_email)
    blood_w = np.array([w for *_, w in BLOOD_GROUPS], dtype=float)
    blood = rng.choice(len(BLOOD_GROUPS), n, p=blood_w / blood_w.sum())
    doctor = rng.integers(0, len(pools.doctor_rpps), n)
    lab = np.where(rng.random(n) < 0.8, pools.doctor_lab[doctor], rng.integers(0, len(pools.lab_names), n))
    insurer = np.where(rng.random(n) < 0.88, rng.integers(0, len(INSURERS), n), -1)
    topics = person_topics(rng, female, birth_year)
    frame = pl.DataFrame({
        "person_id": np.arange(n, dtype=np.int64),
        "sex": np.where(female, "F", "M"),
        "first_name": first_s,
        "last_name": last_s,
        "birth_date": pl.Series(birth).cast(pl.Date),
        "nir": pl.Series(_nirs(rng, pools, female, birth, part), dtype=pl.String),
        "email": pl.Series(np.where(has_email, email.to_numpy(), None).tolist(), dtype=pl.String),
        "mobile": pl.Series(np.where(has_mobile, mobile, -1)),
        "landline": pl.Series(np.where(has_landline | ~has_mobile, landline, -1)),
        "street": pl.Series(street_no.astype(str), dtype=pl.String),
        "street_name": pl.Series(streets, dtype=pl.String),
        "bis": bis,
        "town": town,
        "blood": blood,
        "doctor": doctor,
        "lab": lab,
        "insurer": insurer,
        "member": pl.Series(_member_numbers(rng, insurer).tolist(), dtype=pl.String),
        "first_names": pl.Series(homes.first_names.tolist(), dtype=pl.String),
        "birth_name": pl.Series(homes.birth_name.tolist(), dtype=pl.String),
        "household": homes.household,
        "insured": homes.insured,
        "rank": homes.rank,
        "quality": pl.Series(homes.quality.tolist(), dtype=pl.String),
        "realities": homes.realities,
        "moved": homes.moved,
        "old_street": pl.Series((rng.integers(1, 160, n).astype(str).astype(object) + " " + old_street).tolist(),
                                dtype=pl.String),
        "old_postal_code": pl.Series(pools.postcodes[old_town], dtype=pl.String),
        "old_city": pl.Series(pools.towns[old_town], dtype=pl.String),
        "old_mobile": pl.Series(("0" + old_mobile.astype(str).astype(object)).tolist(), dtype=pl.String),
    })
    national = lambda c: pl.when(pl.col(c) >= 0).then(  # noqa: E731
        pl.concat_str([pl.lit("0"), pl.col(c).cast(pl.String)]))
    frame = frame.with_columns(
        mobile=national("mobile"),
        landline=national("landline"),
        street=pl.concat_str([pl.col("street"), pl.when(pl.col("bis")).then(pl.lit(" bis")).otherwise(pl.lit("")),
                              pl.lit(" "), pl.col("street_name")]),
        postal_code=pl.Series(pools.postcodes[town], dtype=pl.String),
        city=pl.Series(pools.towns[town], dtype=pl.String),
    ).drop("street_name", "bis")
    return frame, topics


#: Share of persons who also went to a second laboratory (their rows alternate between the two).
SECOND_LAB_SHARE = 0.08


def second_labs(rng: np.random.Generator, lab: np.ndarray, n_labs: int, share: float = SECOND_LAB_SHARE) -> np.ndarray:
    """Each person's second lab (another one, drawn), or -1 for the persons who went to one lab only."""
    other = (lab + rng.integers(1, n_labs, len(lab))) % n_labs
    return np.where(rng.random(len(lab)) < share, other, -1)
