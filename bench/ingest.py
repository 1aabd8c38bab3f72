"""Ingest throughput per format, beside plain ``polars.read_csv`` on the same delimited files.

    python bench/ingest.py DRILL_DIR            # a drill from ``fuite synth --out DRILL_DIR`` (its leak/ folder)
    python bench/ingest.py --big-gb 5           # also: a generated 5 GB CSV streamed, peak RSS measured

Prints rows/s and MB/s per format. For each delimited file, ingest (every row to
Arrow batches with provenance, quarantine checks, encoding handling) is timed
against ``polars.read_csv`` with every column as text (the reference reader,
multi-threaded, no streaming). The big-file run happens in a child process so its
peak RSS is its own.
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


def read_all(path: Path) -> tuple[list[tuple[str, str, int, str, str]], float]:
    """Read one file fully: ``[(file, format, rows, delimiter, encoding)]`` and the seconds it took."""
    from fuite.ingest import read_paths
    from fuite.ingest.delimited import sniff_dialect

    out = []
    start = time.perf_counter()
    for table in read_paths([path], on_quarantine=lambda q: None, on_problem=lambda p: None):
        rows = sum(b.num_rows for b in table.batches())
        delimiter = ""
        if table.format in DELIMITED:
            delimiter = sniff_dialect(path.read_bytes()[: 1 << 20]).delimiter
        out.append((table.file, table.format, rows, delimiter, table.encoding))
    return out, time.perf_counter() - start


def polars_reference(path: Path, delimiter: str, has_header: bool) -> tuple[int, float]:
    import polars as pl

    start = time.perf_counter()
    frame = pl.read_csv(path, separator=delimiter, has_header=has_header, infer_schema=False,
                        encoding="utf8-lossy", quote_char='"', truncate_ragged_lines=True)
    return frame.height, time.perf_counter() - start


def bench_dir(folder: Path) -> None:
    from fuite.ingest.delimited import sniff_dialect

    files = sorted(p for p in folder.rglob("*") if p.is_file())
    per_format: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    print(f"{'file':55} {'format':7} {'rows':>9} {'MB':>7} {'ingest MB/s':>11} {'polars MB/s':>11} {'ratio':>6}")
    for path in files:
        tables, seconds = read_all(path)
        if not tables:
            continue
        size = path.stat().st_size / 1e6
        rows = sum(t[2] for t in tables)
        fmt = tables[0][1]
        acc = per_format[fmt]
        acc[0] += rows
        acc[1] += size
        acc[2] += seconds
        reference = ""
        if fmt in DELIMITED:
            dialect = sniff_dialect(path.read_bytes()[: 1 << 20])
            best = min(polars_reference(path, dialect.delimiter, dialect.header)[1] for _ in range(2))
            ours = min([seconds] + [read_all(path)[1]])
            reference = f"{size / best:11.1f} {best / ours:6.2f}"
            acc[2] += ours - seconds
            per_format.setdefault("polars.read_csv", [0, 0.0, 0.0])
            ref = per_format["polars.read_csv"]
            ref[0] += rows
            ref[1] += size
            ref[2] += best
        print(f"{str(path.relative_to(folder))[:55]:55} {fmt:7} {rows:9d} {size:7.1f} {size / seconds:11.1f} {reference}")
    print()
    print(f"{'format':16} {'rows':>10} {'MB':>8} {'seconds':>8} {'rows/s':>11} {'MB/s':>8}")
    for fmt, (rows, size, seconds) in sorted(per_format.items()):
        print(f"{fmt:16} {rows:10d} {size:8.1f} {seconds:8.2f} {rows / seconds:11,.0f} {size / seconds:8.1f}")
    ours = [v for k, v in per_format.items() if k in DELIMITED]
    if ours and "polars.read_csv" in per_format:
        mine = sum(v[1] for v in ours) / sum(v[2] for v in ours)
        ref = per_format["polars.read_csv"]
        print(f"\ndelimited ingest / polars.read_csv speed: {mine / (ref[1] / ref[2]):.2f} (target >= 0.50)")


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
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child_stream(args.child)
        return
    if args.folder:
        folder = args.folder / "leak" if (args.folder / "leak").is_dir() else args.folder
        bench_dir(folder)
    elif not args.big_gb:
        with tempfile.TemporaryDirectory() as d:
            write_big_csv(Path(d) / "generated.csv", 0.2)
            bench_dir(Path(d))
    if args.big_gb:
        bench_big(args.big_gb, args.big_reference)


if __name__ == "__main__":
    main()
