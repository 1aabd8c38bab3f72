"""Files found later (``fuite synth --later FRACTION``): a growing leak, with its answer key.

The 2021 files surfaced in seven places over days. With ``--later``, part of the drill is held back
from ``leak/`` and written under ``later/`` with the same file layouts (and so the same file names,
as a resale keeps them):

- **new persons** (``0.6 × FRACTION`` of the persons): all their rows are in ``later/`` only;
- **returning persons** (``0.4 × FRACTION``): they keep their rows in ``leak/`` and appear again in
  one ``later/`` file they were not in; some of them are exposed more (a category or a condition
  none of their earlier rows showed): they are *grown*; the others are *known*.

``answer_key/later/delta.csv`` gives ``person_id,status`` (``new`` / ``grown`` / ``known``) and what is
new (``new_categories``, ``new_conditions``, ``new_health``); ``answer_key/later/records.csv`` and
``persons.csv`` are the answer key of the ``later/`` files alone. ``answer_key/records.csv`` holds the rows
of ``leak/`` only; ``answer_key/persons.csv`` lists every person (the new ones with what ``leak/`` shows of
them: nothing).
Categories are compared as a notice names them (:data:`fuite.notify.delta.NOTICE_CATEGORIES`,
full names and full addresses counted as their parts).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from fuite.synth.answer_key import AnswerKey, _non_empty
from fuite.synth.health import CONDITION_BITS
from fuite.synth.rows import Table
from fuite.taxonomy import CATEGORIES, PERSONAL_IDS

__all__ = ["Later", "NEW_SHARE", "NOTICE_CATEGORIES", "notice_parts"]

NEW_SHARE = 0.6
NOTICE_CATEGORIES = tuple(c.id for c in CATEGORIES if c.patient_fr and c.id != "lab_id")
_PARTS = {"full_name": ("last_name", "first_name"), "full_address": ("street_address", "postal_code", "city")}


def notice_parts(category: str) -> tuple[str, ...]:
    """The categories a notice-level comparison counts for ``category`` (a full name is its two parts)."""
    return _PARTS.get(category, (category,)) if category in NOTICE_CATEGORIES else ()


_INDEX = {c: i for i, c in enumerate(NOTICE_CATEGORIES)}


class Later:
    """Holds back the later part of a drill chunk by chunk, then writes it with its answer key."""

    def __init__(self, out_dir: Path, fraction: float, pools=None):
        self.out_dir, self.fraction = Path(out_dir), fraction
        self.key = AnswerKey(self.out_dir / "answer_key" / "later", pools, controllers=False)   # each row's lab
        self.writers: dict = {}
        self.counts = {"rows": 0, "new": 0, "grown": 0, "known": 0}
        self._delta = open(self.out_dir / "answer_key" / "later" / "delta.csv", "wb")
        self._header = True

    def begin(self, rng: np.random.Generator, member: np.ndarray, persons: pl.DataFrame, offset: int) -> None:
        """Take this chunk's later part out of ``member`` (persons x files, changed in place)."""
        n, files = member.shape
        order = rng.permutation(np.arange(files, n)) if n > files else np.arange(0)   # the first persons seed files
        k_new = int(round(n * self.fraction * NEW_SHARE))
        k_back = int(round(n * self.fraction * (1 - NEW_SHARE)))
        self.new, self.back = np.sort(order[:k_new]), np.sort(order[k_new:k_new + k_back])
        self.later = np.zeros_like(member)
        self.later[self.new] = member[self.new]
        member[self.new] = False
        for pid in self.back:   # one file they are not in yet
            free = np.flatnonzero(~member[pid])
            if len(free):
                self.later[pid, rng.choice(free)] = True
        self.base_cats = np.zeros((n, len(NOTICE_CATEGORIES)), dtype=bool)
        self.later_cats = np.zeros_like(self.base_cats)
        self.persons, self.offset = persons, offset

    def observe(self, table: Table, *, later: bool) -> None:
        """Note which notice categories ``table`` fills for each of its persons."""
        target = self.later_cats if later else self.base_cats
        for (_, category), name in zip(table.columns, table.frame.columns):
            rows = table.person_id[_non_empty(table.frame[name])]
            for part in notice_parts(category):
                target[rows, _INDEX[part]] = True

    def write_chunk(self, files, ctx, seeds: np.random.SeedSequence, base: AnswerKey) -> None:
        """Write this chunk's later rows (same layouts, under ``later/``) and its truth."""
        self.key.begin(self.persons, self.offset)
        for i, (module, child) in enumerate(zip(files, seeds.spawn(len(files)))):
            pids = np.flatnonzero(self.later[:, i])
            room = getattr(module, "MAX_PERSONS", None)
            if room is not None:
                pids = pids[:max(room - self.key.rows.get((module.PATH, getattr(module, "SHEET", "")), 0), 0)]
            if not len(pids):
                continue
            if module.PATH not in self.writers:
                path = self.out_dir / "later" / module.PATH
                path.parent.mkdir(parents=True, exist_ok=True)
                self.writers[module.PATH] = module.open_writer(path)
            start = {t: self.key.rows.get((module.PATH, t), 0) for f, t in self.key.rows if f == module.PATH}
            tables = module.build(replace(ctx, first=False, start=start), np.random.default_rng(child), pids)
            self.writers[module.PATH].add(tables)
            for table in tables:
                self.key.add(table)
                self.observe(table, later=True)
                self.counts["rows"] += table.frame.height
        truth = self._truth(base, self.key)
        truth.write_csv(self._delta, include_header=self._header)
        self._header = False
        for status, n in truth.group_by("status").len().iter_rows():
            self.counts[status] += int(n)
        self.key.end()

    def close(self) -> dict:
        """Close the later files and their key; the summary: rows, new, grown, known, files."""
        for writer in self.writers.values():
            writer.close()
        self.key.close()
        self._delta.close()
        return {**self.counts, "files": sorted(self.writers)}

    def _truth(self, base: AnswerKey, later: AnswerKey) -> pl.DataFrame:
        ids = np.concatenate([self.new, self.back])
        before, after = self.base_cats.copy(), self.later_cats.copy()
        for bit, name in enumerate(PERSONAL_IDS):   # identifiers typed into free text are exposed too
            for part in notice_parts(name):
                before[(base._categories >> bit) & 1 == 1, _INDEX[part]] = True
                after[(later._categories >> bit) & 1 == 1, _INDEX[part]] = True
        new_cats = after & ~before
        cond = (later._conditions & ~base._conditions) | np.where(later._hiv & ~base._hiv,
                                                                  1 << CONDITION_BITS.index("hiv"), 0)
        health = later._health & ~base._health
        names = np.array(NOTICE_CATEGORIES)
        is_new = set(self.new.tolist())
        rows = []
        for pid in ids.tolist():
            old = pid not in is_new
            cats = ";".join(names[new_cats[pid]]) if old else ""
            conds = ";".join(c for b, c in enumerate(CONDITION_BITS) if int(cond[pid]) >> b & 1) if old else ""
            grown = bool(cats or conds or (old and health[pid]))
            rows.append({"person_id": pid + self.offset,
                         "status": "grown" if grown else ("known" if old else "new"),
                         "new_categories": cats, "new_conditions": conds, "new_health": int(bool(health[pid]) and old)})
        return pl.DataFrame(rows, schema={"person_id": pl.Int64, "status": pl.String, "new_categories": pl.String,
                                          "new_conditions": pl.String, "new_health": pl.Int8}).sort("person_id")
