"""Hostile containers stay bounded: tar headers (CVE-2024-6232), spreadsheet zip parts, deep JSON, a time budget.

Each hostile file is read in a child process with a generous timeout as a hang guard (no timed assertion); memory
is the child's peak RSS.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from test_ingest_support import scan
from fuite.errors import IngestError
from fuite.ingest.archives.tarheaders import MAX_DIGITS, check_pax

CSV = b"nom,ville\nDupont,Rennes\n"
HANG_GUARD_S = 300

CHILD = """
import json, resource, sys
from pathlib import Path
from fuite.ingest import read_paths
quarantined, problems, rows = [], [], {}
for t in read_paths([Path(sys.argv[1])], on_quarantine=quarantined.append, on_problem=problems.append):
    rows[t.file + "|" + t.table] = sum(b.num_rows for b in t.batches())
print(json.dumps({"rows": rows, "problems": [[p.file, p.reason] for p in problems],
                  "quarantined": [[q.file, q.location, q.reason] for q in quarantined],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def read_in_child(path: Path) -> dict:
    """Read ``path`` in a child process; a hang fails the test at the guard instead of blocking the suite."""
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                          timeout=HANG_GUARD_S)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def _member(info: tarfile.TarInfo, data: bytes) -> bytes:
    return info.tobuf(format=tarfile.USTAR_FORMAT) + data + b"\0" * (-len(data) % 512)


def pax_bomb(digits: int = 1_000_000) -> bytes:
    """A ~1.2 kB ``.tar.gz``: a pax header holding ``digits`` digits, then a CSV member."""
    pax = tarfile.TarInfo("././@PaxHeader")
    pax.type, pax.size = tarfile.XHDTYPE, digits
    member = tarfile.TarInfo("x.csv")
    member.size = len(CSV)
    return gzip.compress(_member(pax, b"1" * digits) + _member(member, CSV) + b"\0" * 1024, compresslevel=9)


def test_a_million_digit_pax_header_is_refused_not_parsed(tmp_path):
    (tmp_path / "bomb.tar.gz").write_bytes(pax_bomb())
    assert (tmp_path / "bomb.tar.gz").stat().st_size < 2000
    got = read_in_child(tmp_path / "bomb.tar.gz")
    assert got["problems"] == [["bomb.tar.gz", f"tar pax header holds a number of more than {MAX_DIGITS} digits "
                                               "(CVE-2024-6232 pattern)"]]


def test_pax_bomb_inside_a_zip_and_as_plain_tar(tmp_path):
    import zipfile

    raw = gzip.decompress(pax_bomb())
    (tmp_path / "plain.tar").write_bytes(raw)
    with zipfile.ZipFile(tmp_path / "outer.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("inner.tar.gz", pax_bomb())
        z.writestr("ok.csv", CSV)
    got = read_in_child(tmp_path)
    assert {f for f, _ in got["problems"]} == {"plain.tar", "outer.zip/inner.tar.gz"}
    assert got["rows"] == {"outer.zip/ok.csv|": 1}


def test_real_pax_and_gnu_long_names_still_read(tmp_path):
    long = "dossier/" + "très_long_nom_" * 10 + ".csv"
    for fmt, name in ((tarfile.PAX_FORMAT, "pax.tar.gz"), (tarfile.GNU_FORMAT, "gnu.tar.gz")):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", format=fmt) as t:
            info = tarfile.TarInfo(long)
            info.size = len(CSV)
            info.pax_headers = {"comment": "1234567890" * 3} if fmt == tarfile.PAX_FORMAT else {}
            t.addfile(info, io.BytesIO(CSV))
        (tmp_path / name).write_bytes(buf.getvalue())
    s = scan(tmp_path)
    assert not s.problems
    assert s.rows(f"pax.tar.gz/{long}") == s.rows(f"gnu.tar.gz/{long}") == [{"__row": 0, "nom": "Dupont",
                                                                             "ville": "Rennes"}]


@pytest.mark.parametrize(("buf", "ok"), [
    (b"29 path=dossier/patients.csv\n", True),
    (b"29 path=dossier/patients.csv\n" + b"\0" * 100, True),
    (b"", True),
    (b"1" * 1000, False),
    (b"28 path=dossier/patients.csv\n", False),           # length one short
    (b"99 path=x\n", False),                             # runs past the end
    (b"12 nokeyhere\n", False),
    (b"x path=a\n", False),
    (b"20 p=" + b"9" * (MAX_DIGITS + 1) + b"\n", False),  # a long run of digits anywhere
])
def test_pax_records_are_checked_in_linear_time(buf, ok):
    if ok:
        check_pax(buf)
    else:
        with pytest.raises(IngestError):
            check_pax(buf)
