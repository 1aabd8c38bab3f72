"""Orchestration of a drill: persons → who is in which file → the files → answer key."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from fuite.errors import UsageError
from fuite.synth.answer_key import AnswerKey
from fuite.synth.files import FILES
from fuite.synth.people import email_hashes, make_persons, second_labs
from fuite.synth.pools import build_pools
from fuite.synth.rows import Ctx

__all__ = ["generate", "check_arguments", "DEFAULT_PERSONS", "MIN_PERSONS", "FILE_WEIGHTS", "FILES_PER_PERSON", "CHUNK",
           "chunk_sizes"]

DEFAULT_PERSONS = 491_840
MIN_PERSONS = 20
#: Persons drawn and written at a time: memory is that of one chunk (about 0.5 GB), whatever the drill's size.
CHUNK = 250_000
#: Relative chance of a person being in each file (same order as ``files.FILES``); the XLSX is the smallest.
FILE_WEIGHTS = np.array([0.22, 0.18, 0.14, 0.05, 0.18, 0.13, 0.10, 0.12, 0.06, 0.08])
#: Probability that a person appears in 1, 2, 3 or 4 files.
FILES_PER_PERSON = np.array([0.42, 0.33, 0.18, 0.07])

Progress = Callable[[str, float], None]


def assign_files(rng: np.random.Generator, n: int, spread: bool = True) -> np.ndarray:
    """Boolean matrix persons x files: each person in 1–4 distinct files, drawn by weight.

    Weighted sampling without replacement via exponential keys (smallest k keys win).
    With ``spread`` (a drill's first chunk), the first persons are placed one per file so that no file is ever
    empty.
    """
    k = rng.choice(np.arange(1, len(FILES_PER_PERSON) + 1), size=n, p=FILES_PER_PERSON)
    keys = rng.exponential(size=(n, len(FILE_WEIGHTS))) / FILE_WEIGHTS
    rank = np.argsort(np.argsort(keys, axis=1, kind="stable"), axis=1, kind="stable")
    member = rank < k[:, None]
    for f in range(min(n, len(FILE_WEIGHTS)) if spread else 0):
        member[f, f] = True
    return member


def check_arguments(out_dir: Path, persons: int, seed: int, force: bool, later: float = 0.0) -> None:
    """Raise ``UsageError`` (one line, before anything is written) for arguments ``generate`` refuses."""
    if persons < MIN_PERSONS:
        raise UsageError(f"--persons must be at least {MIN_PERSONS}")
    if seed < 0:
        raise UsageError("--seed must be zero or positive")
    if not 0 <= later < 1:
        raise UsageError("--later must be a fraction from 0 to 1 (e.g. 0.1)")
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError("--out exists and is not a folder")
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise UsageError("--out is not empty (use --force to replace a previous drill)")


def _prepare(out_dir: Path) -> None:
    if out_dir.exists():
        for sub in ("leak", "answer_key", "later"):
            if (out_dir / sub).exists():
                shutil.rmtree(out_dir / sub)
    out_dir.mkdir(parents=True, exist_ok=True)


def _later_part(out_dir: Path, later: float, pools=None):
    """The part of the drill held back as files found later (``--later``), or None."""
    if not later:
        return None
    from fuite.synth.later import Later

    return Later(out_dir, later, pools)


def chunk_sizes(persons: int, chunk: int) -> list[int]:
    """The drill's persons in as few chunks of at most ``chunk`` as possible, as even as possible."""
    count = -(-persons // chunk)
    base, more = divmod(persons, count)
    return [base + (i < more) for i in range(count)]


def generate(out_dir: Path, persons: int = DEFAULT_PERSONS, seed: int = 0, progress: Progress | None = None,
             *, force: bool = False, chunk: int = CHUNK, later: float = 0.0) -> dict:
    """Write a synthetic leak under ``out_dir/leak`` and its answer key under ``out_dir/answer_key``.

    With ``later`` (a fraction below 1), that share of the persons is held back as files found later, under
    ``out_dir/later`` (:mod:`fuite.synth.later`).
    Deterministic: the same ``persons``, ``seed`` and ``chunk`` give the same bytes. The persons are drawn and
    written ``chunk`` at a time (each chunk its own households, homonyms and rows; NIRs, phones and emails
    unique across chunks), so memory stays that of one chunk whatever the size. Returns a summary (persons,
    seed, per file its tables' row counts and size, total rows, seconds).
    """
    out_dir = Path(out_dir)
    check_arguments(out_dir, persons, seed, force, later)
    if chunk < MIN_PERSONS:
        raise UsageError(f"chunk must be at least {MIN_PERSONS}")
    _prepare(out_dir)
    report = progress or (lambda stage, fraction: None)
    started = time.perf_counter()
    pools = build_pools(seed)
    leak = out_dir / "leak"
    writers = {}
    for module in FILES:
        path = leak / module.PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        writers[module.PATH] = module.open_writer(path)
    key = AnswerKey(out_dir / "answer_key", pools)
    held = _later_part(out_dir, later, pools)
    root = np.random.SeedSequence(seed)
    sizes = chunk_sizes(persons, chunk)
    taken = np.zeros(0, dtype=np.uint64)
    offset = 0
    steps = len(sizes) * (2 + len(FILES)) + 1
    for c, size in enumerate(sizes):
        step = c * (2 + len(FILES))
        report("persons", step / steps)
        seeds = root.spawn(2 + len(FILES))     # the first chunk draws as an unchunked drill did
        people, topics = make_persons(np.random.default_rng(seeds[0]), pools, size, part=(c, len(sizes)),
                                      taken=taken)
        taken = np.union1d(taken, email_hashes(people["email"]))
        people = people.with_columns(pl.Series("lab2", second_labs(   # its own stream: the rest is unchanged
            np.random.default_rng(np.random.SeedSequence([seed, 3, c])), people["lab"].to_numpy(),
            len(pools.lab_names))))
        member = assign_files(np.random.default_rng(seeds[1]), size, spread=c == 0)
        if held is not None:
            held.begin(np.random.default_rng(np.random.SeedSequence([seed, 2, c])), member, people, offset)
        ctx = Ctx(people, topics, pools, first=c == 0)
        key.begin(people, offset)
        for i, module in enumerate(FILES):
            report(module.PATH, (step + 2 + i) / steps)
            pids = np.flatnonzero(member[:, i])
            room = getattr(module, "MAX_PERSONS", None)
            if room is not None:
                pids = pids[:max(room - key.rows.get((module.PATH, getattr(module, "SHEET", "")), 0), 0)]
            ctx.start = {t: key.rows.get((module.PATH, t), 0) for f, t in key.rows if f == module.PATH}
            tables = module.build(ctx, np.random.default_rng(seeds[2 + i]), pids)
            writers[module.PATH].add(tables)
            for table in tables:
                key.add(table)
                if held is not None:
                    held.observe(table, later=False)
            del tables
        if held is not None:
            report("later files", (step + 1 + len(FILES)) / steps)
            held.write_chunk(FILES, ctx, np.random.SeedSequence([seed, 1, c]), key)
        key.end()
        offset += size
        del people, topics, member, ctx
    report("answer key", (steps - 1) / steps)
    for writer in writers.values():
        writer.close()
    key_lines = key.close()
    extra = {"later": held.close()} if held is not None else {}
    files = {module.PATH: {"tables": {t: n for (f, t), n in key.rows.items() if f == module.PATH},
                           "bytes": (leak / module.PATH).stat().st_size} for module in FILES}
    report("done", 1.0)
    return extra | {
        "persons": persons,
        "seed": seed,
        "files": files,
        "rows": key_lines["records.csv"],
        "answer_key": key_lines,
        "seconds": round(time.perf_counter() - started, 2),
    }
