"""Column classification: header evidence and value evidence over the whole column, combined per detector.

For each column every detector gets ``value_weight × share of cells it
matches + header_weight × header score``; a few layout rules then look at
neighbours (a NIR whose key sits in the next column, a blood group split into
group and Rh, a town beside a postal code, a member number beside an insurer)
and dates are split between birth and sample dates by their spread. The best
score wins; the explanation keeps the evidence and the runner-ups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa

from fuite.detect import dates, freetext
from fuite.detect.detectors import (ACT_CODE, BIRTH_DATE, BLOOD_GROUP, CITY, EMAIL, FIRST_NAME, FULL_NAME, GROUP_ONLY,
                                    HEALTH_NOTE, INSURER_ID, INSURER_NAME, INTERNAL_ID, LAB_ID, LAB_NAME, LAST_NAME,
                                    NIR, OTHER, PHONE, PHYSICIAN_ID, PHYSICIAN_NAME, POSTAL_CODE, RH_ONLY,
                                    SAMPLE_DATE, SEX, Detector, default_detectors)
from fuite.detect.headers import header_words, is_meaningless, phrase_score
from fuite.detect.values import ColumnValues
from fuite.ids import finess, nir, rpps
from fuite.ids.masking import mask
from fuite.schema import ColumnFinding

__all__ = ["classify_table", "classify_columns", "column_series", "MAX_SAMPLE_ROWS"]

#: Rows of the caller's sample the classifier reads (spread evenly over it): shares within about 1.5 points.
MAX_SAMPLE_ROWS = 5_000

#: Header words saying a name column belongs to someone else than the patient.
_OWNER_WORDS = {"medecin", "prescripteur", "docteur", "dr", "mutuelle", "labo", "laboratoire", "amc", "assurance",
                "praticien", "correspondant", "organisme", "physician", "doctor", "insurer", "lab", "prescriber",
                "etablissement", "site", "caisse"}
_NAME_CATEGORIES = {"last_name", "first_name", "full_name"}
_NAME_DETECTORS = (LAST_NAME, FIRST_NAME, FULL_NAME)


@dataclass
class _Column:
    header: str
    values: ColumnValues
    words: tuple[str, ...]
    meaningless: bool
    header_scores: dict[Detector, float] = field(default_factory=dict)
    shares: dict[Detector, float] = field(default_factory=dict)
    scores: dict[Detector, float] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    values_all: pl.Series | None = None   # every cell, nulls kept, row-aligned with the neighbours


def column_series(sample: pa.Table | pa.RecordBatch, n_columns: int) -> list[pl.Series]:
    """The data fields of an ingest batch/table (``__`` fields skipped), positionally, as polars Strings."""
    names = [n for n in sample.schema.names if not n.startswith("__")]
    out = []
    for i in range(n_columns):
        if i < len(names):
            out.append(pl.Series(names[i], sample.column(names[i]), dtype=None).cast(pl.String))
        else:
            out.append(pl.Series(f"c{i}", [None] * sample.num_rows, dtype=pl.String))
    return out


def _header_scores(col: _Column, detectors: list[Detector]) -> None:
    if col.meaningless:
        return
    owner = bool(set(col.words) & _OWNER_WORDS)
    for d in detectors:
        score = max((phrase_score(p, col.words) for p in d.header_phrases), default=0.0)
        if owner and d.category in _NAME_CATEGORIES:
            score *= 0.3
        col.header_scores[d] = score


def _value_shares(col: _Column, detectors: list[Detector]) -> None:
    if col.values.n == 0:
        return
    for d in detectors:
        if d.match is not None:
            col.shares[d] = col.values.share(d.match(col.values))


def _score(col: _Column, detectors: list[Detector]) -> None:
    for d in detectors:
        value = d.value_weight * col.shares.get(d, 0.0)
        header = d.header_weight * col.header_scores.get(d, 0.0)
        col.scores[d] = min(1.0, value + header)
    _split_dates(col)
    _digits_sex(col)
    _failed_checksums(col)
    _owned_names(col)
    _act_codes(col)
    _health_header(col)


def _act_codes(col: _Column) -> None:
    """Codes of lab tests and billed acts (NABM ``B1234``), repeated over the rows: what was done, not who."""
    v = col.values
    if v.n < 5 or v.distinct > 0.5 * v.n or v.share(v.raw.str.contains(ACT_CODE)) <= 0.8:
        return
    if col.scores.get(OTHER, 0.0) < 0.6:
        col.scores[OTHER] = 0.6
        col.rules.append("codes of lab tests or billed acts (NABM), repeated over the rows")


def _health_header(col: _Column) -> None:
    """Bare answers (oui/non, positif/négatif) under a header naming a condition (``Statut VIH``, ``PrEP``)."""
    if col.meaningless or not col.values.n or freetext.header_context(col.header) is None:
        return
    validated = (NIR, PHONE, EMAIL, BIRTH_DATE, SAMPLE_DATE, PHYSICIAN_ID, LAB_ID, POSTAL_CODE)
    if max(col.shares.get(d, 0.0) for d in validated) >= 0.5:
        return
    best = max(col.scores.values(), default=0.0)
    if col.scores.get(HEALTH_NOTE, 0.0) < best:
        col.scores[HEALTH_NOTE] = min(1.0, best + 0.05)
        col.rules.append("answers under a header naming a health condition")


#: Checksum-validated detectors and the layout of their numbers (compact).
_CHECKSUMMED = {NIR: nir, PHYSICIAN_ID: rpps, LAB_ID: finess}


def _failed_checksums(col: _Column) -> None:
    """Numbers shaped like a NIR, RPPS or FINESS whose check digits fail are order numbers or codes, whatever
    the header says."""
    v = col.values
    if not v.n:
        return
    for detector, module in _CHECKSUMMED.items():
        if col.shares.get(detector, 0.0) >= 0.5 or col.scores.get(detector, 0.0) < 0.2:
            continue
        shaped = v.share(module.compact_column(v.raw).str.contains(module.LAYOUT).fill_null(False))
        if shaped > 0.5:
            col.scores[detector] *= 0.3
            col.scores[INTERNAL_ID] = max(col.scores.get(INTERNAL_ID, 0.0), 0.6 * shaped)
            col.rules.append(f"{detector.category}-shaped numbers whose check digits fail: not identifiers")


#: Header words of dates that describe the file, not the person (creation, update, invoice...).
_TECHNICAL_DATE_WORDS = {"creation", "modification", "maj", "saisie", "created", "updated", "import", "export",
                         "facture", "edition", "impression", "login", "timestamp", "modified", "insert", "inserted"}


def _serial_dates(col: _Column) -> float:
    """Share of cells that are spreadsheet day numbers, counted only under a date header."""
    dated = max(col.header_scores.get(BIRTH_DATE, 0.0), col.header_scores.get(SAMPLE_DATE, 0.0))
    if dated < 0.5 or not col.values.n:
        return 0.0
    return col.values.share(col.values.raw.str.contains(r"^[0-9]{4,5}(?:\.0)?$")
                            & dates.parse_dates(col.values.raw, serials=True).is_not_null())


def _split_dates(col: _Column) -> None:
    share = col.shares.get(BIRTH_DATE, 0.0)
    serial = _serial_dates(col)
    if serial > share:
        share = serial
        col.rules.append("spreadsheet day numbers under a date header")
    if share < 0.3:
        return
    parsed = (dates.parse_dates(col.values.raw, serials=True) if serial > 0.5
              else col.values.memo("dates", lambda: dates.parse_dates(col.values.raw)))
    p_birth = dates.birth_likelihood(parsed)
    if dates.has_time(col.values.raw) > 0.5:
        p_birth *= 0.3
    hb = col.header_scores.get(BIRTH_DATE, 0.0)
    hs = col.header_scores.get(SAMPLE_DATE, 0.0)
    if hb > hs:                     # a specific birth header tips the balance when values are ambiguous
        p_birth = max(p_birth, 0.5 + 0.5 * p_birth) if p_birth > 0.2 else p_birth
    col.scores[BIRTH_DATE] = min(1.0, 0.9 * share * p_birth + 0.4 * hb)
    col.scores[SAMPLE_DATE] = min(1.0, 0.9 * share * (1 - p_birth) + 0.4 * hs)
    col.rules.append(f"dates: birth likelihood {p_birth:.2f} from the spread of years")
    if set(col.words) & _TECHNICAL_DATE_WORDS:
        col.scores[OTHER] = max(col.scores.get(OTHER, 0.0), 0.9)
        col.scores[BIRTH_DATE] *= 0.5
        col.scores[SAMPLE_DATE] *= 0.5
        col.rules.append("a date about the record itself (creation, update, invoice...), not about the person")


def _digits_sex(col: _Column) -> None:
    if col.values.n and col.values.share(col.values.digits_only) > 0.9 and not col.header_scores.get(SEX):
        col.scores[SEX] = col.scores.get(SEX, 0.0) * 0.3


#: Header words naming whose name a name-like column holds, and the category it then is.
_OWNER_WORDS_BY_DETECTOR = {
    PHYSICIAN_NAME: ("medecin", "prescripteur", "docteur", "praticien", "physician", "doctor", "prescriber",
                     "correspondant", "dr", "gp", "referrer"),
    INSURER_NAME: ("mutuelle", "amc", "assurance", "organisme", "insurer", "caisse"),
    LAB_NAME: ("labo", "laboratoire", "lab", "etablissement"),
}
_OWNER_CATEGORY = {word: d for d, words in _OWNER_WORDS_BY_DETECTOR.items() for word in words}


def _owned_names(col: _Column) -> None:
    """A name-like column whose header names its owner (``Médecin traitant`` holding ``MARTIN Jean``)."""
    owners = [_OWNER_CATEGORY[w] for w in col.words if w in _OWNER_CATEGORY]
    if not owners or _looks_like_id(col):
        return
    name_score = max(col.scores.get(d, 0.0) for d in _NAME_DETECTORS)
    target = owners[0]
    if name_score > col.scores.get(target, 0.0):
        col.scores[target] = min(1.0, name_score + 0.05)
        col.rules.append(f"names under a header naming their owner ({target.category})")


def _looks_like_id(col: _Column) -> bool:
    v = col.values
    return v.n > 0 and v.share(v.digit_count >= 3) > 0.5


def _best(col: _Column, detectors: list[Detector]) -> tuple[str, float]:
    by_category: dict[str, float] = {}
    for d in detectors:
        by_category[d.category] = max(by_category.get(d.category, 0.0), col.scores.get(d, 0.0))
    category, score = max(by_category.items(), key=lambda kv: kv[1])
    if score < 0.05 or (col.values.n == 0 and score < 0.3):
        return "other", max(score, 0.3)
    return category, score


def _bump(col: _Column, detector: Detector, score: float, rule: str) -> None:
    if score > col.scores.get(detector, 0.0):
        col.scores[detector] = score
        col.rules.append(rule)


def _layout_rules(cols: list[_Column], best: list[str]) -> None:
    """Rules that need a column's neighbours."""
    for i, col in enumerate(cols):
        nxt = cols[i + 1] if i + 1 < len(cols) else None
        prev = cols[i - 1] if i > 0 else None
        v = col.values
        if v.n == 0:
            continue
        # NIR body (13 characters) with its key in the next column
        if nxt is not None and nxt.values.n and v.share(
                nir.compact_column(v.raw).str.contains(nir.BODY_LAYOUT).fill_null(False)) > 0.8:
            frame = pl.DataFrame({"b": col.values_all, "k": nxt.values_all}).drop_nulls()
            if frame.height:
                ok = float(nir.split_valid_column(frame["b"], frame["k"]).mean())
                if ok > 0.6:
                    _bump(col, NIR, 0.95 * ok, "NIR body whose key is in the next column")
                    _bump(nxt, NIR, 0.95 * ok, "key of the NIR in the previous column")
        # blood group as group + Rh in two columns
        group = v.share(v.folded.str.contains(GROUP_ONLY))
        if group > 0.8 and nxt is not None and nxt.values.n and nxt.values.share(
                nxt.values.folded.str.contains(RH_ONLY)) > 0.8:
            _bump(col, BLOOD_GROUP, 0.9 * group, "ABO group with the Rh factor in the next column")
            _bump(nxt, BLOOD_GROUP, 0.9 * group, "Rh factor beside an ABO group column")
        # town beside a postal code
        near_postcode = any(n is not None and best[j] == "postal_code"
                            for j, n in ((i - 1, prev), (i + 1, nxt)) if 0 <= j < len(cols))
        if near_postcode and best[i] in ("last_name", "city", "other", "full_name", "first_name"):
            _bump(col, CITY, 0.25 * v.share(v.name_like) + 0.5, "text beside a postal code column")
        # member number right after an insurer name (not a test or act code, not under an act header)
        if (prev is not None and best[i - 1] == "insurer_name" and best[i] in ("internal_id", "other")
                and col.shares.get(INSURER_ID, 0.0) > 0.5 and col.header_scores.get(OTHER, 0.0) < 0.5):
            _bump(col, INSURER_ID, col.scores.get(INTERNAL_ID, 0.0) + 0.1,
                  "code beside an insurer name column")


def classify_columns(columns: list[str], series: list[pl.Series], *, explain: bool = False,
                     detectors: list[Detector] | None = None) -> list[ColumnFinding]:
    """Classify already-extracted column Series (see ``classify_table``)."""
    detectors = detectors or default_detectors()
    cols = []
    for header, s in zip(columns, series):
        col = _Column(header, ColumnValues(s), header_words(header), is_meaningless(header),
                      values_all=s.cast(pl.String).str.strip_chars())
        _header_scores(col, detectors)
        _value_shares(col, detectors)
        _score(col, detectors)
        cols.append(col)
    best = [_best(c, detectors)[0] for c in cols]
    _layout_rules(cols, best)
    findings = []
    for position, col in enumerate(cols):
        category, confidence = _best(col, detectors)
        finding = ColumnFinding("", "", col.header, position, category, round(confidence, 3))
        if explain:
            finding.explanation = _explanation(col, detectors, category)
        findings.append(finding)
    return findings


def classify_table(columns: list[str], sample: pa.Table | pa.RecordBatch, *, explain: bool = False,
                   detectors: list[Detector] | None = None) -> list[ColumnFinding]:
    """One ``ColumnFinding`` per column of ``sample`` (fields ``c0..cN``; ``__`` fields ignored).

    A sample larger than ``MAX_SAMPLE_ROWS`` is thinned to rows spread evenly over it.
    """
    if sample.num_rows > MAX_SAMPLE_ROWS:
        step = sample.num_rows / MAX_SAMPLE_ROWS
        sample = sample.take(pa.array([int(i * step) for i in range(MAX_SAMPLE_ROWS)], pa.int64()))
    return classify_columns(columns, column_series(sample, len(columns)), explain=explain, detectors=detectors)


def _explanation(col: _Column, detectors: list[Detector], category: str) -> dict:
    by_category: dict[str, float] = {}
    for d in detectors:
        by_category[d.category] = max(by_category.get(d.category, 0.0), col.scores.get(d, 0.0))
    ranked = sorted(by_category.items(), key=lambda kv: -kv[1])
    examples = col.values.raw.unique(maintain_order=True).head(3).to_list()
    return {
        "header": {"text": col.header, "words": list(col.words), "meaningless": col.meaningless,
                   "matches": {d.category: round(s, 3) for d in detectors
                               if (s := col.header_scores.get(d, 0.0)) > 0}},
        "values": {"non_empty": col.values.n, "sampled": col.values.total,
                   "share_valid": {d.category if d.name == f"{d.category}_detector" else d.name: round(s, 3)
                                   for d in detectors if (s := col.shares.get(d, 0.0)) > 0}},
        "examples": [mask(e, category) for e in examples],
        "rules": col.rules,
        "category": category,
        "detector": _winner(col, detectors, category),
        "score": round(by_category[category], 3),
        "runner_ups": [{"category": c, "score": round(s, 3)} for c, s in ranked[1:4] if s > 0],
    }


def _winner(col: _Column, detectors: list[Detector], category: str) -> dict:
    """The detector that gave the category its score, and what it finds."""
    ours = [d for d in detectors if d.category == category] or [OTHER]
    best = max(ours, key=lambda d: col.scores.get(d, 0.0))
    return {"name": best.name, "finds": best.explanation}
