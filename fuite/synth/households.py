"""Households and the other realities of French patient records, drawn for the drill's persons.

Applied to the persons' drawn sex, birth date and names before their identifiers are drawn:

- **households**: an adult (the insured person) with a spouse and children who share the
  address, the landline and sometimes a family email (``famille.martin@…``);
- **ayants droit**: minor children, and some spouses without their own coverage, are filed
  under the insured person's NIR with a beneficiary rank (01 insured, 02 spouse, 03… children)
  and quality (ASSURE / CONJOINT / ENFANT);
- **twins** (same birth date, household and insured NIR, other first names) and **true
  homonyms** (same names and birth date, another town and NIR);
- **married names** (a birth name and a usage name), **compound surnames**, **several first
  names** (a civil list and a usual one), **moves** (an old address and mobile).

Rates are those of a regional lab population (INSEE household shapes, roughly); the
answer key records each person's realities as bits of ``REALITIES``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["REALITIES", "Households", "arrange", "reality_bit", "PERSON_REALITIES", "ROW_REALITIES"]

#: Person-level realities (set here) then row-level ones (set when a file writes a row).
PERSON_REALITIES = ("ayant_droit", "minor", "twin", "homonym", "married_name", "compound_surname", "particle",
                    "several_first_names", "household_contact", "moved")
ROW_REALITIES = ("sparse", "birth_date_error", "mojibake", "ocr_error", "insured_nir_written")
REALITIES = PERSON_REALITIES + ROW_REALITIES

_PARTICLE = ("de ", "d'", "du ", "le ", "la ", "des ")
_MINOR_FROM = np.datetime64("2003-01-01")
_LAST_DAY = np.datetime64("2020-12-31")


def reality_bit(name: str) -> int:
    return 1 << REALITIES.index(name)


@dataclass
class Households:
    """Per person: household (own index when alone), insured person (-1 when covered themselves), rank,
    quality, birth name (None unless it differs from the usage name), civil first names, reality bits,
    whether the household shares a family email, and a moved person's old town."""

    household: np.ndarray
    insured: np.ndarray
    rank: np.ndarray
    quality: np.ndarray
    birth_name: np.ndarray
    first_names: np.ndarray
    realities: np.ndarray
    family_email: np.ndarray
    moved: np.ndarray


def _days(d) -> np.ndarray:
    return np.asarray(d).astype("datetime64[D]")


def _members(rng: np.random.Generator, heads: np.ndarray, pool: np.ndarray):
    """(head, role, child order) slots for each head, filled from ``pool`` persons."""
    spouse = rng.random(len(heads)) < 0.62
    kids = rng.choice(np.arange(4), size=len(heads), p=(0.3, 0.28, 0.3, 0.12))
    slot_head = np.concatenate([heads[spouse], np.repeat(heads, kids)])
    slot_role = np.concatenate([np.full(int(spouse.sum()), 1), np.full(int(kids.sum()), 2)])
    order = np.concatenate([np.zeros(int(spouse.sum()), dtype=np.int64),
                            np.concatenate([np.arange(k) for k in kids]) if len(kids) else np.zeros(0, np.int64)])
    take = min(len(slot_head), len(pool))
    chosen = rng.permutation(len(slot_head))[:take]
    return slot_head[chosen], slot_role[chosen], order[chosen], pool[rng.permutation(len(pool))[:take]]


def arrange(rng: np.random.Generator, pools, female: np.ndarray, birth: np.ndarray, first: np.ndarray,
            last: np.ndarray) -> Households:
    """Build households and the other realities; ``female``, ``birth``, ``first``, ``last`` change in place."""
    n = len(female)
    bits = np.zeros(n, dtype=np.int64)
    household = np.arange(n, dtype=np.int64)
    insured = np.full(n, -1, dtype=np.int64)
    rank = np.ones(n, dtype=np.int64)
    birth_name = np.full(n, None, dtype=object)
    adult = (birth >= np.datetime64("1951-01-01")) & (birth < np.datetime64("1996-01-01"))
    eligible = np.flatnonzero(adult)
    heads = eligible[rng.random(len(eligible)) < 0.24]
    rest = np.setdiff1d(np.arange(n), heads)
    head, role, order, member = _members(rng, heads, rest)
    household[member] = head
    # spouses: other sex (mostly), close age; a wife takes the husband's name as usage name (mostly)
    sp = role == 1
    s_m, s_h = member[sp], head[sp]
    female[s_m] = np.where(rng.random(len(s_m)) < 0.96, ~female[s_h], female[s_h])
    offset = np.clip(rng.normal(0, 3 * 365, len(s_m)), -15 * 365, 15 * 365).astype(np.int64)
    birth[s_m] = np.minimum(birth[s_h] + offset.astype("timedelta64[D]"), np.datetime64("2000-12-31"))
    takes = female[s_m] & ~female[s_h] & (rng.random(len(s_m)) < 0.8)
    birth_name[s_m[takes]] = last[s_m[takes]]
    last[s_m[takes]] = last[s_h[takes]]
    uncovered = rng.random(len(s_m)) < 0.3
    insured[s_m[uncovered]] = s_h[uncovered]
    rank[s_m] = 2
    # children: the head's usage name (sometimes a double name), born 22-42 years after the head
    ch = role == 2
    c_m, c_h, c_o = member[ch], head[ch], order[ch]
    gap = rng.integers(22 * 365, 42 * 365, len(c_m)).astype("timedelta64[D]")
    born = birth[c_h] + gap
    late = born > _LAST_DAY
    born[late] = _LAST_DAY - rng.integers(0, 17 * 365, int(late.sum())).astype("timedelta64[D]")
    birth[c_m] = born
    female[c_m] = rng.random(len(c_m)) < 0.49
    double = rng.random(len(c_m)) < 0.06
    spouse_of = dict(zip(s_h.tolist(), s_m.tolist()))
    other = np.array([spouse_of.get(h, -1) for h in c_h.tolist()], dtype=np.int64)
    double &= other >= 0
    last[c_m] = last[c_h]
    names = np.where(birth_name[other[double]] != None, birth_name[other[double]], last[other[double]])  # noqa: E711
    last[c_m[double]] = last[c_h[double]] + "-" + names
    bits[c_m[double]] |= reality_bit("compound_surname")
    # twins: the second child born the same day as the first
    first_child = {(h): m for h, m, o in zip(c_h.tolist(), c_m.tolist(), c_o.tolist()) if o == 0}
    twin = (c_o == 1) & (rng.random(len(c_m)) < 0.06)
    for m, h in zip(c_m[twin].tolist(), c_h[twin].tolist()):
        t = first_child.get(h)
        if t is None:
            continue
        birth[m] = birth[t]
        bits[[m, t]] |= reality_bit("twin")
        pool = pools.first_names_female if female[m] else pools.first_names_male
        while first[m] == first[t]:
            first[m] = pool[rng.integers(0, len(pool))]
    minor = np.zeros(n, dtype=bool)
    minor[c_m] = birth[c_m] >= _MINOR_FROM
    insured[c_m[minor[c_m]]] = c_h[minor[c_m]]
    rank[c_m] = 3 + c_o
    bits[minor] |= reality_bit("minor")
    bits[insured >= 0] |= reality_bit("ayant_droit")
    in_household = np.zeros(n, dtype=bool)
    in_household[member] = True
    in_household[head] = True
    bits[in_household] |= reality_bit("household_contact")
    # married women outside a household in the leak, compound surnames, homonyms
    alone = ~in_household
    wed = alone & female & (birth < np.datetime64("1992-01-01")) & (rng.random(n) < 0.35)
    birth_name[wed] = last[wed]
    last[wed] = pools.last_names[rng.integers(0, len(pools.last_names), int(wed.sum()))]
    bits[birth_name != None] |= reality_bit("married_name")  # noqa: E711
    compound = alone & ~wed & (rng.random(n) < 0.03)
    last[compound] = last[compound] + "-" + pools.last_names[rng.integers(0, len(pools.last_names),
                                                                            int(compound.sum()))]
    bits[compound] |= reality_bit("compound_surname")
    candidates = np.flatnonzero(alone & ~wed & ~compound)
    pairs = rng.choice(candidates, size=(max(int(n * 0.0025), 1 if len(candidates) >= 2 else 0), 2), replace=False)
    for a, b in pairs.tolist():
        first[b], last[b], birth[b], female[b] = first[a], last[a], birth[a], female[a]
        bits[[a, b]] |= reality_bit("homonym")
    folded = np.char.lower(last.astype(str))
    particle = np.zeros(n, dtype=bool)
    for p in _PARTICLE:
        particle |= np.char.startswith(folded, p)
    bits[particle] |= reality_bit("particle")
    # several first names: a civil list, the usual name first (mostly)
    first_names = first.copy()
    several = rng.random(n) < 0.25
    for i in np.flatnonzero(several).tolist():
        pool = pools.first_names_female if female[i] else pools.first_names_male
        extra = [pool[rng.integers(0, len(pool))] for _ in range(1 + int(rng.random() < 0.35))]
        extra = [e for e in extra if e != first[i]]
        if not extra:
            continue
        civil = [first[i], *extra] if rng.random() < 0.85 else [extra[0], first[i], *extra[1:]]
        first_names[i] = " ".join(civil)
        bits[i] |= reality_bit("several_first_names")
    moved = rng.random(n) < 0.08
    bits[moved] |= reality_bit("moved")
    hh_ids = np.unique(household[in_household])
    family = np.zeros(n, dtype=bool)
    family_heads = hh_ids[rng.random(len(hh_ids)) < 0.3]
    family[np.isin(household, family_heads)] = True
    quality = np.where(rank == 1, "ASSURE", np.where(rank == 2, "CONJOINT", "ENFANT")).astype(object)
    quality[insured < 0] = "ASSURE"
    rank[insured < 0] = 1
    return Households(household, insured, rank, quality, birth_name, first_names, bits, family, moved)
