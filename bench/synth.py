"""Time the drill generator at full size, side by side with the naive peer (Faker called per cell).

    python bench/synth.py [--persons 491840] [--seed 0] [--out DIR] [--keep]

Prints persons, rows, MB and rows per file, total seconds and peak RSS of
``fuite.synth.generate``; then times Faker fr_FR filling the same number of
identity cells one call at a time on a sample and extrapolates to the drill's size.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path


def faker_per_cell_seconds(cells: int, sample: int = 20_000) -> float:
    """Seconds Faker fr_FR would take for ``cells`` cells, measured on ``sample`` cells (one call each)."""
    from faker import Faker

    fake = Faker("fr_FR")
    fake.seed_instance(0)
    calls = (fake.last_name, fake.first_name, fake.date_of_birth, fake.ssn, fake.street_address, fake.postcode,
             fake.city, fake.phone_number, fake.email, fake.sentence)
    start = time.perf_counter()
    for i in range(sample):
        calls[i % len(calls)]()
    return (time.perf_counter() - start) / sample * cells


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=491_840)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    from fuite.synth import generate

    out = a.out or Path(tempfile.mkdtemp(prefix="fuite-synth-bench-"))
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    summary = generate(out, persons=a.persons, seed=a.seed)
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"persons: {summary['persons']:,}  seed: {a.seed}  cores: {os.cpu_count()}")
    print(f"{'file':<52} {'table':<13} {'rows':>10} {'MB':>8}")
    cells = 0
    for path, info in summary["files"].items():
        for i, (table, rows) in enumerate(info["tables"].items()):
            mb = f"{info['bytes'] / 1e6:8.1f}" if i == 0 else " " * 8
            print(f"{path:<52} {table:<13} {rows:>10,} {mb}")
    key_mb = sum(p.stat().st_size for p in (out / "answer_key").iterdir()) / 1e6
    print(f"{'answer_key/ (columns, records, persons)':<52} {'':<13} {summary['answer_key']['records.csv']:>10,} "
          f"{key_mb:8.1f}")
    leak_mb = sum(info["bytes"] for info in summary["files"].values()) / 1e6
    print(f"total: {summary['rows']:,} rows, {leak_mb:.0f} MB of leak files")
    print(f"fuite.synth.generate      : {wall:8.1f} s   peak RSS {rss:,.0f} MiB")
    cells = summary["rows"] * 15  # about 15 filled cells per row across the seven files
    peer = faker_per_cell_seconds(cells)
    print(f"Faker per cell (peer, est.): {peer:8.1f} s   ({cells:,} cells extrapolated from a 20,000-call sample)")
    if not a.keep and a.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
