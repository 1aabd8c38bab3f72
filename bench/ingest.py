"""Ingest throughput per format, beside plain ``polars.read_csv`` on the same delimited files.

    python bench/ingest.py DRILL_DIR            # a drill from ``fuite synth --out DRILL_DIR`` (its leak/ folder)
    python bench/ingest.py --big-gb 5           # also: a generated 5 GB CSV streamed, peak RSS measured

Prints rows/s and MB/s per format, best of ``--repeat`` runs (the machine may be
shared), from wall-clock time and from the process's CPU time, and each format's
speed as a ratio to ``polars.read_csv`` on the drill's delimited files. For each
delimited file, ingest (every row to Arrow batches with provenance, quarantine
checks, encoding handling) is timed against ``polars.read_csv`` with every column
as text (the reference reader, multi-threaded, no streaming). The big-file run
happens in a child process so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

DELIMITED = {"csv", "tsv", "psv"}


def read_all(path: Path) -> tuple[list[tuple[str, str, int, str, str]], float, float]:
    """Read one file fully: ``[(file, format, rows, delimiter, encoding)]``, wall and CPU seconds."""
    from fuite.ingest import read_paths

    out = []
    start, cpu = time.perf_counter(), time.process_time()
    for table in read_paths([path], on_quarantine=lambda q: None, on_problem=lambda p: None):
        rows = sum(b.num_rows for b in table.batches())
        out.append((table.file, table.format, rows, "", table.encoding))
    return out, time.perf_counter() - start, time.process_time() - cpu


def polars_reference(path: Path, delimiter: str, has_header: bool, skip_rows: int = 0) -> tuple[int, float, float]:
    """``polars.read_csv`` of the same rows (title rows above the header skipped as ingest skips them)."""
    import polars as pl

    start, cpu = time.perf_counter(), time.process_time()
    frame = pl.read_csv(path, separator=delimiter, has_header=has_header, infer_schema=False, skip_rows=skip_rows,
                        encoding="utf8-lossy", quote_char='"', truncate_ragged_lines=True)
    return frame.height, time.perf_counter() - start, time.process_time() - cpu


def bench_dir(folder: Path, repeat: int) -> None:
    """Best of ``repeat`` runs per file (the machine may be shared): wall-clock and CPU figures."""
    from fuite.ingest.tabular.delimited import sniff_dialect

    files = sorted(p for p in folder.rglob("*") if p.is_file())
    per_format: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    print(f"best of {repeat} runs; MB/s from wall-clock time (cpu: from process CPU time)\n")
    print(f"{'file':50} {'format':6} {'rows':>8} {'MB':>6} {'ingest MB/s':>11} {'cpu MB/s':>8} "
          f"{'polars MB/s':>11} {'ratio':>6}")
    for path in files:
        runs = [read_all(path) for _ in range(repeat)]
        tables = runs[0][0]
        if not tables:
            continue
        seconds, cpu = min(r[1] for r in runs), min(r[2] for r in runs)
        size = path.stat().st_size / 1e6
        rows = sum(t[2] for t in tables)
        fmt = tables[0][1]
        acc = per_format[fmt]
        acc[0] += rows
        acc[1] += size
        acc[2] += seconds
        acc[3] += cpu
        reference = ""
        if fmt in DELIMITED:
            dialect = sniff_dialect(path.read_bytes()[: 1 << 20])
            titles = dialect.skip_lines - dialect.header
            refs = [polars_reference(path, dialect.delimiter, dialect.header, titles) for _ in range(repeat)]
            best, best_cpu = min(r[1] for r in refs), min(r[2] for r in refs)
            reference = f"{size / best:11.1f} {best / seconds:6.2f}"
            ref = per_format["polars.read_csv"]
            ref[0] += rows
            ref[1] += size
            ref[2] += best
            ref[3] += best_cpu
        print(f"{str(path.relative_to(folder))[:50]:50} {fmt:6} {rows:8d} {size:6.1f} {size / seconds:11.1f} "
              f"{size / cpu:8.1f} {reference}")
    print()
    ref = per_format.get("polars.read_csv")
    ref_speed = ref[1] / ref[2] if ref else 0.0
    print(f"{'format':16} {'rows':>10} {'MB':>7} {'seconds':>8} {'rows/s':>11} {'MB/s':>7} {'cpu MB/s':>8} "
          f"{'/ polars.read_csv':>17}")
    for fmt, (rows, size, seconds, cpu) in sorted(per_format.items()):
        ratio = f"{(size / seconds) / ref_speed:17.2f}" if ref_speed else ""
        print(f"{fmt:16} {rows:10d} {size:7.1f} {seconds:8.2f} {rows / seconds:11,.0f} {size / seconds:7.1f} "
              f"{size / cpu:8.1f} {ratio}")
    total = [v for k, v in per_format.items() if k != "polars.read_csv"]
    size, seconds = sum(v[1] for v in total), sum(v[2] for v in total)
    print(f"{'all formats':16} {int(sum(v[0] for v in total)):10d} {size:7.1f} {seconds:8.2f} "
          f"{sum(v[0] for v in total) / seconds:11,.0f} {size / seconds:7.1f} {size / sum(v[3] for v in total):8.1f}")
    ours = [v for k, v in per_format.items() if k in DELIMITED]
    if ours and ref:
        mine = sum(v[1] for v in ours) / sum(v[2] for v in ours)
        print(f"\ndelimited ingest / polars.read_csv speed: {mine / ref_speed:.2f} (target >= 0.50)")


def write_big_csv(path: Path, gigabytes: float) -> int:
    """A ``;``-separated CSV of about ``gigabytes`` GB with a header and French-looking rows."""
    target = int(gigabytes * 1e9)
    header = "nom;prenom;date_naissance;nir;telephone;email;adresse;code_postal;ville;commentaire\n"
    rows = []
    for i in range(20_000):
        rows.append(f"NOM{i % 977};Prénom{i % 131};19{i % 90 + 10:02d}-0{i % 9 + 1}-1{i % 9};"
                    f"1{i % 99:02d}0{i % 9}35{i:06d}{i % 97:02d};06{i:08d};p{i}@exemple.fr;"
                    f"\"{i} rue de la Paix; bât. B\";35{i % 1000:03d};Rennes;\"RAS, suivi\"\n")
    block = "".join(rows).encode("utf-8")
    written, n = 0, 0
    with open(path, "wb") as f:
        f.write(header.encode())
        while written < target:
            f.write(block)
            written += len(block)
            n += len(rows)
    return n


def _child_stream(path: str) -> None:
    rows, seconds = 0, 0.0
    start = time.perf_counter()
    from fuite.ingest import read_paths

    for table in read_paths([Path(path)], on_quarantine=lambda q: None, on_problem=lambda p: None):
        rows += sum(b.num_rows for b in table.batches())
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{rows} {seconds:.2f} {peak:.0f}")


def bench_big(gigabytes: float, reference: bool) -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as d:
        path = Path(d) / "big.csv"
        expected = write_big_csv(path, gigabytes)
        size = path.stat().st_size / 1e6
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                             check=True).stdout.split()
        rows, seconds, peak = int(out[0]), float(out[1]), float(out[2])
        print(f"\nbig CSV: {size:,.0f} MB, {rows:,} rows (expected {expected:,}) in {seconds:.1f} s: "
              f"{rows / seconds:,.0f} rows/s, {size / seconds:.1f} MB/s, peak RSS {peak:,.0f} MiB (limit 2048)")
        if reference:
            code = ("import polars as pl, resource, time, sys; t = time.perf_counter(); "
                    "f = pl.read_csv(sys.argv[1], separator=';', infer_schema=False); "
                    "print(f.height, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
            ref = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                                 check=True).stdout.split()
            print(f"polars.read_csv same file: {float(ref[1]):.1f} s, {size / float(ref[1]):.1f} MB/s, "
                  f"peak RSS {float(ref[2]):,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="drill folder (or its leak/ folder)")
    parser.add_argument("--big-gb", type=float, default=0, help="also stream a generated CSV of this size")
    parser.add_argument("--big-reference", action="store_true", help="also time polars.read_csv on the big CSV")
    parser.add_argument("--repeat", type=int, default=2, help="runs per file; the best is kept (default 2)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child_stream(args.child)
        return
    if args.folder:
        folder = args.folder / "leak" if (args.folder / "leak").is_dir() else args.folder
        bench_dir(folder, args.repeat)
    elif not args.big_gb:
        with tempfile.TemporaryDirectory() as d:
            write_big_csv(Path(d) / "generated.csv", 0.2)
            bench_dir(Path(d), args.repeat)
    if args.big_gb:
        bench_big(args.big_gb, args.big_reference)


if __name__ == "__main__":
    main()
