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
import zipfile
from pathlib import Path

import pytest

from test_ingest_support import scan
from fuite.errors import IngestError
from fuite.ingest.archives.tarheaders import MAX_DIGITS, check_pax

CSV = b"nom,ville\nDupont,Rennes\n"
HANG_GUARD_S = 300

CHILD = """
import json, sys
from pathlib import Path
from fuite.ingest import read_paths
quarantined, problems, rows = [], [], {}
for t in read_paths([Path(sys.argv[1])], on_quarantine=quarantined.append, on_problem=problems.append):
    rows[t.file + "|" + t.table] = sum(b.num_rows for b in t.batches())
print(json.dumps({"rows": rows, "problems": [[p.file, p.reason] for p in problems],
                  "quarantined": [[q.file, q.location, q.reason] for q in quarantined],
                  "peak_mib": int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:'))) // 1024}))  # VmHWM, not ru_maxrss (kept across exec)
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


# ----------------------------------------------------------------- spreadsheet zip parts

_XLSX_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" '
    'sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    '</Relationships>',
    "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row></sheetData></worksheet>',
}


def xlsx(path: Path, padding_mib: int = 0) -> None:
    """A minimal XLSX (header ``nom, ville``, one row) whose shared strings carry ``padding_mib`` MiB of "A"."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in _XLSX_PARTS.items():
            z.writestr(name, text)
        with z.open("xl/sharedStrings.xml", "w") as f:
            f.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b"<si><t>nom</t></si><si><t>ville</t></si><si><t>Dupont</t></si><si><t>")
            for _ in range(padding_mib):
                f.write(b"A" * (1 << 20))
            f.write(b"Rennes</t></si></sst>")


def test_xlsx_whose_shared_strings_inflate_to_256_mib_is_refused_in_bounded_memory(tmp_path):
    xlsx(tmp_path / "bomb.xlsx", padding_mib=256)
    assert (tmp_path / "bomb.xlsx").stat().st_size < 300_000
    got = read_in_child(tmp_path / "bomb.xlsx")
    assert got["rows"] == {}
    [(file, reason)] = got["problems"]
    assert file == "bomb.xlsx" and "inflates beyond" in reason and "possible zip bomb" in reason
    assert got["peak_mib"] < 1536, f"peak RSS {got['peak_mib']} MiB"


def test_the_same_xlsx_without_the_bomb_is_read(tmp_path):
    xlsx(tmp_path / "ok.xlsx")
    assert scan(tmp_path / "ok.xlsx").rows("ok.xlsx", "S") == [{"__row": 0, "nom": "Dupont", "ville": "Rennes"}]


def test_a_part_lying_about_its_size_is_measured_not_trusted(tmp_path):
    """The central directory says 1 kB; the deflate stream says 64 MiB: the stream is what counts."""
    xlsx(tmp_path / "liar.xlsx", padding_mib=64)
    data = bytearray((tmp_path / "liar.xlsx").read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/sharedStrings.xml")
    cd = data.find(b"xl/sharedStrings.xml", data.find(b"PK\x01\x02")) - 46
    for offset in (info.header_offset + 22, cd + 24):   # uncompressed size in the local and central headers
        data[offset:offset + 4] = (1024).to_bytes(4, "little")
    (tmp_path / "liar.xlsx").write_bytes(bytes(data))
    got = read_in_child(tmp_path / "liar.xlsx")
    assert got["rows"] == {} and "possible zip bomb" in got["problems"][0][1]


# ----------------------------------------------------------------- time budget


def test_the_time_budget_stops_a_file_and_keeps_what_was_read(tmp_path):
    from fuite.ingest.limits import Limits

    rows = "".join(f"Nom{i},Ville{i}\n" for i in range(70_000))
    (tmp_path / "big.csv").write_text("nom,ville\n" + rows)
    (tmp_path / "next.csv").write_bytes(CSV)
    s = scan(tmp_path, limits=Limits(max_file_seconds=0))
    assert len(s.rows("big.csv")) == 65_536   # the first batch, then the budget (0 s) is spent
    assert s.problem("big.csv") == ("reading stopped after 65536 rows: time budget of 0 s per file spent; "
                                    "the rest of the file is not read")
    assert s.rows("next.csv") == [{"__row": 0, "nom": "Dupont", "ville": "Rennes"}]   # the budget is per file
