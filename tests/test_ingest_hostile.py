"""A hostile corpus: every item is read or reported with its reason, never a traceback, never a crash."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from test_ingest_support import scan
from fuite.errors import IngestError
from fuite.ingest.blob import limited
from fuite.ingest.limits import MiB

GOOD = b"nom,ville\nDupont,Rennes\nMartin,Brest\n"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _encrypted_zip() -> bytes:
    """A zip whose ``secret.csv`` entry carries the "encrypted" flag (zipfile cannot write real encryption)."""
    data = bytearray(_zip({"clear.csv": GOOD, "secret.csv": GOOD}))
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = -1
        while (at := data.find(signature, at + 1)) >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + 10] == b"secret.csv":
                data[at + flag_at] |= 0x01
    return bytes(data)


def _zip_bomb(path: Path, size: int = 64 * MiB) -> None:
    line = b"0000000000,0000000000\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("bomb.csv", "w") as member:
            chunk = line * (MiB // len(line))
            for _ in range(size // len(chunk)):
                member.write(chunk)


def _long_line_file(path: Path, size: int = 200 * MiB) -> None:
    with open(path, "wb") as f:
        f.write(b"id,note\n1,court\n2,")
        block = b"x" * MiB
        for _ in range(size // MiB):
            f.write(block)
        f.write(b"\n3,fin\n")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    rows = "".join(f"Dupont{i},Rennes{i * 7919 % 10007}\n" for i in range(20000)).encode()
    packed = gzip.compress(b"nom,ville\n" + rows)
    (root / "truncated.csv.gz").write_bytes(packed[: len(packed) // 2])
    _zip_bomb(root / "bomb.zip")
    (root / "traversal.zip").write_bytes(_zip({"../../etc/evil.csv": GOOD, "/abs.csv": GOOD, "ok.csv": GOOD}))
    (root / "garbage.csv").write_bytes(bytes(range(256)) * 64)
    _long_line_file(root / "long_line.csv")
    (root / "mixed.csv").write_bytes("nom,ville\nÉlodie,Rennes\n".encode("utf-8") + "Zoé,Brest\n".encode("cp1252")
                                     + "Chloé,Vannes\n".encode("utf-8"))
    (root / "utf16.csv").write_bytes("nom;ville\nÉlodie;Rennes\n".encode("utf-16"))
    (root / "broken.sql").write_text("CREATE TABLE p (id int, nom text);\n"
                                     "INSERT INTO p VALUES (1,'ok'),(2,'pas fini);\n")
    (root / "export.xlsx").write_text("<html><body><table><tr><td>nom</td></tr></table></body></html>")
    (root / "encrypted.zip").write_bytes(_encrypted_zip())
    (root / "corrupt.zip").write_bytes(_zip({"a.csv": GOOD})[:40])
    (root / "report.pdf").write_bytes(b"%PDF-1.4\n" + bytes(500))
    (root / "empty.csv").write_bytes(b"")
    (root / "bad.json").write_text('[{"nom": "Dupont"}, {"nom": ')
    os.mkfifo(root / "pipe.csv")   # opening it would wait forever for a writer
    (root / "link.csv").symlink_to("/etc/passwd")   # a way out of the evidence folder
    return root


@pytest.fixture(scope="module")
def result(corpus):
    return scan(corpus)


PROBLEMS = [
    ("truncated.csv.gz", "truncated compressed data"),
    ("bomb.zip", "zip bomb"),
    ("traversal.zip/../../etc/evil.csv", "unsafe member path"),
    ("traversal.zip//abs.csv", "unsafe member path"),
    ("garbage.csv", "binary content"),
    ("export.xlsx", "named .xlsx but the content is HTML"),
    ("encrypted.zip/secret.csv", "encrypted member"),
    ("corrupt.zip", "corrupt zip archive"),
    ("report.pdf", "PDF document"),
    ("empty.csv", "empty file"),
    ("pipe.csv", "not a regular file"),
    ("link.csv", "symbolic link: not followed"),
]


@pytest.mark.parametrize(("file", "reason"), PROBLEMS)
def test_unreadable_files_are_reported_with_their_reason(result, file, reason):
    assert reason in result.problem(file)


QUARANTINED = [
    ("long_line.csv", "", "line 3", "line 3: line longer than 32 MiB"),
    ("mixed.csv", "", "line 3", "line 3: bytes not valid utf-8"),
    ("broken.sql", "p", "line 2, tuple 2", "line 2, tuple 2: unterminated string"),
    ("bad.json", "", "line 1", "line 1: JSON record cut off at end of file"),
]


@pytest.mark.parametrize(("file", "table", "location", "reason"), QUARANTINED)
def test_bad_rows_are_quarantined_with_location_and_reason(result, file, table, location, reason):
    assert any(q.file == file and q.table == table and q.location == location and q.reason == reason
               for q in result.quarantined), [q for q in result.quarantined if q.file == file]


def test_the_rest_is_read(result):
    assert [r["note"] for r in result.rows("long_line.csv")] == ["court", "fin"]
    assert [r["__row"] for r in result.rows("long_line.csv")] == [0, 2]
    assert [(r["__row"], r["nom"]) for r in result.rows("mixed.csv")] == [(0, "Élodie"), (2, "Chloé")]
    assert result.rows("utf16.csv") == [{"__row": 0, "nom": "Élodie", "ville": "Rennes"}]
    assert result.tables[("utf16.csv", "")]["encoding"] == "utf-16"
    assert result.rows("broken.sql", "p") == [{"__row": 0, "id": "1", "nom": "ok"}]
    assert result.rows("traversal.zip/ok.csv")[0]["nom"] == "Dupont"
    assert result.rows("encrypted.zip/clear.csv")[0]["nom"] == "Dupont"
    assert result.rows("bad.json") == [{"__row": 0, "nom": "Dupont"}]
    truncated = result.rows("truncated.csv.gz")
    assert len(truncated) > 1000 and truncated[0] == {"__row": 0, "nom": "Dupont0", "ville": "Rennes0"}


def test_reasons_never_quote_the_data(result):
    for text in [p.reason for p in result.problems] + [q.reason for q in result.quarantined]:
        assert "Dupont" not in text and "Élodie" not in text and "xxxx" not in text


def test_raw_of_a_quarantined_row_is_kept_but_bounded(result):
    long = next(q for q in result.quarantined if q.file == "long_line.csv")
    assert long.raw.startswith(b"2,xxx") and len(long.raw) <= 64 * 1024
    mixed = next(q for q in result.quarantined if q.file == "mixed.csv")
    assert mixed.raw == "Zoé,Brest\n".encode("cp1252")


def test_a_lying_stream_is_stopped_by_the_limits():
    with pytest.raises(IngestError, match="zip bomb"):
        limited(io.BytesIO(b"a" * (3 * MiB)), max_bytes=10 * MiB, compressed=1000, max_ratio=100,
                ratio_floor=MiB).read()
    with pytest.raises(IngestError, match="size limit"):
        limited(io.BytesIO(b"a" * (3 * MiB)), max_bytes=2 * MiB).read()


def test_long_line_keeps_memory_in_check(corpus):
    code = ("import sys; from pathlib import Path; from fuite.ingest import read_paths\n"
            "q = []\n"
            "for t in read_paths([Path(sys.argv[1])], on_quarantine=q.append, on_problem=print):\n"
            "    n = sum(b.num_rows for b in t.batches())\n"
            "print(n, len(q), int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:'))))\n")  # VmHWM: own peak, not the parent's
    out = subprocess.run([sys.executable, "-c", code, str(corpus / "long_line.csv")], capture_output=True,
                         text=True, check=True).stdout.split()
    rows, quarantined, peak_kib = map(int, out[-3:])
    assert (rows, quarantined) == (2, 1)
    assert peak_kib < 1200 * 1024, f"peak RSS {peak_kib // 1024} MiB for a 200 MiB line"


def test_scan_and_quarantine_cli_on_the_corpus(corpus, tmp_path, fuite_cli):
    case = tmp_path / "case"
    scanned = fuite_cli("scan", str(corpus), "--case", str(case), "--no-resolve")
    assert "Traceback" not in scanned.stderr and "internal error" not in scanned.stderr, scanned.stderr[-2000:]
    assert scanned.returncode == 0, scanned.stderr[-2000:]
    listed = fuite_cli("quarantine", "--case", str(case), "--json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    entries = json.loads(listed.stdout)
    files = {(e["kind"], e["file"]) for e in entries}
    assert ("file", "bomb.zip") in files and ("row", "mixed.csv") in files
    assert all("raw" not in e for e in entries)
    assert "Zoé" not in listed.stdout
    shown = fuite_cli("quarantine", "--case", str(case), "--show-raw", "--file", "mixed.csv", "--json")
    assert "warning" in shown.stderr
    assert [e["raw"] for e in json.loads(shown.stdout)] == ["Zo\ufffd,Brest\\n"]
