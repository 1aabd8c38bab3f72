"""Build the self-check index from a case's ``persons`` table.

Every person's emails, phones and NIR, each paired with their birth date, become OPRF inputs
``{kind}:{value}|{birth_date}``. Each input is evaluated once with the server key (RFC 9497 Evaluate):
the first 16 bytes of the Output are the entry's tag, and the whole Output keys the entry's sealed answer,
that person's own exposure (``fuite.lookup.exposure``). Entries are stored in the bucket of the identifier
``{kind}:{value}`` (without the birth date). Evaluation runs in worker processes (``fuite.lookup.entries``).

An input shared by several persons (two persons with the same email and birth date) gets one entry: the
union of their categories, only the conditions common to all of them, and the ``shared`` flag.
Stored values go through the column forms of the ``fuite.ids`` rules that normalise typed values
(``fuite.lookup.normalise``), so that both sides meet.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from fuite.ids import birth_date, email_address, nir, phone
from fuite.lookup import entries, exposure, oprf
from fuite.lookup.guidance import breach_summary, controller_codes
from fuite.lookup.index import choose_bucket_bits, pack_buckets, write_index
from fuite.lookup.keys import ServerKey
from fuite.progress import NO_PROGRESS, Tracker

__all__ = ["PERSON_COLUMNS", "BuildStats", "IndexInputs", "person_inputs", "index_inputs", "exposure_codes",
           "evaluate_prefixes", "build_index"]


@dataclass
class BuildStats:
    persons: int = 0
    inputs: int = 0
    skipped_no_birth_date: int = 0
    shared_inputs: int = 0
    by_kind: dict = field(default_factory=lambda: {"email": 0, "phone": 0, "nir": 0})


@dataclass
class IndexInputs:
    """The distinct inputs (``{kind}:{value}|{birth_date}``) and their 16-byte plaintexts, concatenated in order."""

    inputs: list[bytes]
    plaintexts: bytes


#: Each kind: the persons columns holding it and the ``fuite.ids`` column normaliser.
_KINDS = {"email": (("emails", "email"), email_address.validate_column),
          "phone": (("phones", "phone"), phone.validate_column),
          "nir": (("nir",), nir.validate_column)}


def _listed(*columns: str) -> pl.Expr:
    """The distinct values of ``;``-joined list columns."""
    return pl.concat_list([pl.col(c).fill_null("").str.split(";") for c in columns]).list.unique()


def exposure_codes(persons: pa.Table) -> list[dict]:
    """The exposure codes of this index: the breach's categories then its conditions (``{id, fr, en, condition}``)."""
    return _codes(breach_summary(persons, {}, ""))


def _codes(summary: dict) -> list[dict]:
    """Categories, conditions, then the controllers (several-controller cases) when all of them fit as well."""
    codes = ([{**c, "condition": False} for c in summary["categories"]]
             + [{**c, "condition": True} for c in summary["conditions"]])[:exposure.MAX_CODES]
    controllers = controller_codes(summary)
    return codes + controllers if len(codes) + len(controllers) <= exposure.MAX_CODES else codes


#: The persons columns an index is built from (the case's store reads only these).
PERSON_COLUMNS = ("birth_date", "email", "emails", "phone", "phones", "nir", "categories", "conditions")


def _frame(persons: pa.Table, stats: BuildStats) -> pl.DataFrame:
    wanted = PERSON_COLUMNS
    df = pl.from_arrow(persons.select([c for c in wanted if c in persons.column_names]))
    for name in wanted[1:]:
        if name not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(name))
    df = df.with_columns(birth_date.validate_column(df["birth_date"]).alias("birth_date"),
                         pl.col("categories").fill_null(""), pl.col("conditions").fill_null(""))
    stats.persons += df.height
    stats.skipped_no_birth_date += int(df["birth_date"].null_count())
    return df.drop_nulls("birth_date").with_row_index("person")


def _identifiers(df: pl.DataFrame, stats: BuildStats) -> pl.DataFrame:
    """One row per (person, input ``{kind}:{value}|{birth_date}``) with the person's categories and conditions."""
    frames = []
    for kind, (columns, normalise_column) in _KINDS.items():
        part = df.select("person", _listed(*columns).alias("v"), "birth_date", "categories", "conditions").explode("v")
        part = (part.with_columns(normalise_column(part["v"]).alias("v")).drop_nulls("v")
                .select("person", "categories", "conditions",
                        pl.concat_str([pl.lit(f"{kind}:"), pl.col("v"), pl.lit("|"), pl.col("birth_date")])
                        .alias("input"))
                .unique(["person", "input"]))
        stats.by_kind[kind] += part["input"].n_unique()
        frames.append(part)
    return pl.concat(frames)


def _split(column: str) -> pl.Expr:
    return pl.col(column).str.split(";").list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))


def index_inputs(persons: pa.Table, stats: BuildStats | None = None, with_conditions: bool = False,
                 codes: list[str] | None = None) -> IndexInputs:
    """The distinct inputs of a persons table with their sealed-answer plaintexts.

    Most inputs belong to one person and take that person's answer as it is, encoded once per distinct answer;
    only shared ones are grouped.
    """
    stats = stats if stats is not None else BuildStats()
    codes = codes if codes is not None else [c["id"] for c in exposure_codes(persons)]
    rows = _identifiers(_frame(persons, stats), stats).with_columns(pl.len().over("input").alias("n"))
    answer = _Answers(codes, with_conditions)
    single = rows.filter(pl.col("n") == 1).select(pl.col("input").cast(pl.Binary), "categories", "conditions")
    answers = single.select("categories", "conditions").unique().with_row_index("answer")
    single = single.join(answers, on=["categories", "conditions"])
    table = np.frombuffer(b"".join([answer(cats, (conds,), 1) for cats, conds in answers.select(
        "categories", "conditions").iter_rows()]) or bytes(exposure.PLAINTEXT_BYTES), dtype=np.uint8)
    plaintexts = table.reshape(-1, exposure.PLAINTEXT_BYTES)[single["answer"].to_numpy()].tobytes()
    grouped = (rows.filter(pl.col("n") > 1)
               .with_columns(_split("categories").alias("cats"), _split("conditions").alias("conds"))
               .group_by("input", maintain_order=True)
               .agg(pl.col("person").n_unique().alias("persons"),
                    pl.col("cats").list.explode(keep_nulls=False, empty_as_null=False).unique().sort().str.join(";").alias("cats"),
                    pl.col("conds").list.join(";").alias("conds")))
    plaintexts += b"".join([answer(cats, tuple(conds), n) for cats, conds, n in grouped.select(
        "cats", "conds", "persons").iter_rows()])
    stats.inputs = single.height + grouped.height
    stats.shared_inputs = grouped.height
    return IndexInputs(single["input"].to_list() + grouped["input"].cast(pl.Binary).to_list(), plaintexts)


def _items(joined: str) -> set[str]:
    return {item for item in (part.strip() for part in joined.split(";")) if item}


class _Answers:
    """The 16-byte plaintext of an input: its persons' categories, the conditions common to all of them (when the
    controller tells conditions), the shared flag; one encoding per distinct answer."""

    def __init__(self, codes: list[str], with_conditions: bool):
        self.codes, self.with_conditions, self.cache = codes, with_conditions, {}
        self.flags = exposure.FLAG_CONDITIONS if with_conditions else 0

    def __call__(self, cats: str, conds: tuple[str, ...], persons: int) -> bytes:
        key = (cats, conds if self.with_conditions else (), persons > 1)
        if key not in self.cache:
            common = set.intersection(*(_items(p) for p in conds)) if key[1] else set()
            shared = exposure.FLAG_SHARED if key[2] else 0
            self.cache[key] = exposure.encode_exposure(self.codes, _items(cats) | common, self.flags | shared)
        return self.cache[key]


def person_inputs(persons: pa.Table, stats: BuildStats | None = None) -> list[bytes]:
    """The distinct OPRF inputs of a persons table (values are already normalised by detect/resolve)."""
    return index_inputs(persons, stats).inputs


def evaluate_prefixes(sk: bytes, inputs: list[bytes], workers: int | None = None) -> bytes:
    """Concatenated 16-byte tags of ``inputs`` (benchmarks and tests)."""
    blank = exposure.encode_exposure([], set())
    done = entries.evaluate(sk, bytes(16), inputs, blank * len(inputs), workers).entries
    return b"".join(done[i:i + exposure.TAG_BYTES] for i in range(0, len(done), exposure.ENTRY_BYTES))


def _buckets(prefixes: bytes, bucket_bits: int) -> np.ndarray:
    """Bucket numbers: the top ``bucket_bits`` bits of each identifier's SHA-256 prefix (its first hex digits)."""
    return (np.frombuffer(prefixes, dtype=">u4") >> (32 - bucket_bits)).astype(np.int64)


def build_index(persons: pa.Table, key: ServerKey, out: Path, settings: dict | None = None,
                workers: int | None = None, bucket_bits: int | None = None,
                with_conditions: bool = False, progress: Tracker = NO_PROGRESS,
                random_bytes: Callable[[int], bytes] = secrets.token_bytes, created: str | None = None) -> BuildStats:
    """Build the index file ``out`` from ``persons`` with ``key``; returns counts (no identifiers).

    ``with_conditions``: the controller opts in to tell each person their own affirmed conditions.
    ``progress``: a bar of the build's steps, and one of the inputs evaluated with their number as its total.
    ``random_bytes`` (the exposure salt, then the padding) and ``created`` (the header's time) are given by tests
    only: with them fixed, the file is the same bytes whatever ``workers``.
    """
    stats = BuildStats()
    now = created or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    summary = breach_summary(persons, settings or {}, now)
    codes = _codes(summary)
    if bucket_bits is not None and (bucket_bits % 4 or not 4 <= bucket_bits <= 32):
        raise ValueError("bucket_bits must be a multiple of 4 between 4 and 32")
    salt = random_bytes(16)
    steps = progress.bar("lookup build: the persons' inputs", 3, "steps")
    # The workers start while the inputs are prepared (about 3 inputs a person).
    with entries.evaluator(key.sk, salt, entries.workers_for(3 * persons.num_rows, workers)) as evaluate:
        made = index_inputs(persons, stats, with_conditions, [c["id"] for c in codes])
        steps.advance(label="lookup build: OPRF evaluation")
        bar = progress.bar("lookup build: OPRF inputs", len(made.inputs), "inputs")
        done = evaluate(made.inputs, made.plaintexts, bar)
    bar.finish()
    bits = bucket_bits or choose_bucket_bits(len(made.inputs))
    steps.advance(label="lookup build: buckets")
    block, per = pack_buckets(_buckets(done.prefixes, bits),
                              np.frombuffer(done.entries, dtype=np.uint8).reshape(-1, exposure.ENTRY_BYTES), bits,
                              random_bytes=random_bytes)
    header = {
        "format": "fuite-lookup-index", "suite": oprf.SUITE, "mode": oprf.MODE, "bucket_bits": bits,
        "entry_bytes": exposure.ENTRY_BYTES, "tag_bytes": exposure.TAG_BYTES, "entries_per_bucket": per,
        "key_id": key.key_id, "created": now, "kinds": ["email", "phone", "nir"],
        "exposure": {"salt": salt.hex(), "codes": codes, "conditions": with_conditions},
        "breach": summary,
    }
    write_index(out, header, block)
    steps.finish()
    return stats
