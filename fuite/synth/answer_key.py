"""The answer key written beside a drill: what each column is, whose each row is, who was exposed.

``columns.csv``  file,table,column,category
``records.csv``  file,table,row,person_id,hiv,health,realities,lab,lab_column
``quarantine.csv`` file,table,location,reason — lines written broken on purpose, that a reader must set aside
``persons.csv``  person_id,last_name,first_name,birth_date,sex,nir,email,phone,postal_code,city,hiv,health,
                 conditions,categories,realities,household,insured_person,rank,quality,birth_name,first_names,labs
``controllers.toml`` one ``[[controllers]]`` table per laboratory of the drill (id ``lab-01``…, its name and
                 FINESS), to append to a case file: the drill as a leak of many controllers

``realities`` are ``;``-joined names of ``households.REALITIES``: a row's are what that row shows
(an insured person's NIR written for an ayant droit, a birth-date error, a sparse record…); a
person's are their own (ayant droit, twin, homonym, married name…) plus every one of their rows'.
``lab`` is the FINESS of the laboratory a row names (its lab-name or FINESS column), ``lab_column`` 1 when
the row's table has such a column; a row of a table without one has no ``lab`` (the data do not say it). A
person's ``labs`` are the FINESS of every lab their rows name: two for the persons seen by two labs.
``household`` is the household's head person id (their own id when alone), ``insured_person``
the person whose NIR covers them (empty when covered themselves).

Row flags are derived from what was actually written: ``health`` = the row has a
non-empty cell in a blood-group, health-note or medication column; ``hiv`` = one
of its cells reveals HIV infection, antiretroviral treatment or PrEP. A person's
``hiv``, ``health``, ``conditions`` and ``categories`` are the union over their rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from fuite.ids import phone
from fuite.synth.health import CONDITION_BITS, typed_identifier_bits
from fuite.synth.households import REALITIES
from fuite.synth.rows import Table
from fuite.taxonomy import CATEGORY_IDS, HEALTH_CATEGORIES, PERSONAL_IDS

__all__ = ["AnswerKey", "HEALTH_CATEGORIES"]

#: Categories holding free text, where identifiers may be typed.
TEXT_CATEGORIES = ("health_note", "medication")


def _non_empty(series: pl.Series) -> np.ndarray:
    if series.dtype == pl.String:
        return (series.is_not_null() & (series != "")).fill_null(False).to_numpy()
    return series.is_not_null().to_numpy()


def _joined(masks: np.ndarray, names: tuple[str, ...]) -> pl.Series:
    """Bit masks → ``;``-joined names (computed once per distinct mask)."""
    distinct, inverse = np.unique(masks, return_inverse=True)
    texts = [";".join(name for i, name in enumerate(names) if int(m) >> i & 1) for m in distinct]
    return pl.Series(texts, dtype=pl.String).gather(inverse.ravel())


class AnswerKey:
    """The truth, written as the drill streams: ``begin`` a chunk of persons, ``add`` each of its tables, ``end``
    the chunk (its persons' lines); ``close`` writes what is known only at the end."""

    def __init__(self, key_dir: Path, pools=None, controllers: bool = True):
        key_dir.mkdir(parents=True, exist_ok=True)
        self.key_dir = key_dir
        self.pools, self.controllers = pools, controllers
        self._lab_of = {} if pools is None else {
            **{name: i for i, name in enumerate(pools.lab_names)}, **{f: i for i, f in enumerate(pools.lab_finess)}}
        self._columns: list[tuple[str, str, str, str]] = []
        self._records = open(key_dir / "records.csv", "wb")
        self._records.write(b"file,table,row,person_id,hiv,health,realities,lab,lab_column\n")
        self._persons = open(key_dir / "persons.csv", "wb")
        self.rows: dict[tuple[str, str], int] = {}
        self._quarantine: list[tuple[str, str, str, str]] = []
        self.persons_written = 0

    def begin(self, persons: pl.DataFrame, offset: int = 0) -> None:
        """Start a chunk of persons whose local index ``i`` is person ``offset + i``."""
        self.persons, self.offset = persons, offset
        n = persons.height
        self._categories = np.zeros(n, dtype=np.int64)
        self._conditions = np.zeros(n, dtype=np.int64)
        self._hiv = np.zeros(n, dtype=bool)
        self._health = np.zeros(n, dtype=bool)
        self._realities = persons["realities"].to_numpy().copy() if "realities" in persons.columns else \
            np.zeros(n, dtype=np.int64)
        self._labs = np.zeros(n, dtype=np.int64)

    def _row_labs(self, table: Table) -> tuple[np.ndarray, bool]:
        """The lab index each row names (-1: none), from its FINESS or lab-name cells; whether it has a lab column."""
        cells = [table.frame[name] for (_, category), name in zip(table.columns, table.frame.columns)
                 if category in ("lab_id", "lab_name")]
        found = np.full(table.frame.height, -1, dtype=np.int64)
        for series in cells:
            index = series.cast(pl.String).replace_strict(self._lab_of, default=-1, return_dtype=pl.Int64).to_numpy()
            found = np.where(found < 0, index, found)
        return found, bool(cells)

    def end(self) -> None:
        """Write the chunk's persons."""
        self.persons_frame().write_csv(self._persons, include_header=self.persons_written == 0)
        self.persons_written += self.persons.height

    def add(self, table: Table) -> None:
        """Record one table's rows of this chunk (and its columns, the first time)."""
        n = table.frame.height
        start = self.rows.get((table.file, table.table))
        health = np.zeros(n, dtype=bool)
        for (header, category), name in zip(table.columns, table.frame.columns):
            if category not in CATEGORY_IDS:
                raise ValueError(f"unknown category {category!r} in the drill's column list")
            if start is None:
                self._columns.append((table.file, table.table, header, category))
            filled = _non_empty(table.frame[name])
            if category in HEALTH_CATEGORIES:
                health |= filled
            if category in TEXT_CATEGORIES:   # the person's own identifiers typed into a comment are exposed too
                typed = typed_identifier_bits(table.frame[name], self.persons[table.person_id])
                np.bitwise_or.at(self._categories, table.person_id, typed)
            if category in PERSONAL_IDS:
                self._categories[table.person_id[filled]] |= np.int64(1) << np.int64(PERSONAL_IDS.index(category))
        hiv = table.hiv.astype(bool) & health
        conditions = np.where(health, table.conditions, 0)
        for i in range(len(CONDITION_BITS)):  # OR-ing one bit is idempotent, so fancy indexing is safe
            self._conditions[table.person_id[(conditions & (1 << i)) != 0]] |= np.int64(1) << np.int64(i)
        self._hiv[table.person_id[hiv]] = True
        self._health[table.person_id[health]] = True
        labs, lab_column = self._row_labs(table)
        named = labs >= 0
        np.bitwise_or.at(self._labs, table.person_id[named], np.int64(1) << labs[named])
        finess = self.pools.lab_finess if self.pools is not None else np.array([], dtype=object)
        row_bits = np.zeros(n, dtype=np.int64) if table.realities is None else table.realities.astype(np.int64)
        for i in range(len(REALITIES)):
            self._realities[table.person_id[(row_bits >> i) & 1 == 1]] |= np.int64(1) << np.int64(i)
        pl.DataFrame({
            "file": pl.Series([table.file] * n, dtype=pl.String) if n else pl.Series([], dtype=pl.String),
            "table": pl.Series([table.table] * n, dtype=pl.String) if n else pl.Series([], dtype=pl.String),
            "row": np.asarray(table.extra.get("row_index", (start or 0) + np.arange(n)), dtype=np.int64),
            "person_id": table.person_id.astype(np.int64) + self.offset,
            "hiv": hiv.astype(np.int8),
            "health": health.astype(np.int8),
            "realities": _joined(row_bits, REALITIES) if n else pl.Series([], dtype=pl.String),
            "lab": pl.Series(np.where(named, finess[np.maximum(labs, 0)] if len(finess) else None, None).tolist(),
                             dtype=pl.String),
            "lab_column": np.full(n, int(lab_column), dtype=np.int8),
        }).write_csv(self._records, include_header=False)
        self.rows[(table.file, table.table)] = (start or 0) + n
        self._quarantine += [(table.file, table.table, where, why) for where, why in table.extra.get("quarantined", [])]

    def close(self) -> dict[str, int]:
        """Write columns.csv and quarantine.csv, close records.csv and persons.csv; return the line count of each."""
        key_dir = self.key_dir
        self._records.close()
        self._persons.close()
        cols = pl.DataFrame(self._columns, schema=["file", "table", "column", "category"], orient="row")
        cols.write_csv(key_dir / "columns.csv")
        pl.DataFrame(self._quarantine, schema=["file", "table", "location", "reason"], orient="row").write_csv(
            key_dir / "quarantine.csv")
        if self.pools is not None and self.controllers:
            (key_dir / "controllers.toml").write_text(controllers_toml(self.pools), encoding="utf-8")
        return {"columns.csv": cols.height, "records.csv": sum(self.rows.values()),
                "persons.csv": self.persons_written}

    def persons_frame(self) -> pl.DataFrame:
        """The persons' truth: canonical values and what the leak exposes about them."""
        p = self.persons
        offset = self.offset

        return p.select(
            pl.col("person_id") + offset, "last_name", "first_name",
            pl.col("birth_date").dt.strftime("%Y-%m-%d"),
            "sex", "nir",
            pl.col("email"),
            phone=phone.validate_column(p["mobile"]).fill_null(phone.validate_column(p["landline"])),
            postal_code=pl.col("postal_code"),
            city=pl.col("city"),
            hiv=pl.lit(pl.Series(self._hiv.astype(np.int8))),
            health=pl.lit(pl.Series(self._health.astype(np.int8))),
            conditions=pl.lit(_joined(self._conditions, CONDITION_BITS)),
            categories=pl.lit(_joined(self._categories, PERSONAL_IDS)),
            realities=pl.lit(_joined(self._realities, REALITIES)),
            household=(pl.col("household") if "household" in p.columns else pl.col("person_id")) + offset,
            insured_person=pl.when(pl.col("insured") >= 0).then(pl.col("insured") + offset) if "insured" in p.columns
            else pl.lit(None, dtype=pl.Int64),
            rank=pl.col("rank") if "rank" in p.columns else pl.lit(1),
            quality=pl.col("quality") if "quality" in p.columns else pl.lit("ASSURE"),
            birth_name=pl.col("birth_name") if "birth_name" in p.columns else pl.lit(None, dtype=pl.String),
            first_names=pl.col("first_names") if "first_names" in p.columns else pl.col("first_name"),
            labs=pl.lit(_joined(self._labs, tuple(self.pools.lab_finess) if self.pools is not None else ())),
        )


def controllers_toml(pools) -> str:
    """One ``[[controllers]]`` table per lab of the drill (fictional addresses and contacts on ``.test``), and the
    labs' software vendor as ``[processor]``."""
    parts = ["# The drill's laboratories as controllers: append to case.toml (`fuite synth` answer key).\n"]
    for i, (name, number, town) in enumerate(zip(pools.lab_names, pools.lab_finess, pools.lab_towns)):
        cid = f"lab-{i + 1:02d}"
        parts.append(f'''
[[controllers]]
id = "{cid}"
name = "{name}"
address = "{i + 1} rue de la Biologie, {pools.postcodes[town]} {pools.towns[town]}"
dpo = {{ email = "dpo@{cid}.test" }}
from = "{name} <notices@{cid}.test>"
labs = ["{name}"]
finess = ["{number}"]
''')
    parts.append('''
# The laboratories' software vendor, whose server leaked: the processor that tells each of them (art. 33(2)).
[processor]
name = "Logiciels Biologie Ouest (éditeur fictif)"
address = "8 allée des Logiciels, 35510 Cesson-Sévigné"
dpo = { email = "dpo@logiciels-biologie.test" }
''')
    return "".join(parts)
