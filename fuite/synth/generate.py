"""Orchestration of a drill: persons → who is in which file → the files → answer key."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fuite.errors import UsageError
from fuite.synth.answer_key import AnswerKey
from fuite.synth.files import FILES
from fuite.synth.people import make_persons
from fuite.synth.pools import build_pools
from fuite.synth.rows import Ctx

__all__ = ["generate", "check_arguments", "DEFAULT_PERSONS", "MIN_PERSONS", "FILE_WEIGHTS", "FILES_PER_PERSON"]

DEFAULT_PERSONS = 491_840
MIN_PERSONS = 20
#: Relative chance of a person being in each file (same order as ``files.FILES``); the XLSX is the smallest.
FILE_WEIGHTS = np.array([0.22, 0.18, 0.14, 0.05, 0.18, 0.13, 0.10, 0.12, 0.06, 0.08])
#: Probability that a person appears in 1, 2, 3 or 4 files.
FILES_PER_PERSON = np.array([0.42, 0.33, 0.18, 0.07])

Progress = Callable[[str, float], None]


def assign_files(rng: np.random.Generator, n: int) -> np.ndarray:
    """Boolean matrix persons x files: each person in 1–4 distinct files, drawn by weight.

    Weighted sampling without replacement via exponential keys (smallest k keys win).
    The first persons are placed one per file so that no file is ever empty.
    """
    k = rng.choice(np.arange(1, len(FILES_PER_PERSON) + 1), size=n, p=FILES_PER_PERSON)
    keys = rng.exponential(size=(n, len(FILE_WEIGHTS))) / FILE_WEIGHTS
    rank = np.argsort(np.argsort(keys, axis=1, kind="stable"), axis=1, kind="stable")
    member = rank < k[:, None]
    for f in range(min(n, len(FILE_WEIGHTS))):
        member[f, f] = True
    return member


def check_arguments(out_dir: Path, persons: int, seed: int, force: bool) -> None:
    """Raise ``UsageError`` (one line, before anything is written) for arguments ``generate`` refuses."""
    if persons < MIN_PERSONS:
        raise UsageError(f"--persons must be at least {MIN_PERSONS}")
    if seed < 0:
        raise UsageError("--seed must be zero or positive")
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError("--out exists and is not a folder")
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise UsageError("--out is not empty (use --force to replace a previous drill)")


def _prepare(out_dir: Path) -> None:
    if out_dir.exists():
        for sub in ("leak", "answer_key"):
            if (out_dir / sub).exists():
                shutil.rmtree(out_dir / sub)
    out_dir.mkdir(parents=True, exist_ok=True)


def generate(out_dir: Path, persons: int = DEFAULT_PERSONS, seed: int = 0, progress: Progress | None = None,
             *, force: bool = False) -> dict:
    """Write a synthetic leak under ``out_dir/leak`` and its answer key under ``out_dir/answer_key``.

    Deterministic: the same ``persons`` and ``seed`` give the same bytes. Returns a summary
    (persons, seed, per file its tables' row counts and size, total rows, seconds).
    """
    out_dir = Path(out_dir)
    check_arguments(out_dir, persons, seed, force)
    _prepare(out_dir)
    report = progress or (lambda stage, fraction: None)
    started = time.perf_counter()
    steps = 2 + len(FILES) + 1
    seeds = np.random.SeedSequence(seed).spawn(2 + len(FILES))
    report("persons", 0.0)
    pools = build_pools(seed)
    people, topics = make_persons(np.random.default_rng(seeds[0]), pools, persons)
    member = assign_files(np.random.default_rng(seeds[1]), persons)
    report("persons", 2 / steps)
    ctx = Ctx(people, topics, pools)
    key = AnswerKey(people)
    files: dict[str, dict] = {}
    leak = out_dir / "leak"
    for i, module in enumerate(FILES):
        report(module.PATH, (2 + i) / steps)
        tables = module.build(ctx, np.random.default_rng(seeds[2 + i]), np.flatnonzero(member[:, i]))
        path = leak / module.PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        module.write(tables, path)
        for table in tables:
            key.add(table)
        files[module.PATH] = {"tables": {t.table: t.frame.height for t in tables}, "bytes": path.stat().st_size}
        del tables
    report("answer key", (steps - 1) / steps)
    key_lines = key.write(out_dir / "answer_key")
    report("done", 1.0)
    return {
        "persons": persons,
        "seed": seed,
        "files": files,
        "rows": key_lines["records.csv"],
        "answer_key": key_lines,
        "seconds": round(time.perf_counter() - started, 2),
    }
