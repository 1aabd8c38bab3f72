"""Severity of the breach, per person and as a whole (ENISA 2013; rules in :mod:`fuite.assess.rules`).

Pure functions over Arrow tables: :func:`assess_persons` scores every row of a
persons table (``PERSON_SCHEMA``) and :func:`assess_breach` sums the breach up.
Persons sharing the same exposed data share a score, so the rules run once per
distinct profile, not once per person.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa

from fuite.assess.figures import exposure_figures
from fuite.assess.rules import (
    FLOOR_HEALTH, LEVELS, Circumstances, PersonFacts, Rule, cb_rules, dpc_rules, ei_rules, level_of,
)

__all__ = ["SEVERITY_SCHEMA", "Score", "BreachAssessment", "score_facts", "assess_persons", "assess_breach",
           "facts_columns"]

SEVERITY_SCHEMA = pa.schema([
    ("person_id", pa.int64()),
    ("dpc", pa.float64()),
    ("ei", pa.float64()),
    ("cb", pa.float64()),
    ("score", pa.float64()),
    ("level", pa.string()),
    ("reasons", pa.string()),   # ";"-joined rule ids, highest DPC and EI rule, every CB rule, floor
])

#: Columns of the persons table that carry a value of their own, as the category they prove exposed.
_PRESENCE = {"nir": "nir", "email": "email", "phone": "phone", "birth_date": "birth_date",
             "last_name": "last_name", "first_name": "first_name", "street": "street_address"}

#: Columns read from a persons table: a profile is one distinct combination of these.
facts_columns = ("categories", "health", "hiv", "conditions", *_PRESENCE)


@dataclass(frozen=True)
class Score:
    """One ENISA score, with the rules behind each factor."""

    dpc: Rule
    ei: Rule
    cb: tuple[Rule, ...]
    floor: Rule | None

    @property
    def cb_value(self) -> float:
        return round(sum(r.value for r in self.cb), 2)

    @property
    def value(self) -> float:
        return round(self.dpc.value * self.ei.value + self.cb_value, 4)

    @property
    def level(self) -> str:
        level = level_of(self.value)
        if self.floor and _rank(level) < _rank("high"):
            return "high"
        return level

    @property
    def reasons(self) -> list[str]:
        return [self.dpc.id, self.ei.id, *(r.id for r in self.cb), *([self.floor.id] if self.floor else [])]


def _rank(level: str) -> int:
    return [name for name, _ in LEVELS].index(level)


def score_facts(facts: PersonFacts, circ: Circumstances) -> Score:
    """Score one profile: the highest DPC rule × the highest EI rule + the circumstances."""
    # reversed: among equal values, the most specific (last listed) rule is the reason given
    dpc = max(reversed(dpc_rules(facts, circ)), key=lambda r: r.value)
    ei = max(reversed(ei_rules(facts)), key=lambda r: r.value)
    health = facts.health or facts.hiv or bool(facts.conditions) or dpc.id in ("dpc.health", "dpc.special_condition")
    return Score(dpc, ei, tuple(cb_rules(circ)), FLOOR_HEALTH if health else None)


def _split(value: str | None) -> frozenset[str]:
    return frozenset(v for v in (value or "").split(";") if v)


def _facts(profile: dict) -> PersonFacts:
    cats = set(_split(profile["categories"]))
    cats.update(cat for col, cat in _PRESENCE.items() if profile[f"has_{col}"])
    return PersonFacts(frozenset(cats), bool(profile["health"]), bool(profile["hiv"]), _split(profile["conditions"]))


def _profiles(persons: pa.Table) -> pl.DataFrame:
    """The persons table reduced to profile columns (missing columns read as absent)."""
    frame = pl.from_arrow(persons.select([c for c in ("person_id", *facts_columns) if c in persons.column_names]))
    exprs = []
    for col in ("categories", "conditions"):
        exprs.append((pl.col(col) if col in frame.columns else pl.lit(None, pl.Utf8)).alias(col))
    for col in ("health", "hiv"):
        exprs.append((pl.col(col).fill_null(False) if col in frame.columns else pl.lit(False)).alias(col))
    for col in _PRESENCE:
        present = pl.col(col).is_not_null() & (pl.col(col).cast(pl.Utf8).str.strip_chars() != "")
        exprs.append((present.fill_null(False) if col in frame.columns else pl.lit(False)).alias(f"has_{col}"))
    return frame.select(pl.col("person_id"), *exprs)


def assess_persons(persons: pa.Table, circumstances: Circumstances) -> pa.Table:
    """Score every person: a table of ``SEVERITY_SCHEMA``, one row per person, in input order."""
    frame = _profiles(persons)
    keys = [c for c in frame.columns if c != "person_id"]
    scored = []
    for profile in frame.select(keys).unique().iter_rows(named=True):
        s = score_facts(_facts(profile), circumstances)
        scored.append({**profile, "dpc": float(s.dpc.value), "ei": float(s.ei.value), "cb": s.cb_value,
                       "score": s.value, "level": s.level, "reasons": ";".join(s.reasons)})
    lookup = pl.DataFrame(scored, schema={**frame.select(keys).schema, "dpc": pl.Float64, "ei": pl.Float64,
                                          "cb": pl.Float64, "score": pl.Float64, "level": pl.Utf8,
                                          "reasons": pl.Utf8})
    out = frame.with_row_index("__order").join(lookup, on=keys, how="left", nulls_equal=True).sort("__order")
    return out.select([f.name for f in SEVERITY_SCHEMA]).to_arrow().cast(SEVERITY_SCHEMA)


@dataclass
class BreachAssessment:
    """The breach as a whole: its worst profile scored, plus counts (never an identifier)."""

    score: Score
    persons: int
    distribution: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)   # persons per exposed category
    health: int = 0
    hiv: int = 0
    nir: int = 0
    conditions: dict[str, int] = field(default_factory=dict)

    @property
    def level(self) -> str:
        return self.score.level

    def to_dict(self) -> dict:
        s = self.score
        return {
            "dpc": float(s.dpc.value), "ei": float(s.ei.value), "cb": s.cb_value, "score": s.value, "level": s.level,
            "reasons": s.reasons, "persons": self.persons, "distribution": self.distribution,
            "categories": self.categories, "health": self.health, "hiv": self.hiv, "nir": self.nir,
            "conditions": self.conditions,
        }


def assess_breach(persons: pa.Table, circumstances: Circumstances, severity: pa.Table | None = None) -> BreachAssessment:
    """Assess the breach: ENISA over everything exposed (worst case), and the distribution of per-person levels."""
    frame = _profiles(persons)
    severity = severity if severity is not None else assess_persons(persons, circumstances)
    levels = Counter(severity.column("level").to_pylist()) if severity.num_rows else Counter()
    keys = [c for c in frame.columns if c != "person_id"]
    union = {"categories": set(), "conditions": set(), "health": False, "hiv": False}
    for row in frame.group_by(keys).len().iter_rows(named=True):
        facts = _facts(row)
        union["categories"] |= facts.categories
        union["conditions"] |= facts.conditions
        union["health"] |= facts.health
        union["hiv"] |= facts.hiv
    worst = PersonFacts(frozenset(union["categories"]), union["health"], union["hiv"], frozenset(union["conditions"]))
    figures = exposure_figures(persons)   # the one source of the counts (report and CNIL draft alike)
    return BreachAssessment(
        score=score_facts(worst, circumstances), persons=frame.height,
        distribution={name: int(levels.get(name, 0)) for name, _ in LEVELS},
        categories={k: v for k, v in sorted(figures["categories"].items(), key=lambda kv: (-kv[1], kv[0])) if v},
        health=figures["health"], hiv=figures["hiv"], nir=figures["nir"],
        conditions={k: v for k, v in sorted(figures["conditions"].items(), key=lambda kv: (-kv[1], kv[0])) if v},
    )
