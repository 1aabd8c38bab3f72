"""DuckDB spills only encrypted: a linkage that outgrows its memory cap leaves no identifier on disk."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from fuite.errors import LinkError
from fuite.resolve import engine
from fuite.resolve.engine import duckdb_spill_settings, encrypted_spill_available, make_db_api

pytestmark = pytest.mark.skipif(not encrypted_spill_available(), reason="duckdb-ext-httpfs is not installed")

#: Synthetic identifiers, long and distinctive enough for a byte grep.
NEEDLES = [f"NOMSYNTHETIQUE{i:07d}".encode() for i in range(0, 150_000, 499)]


def _identifiers() -> pa.Table:
    n = 150_000
    return pa.table({"uid": pa.array(range(n), pa.int64()),
                     "last_name": pa.array([f"NOMSYNTHETIQUE{i:07d}" for i in range(n)]),
                     "email": pa.array([f"personne{i}@exemple.fr" for i in range(n)])})


def _spill_dir(con) -> Path:
    return Path(con.execute("SELECT current_setting('temp_directory')").fetchone()[0])


def _fill_past_memory(con, table: pa.Table) -> None:
    """A temporary table several times the memory cap: DuckDB must evict it to its temp files."""
    con.register("src", table)
    con.execute("CREATE TEMP TABLE big AS SELECT s.*, r.i FROM src s, range(4) r(i) ORDER BY md5(last_name || r.i)")


def _grep(directory: Path) -> tuple[int, list[str]]:
    files = [p for p in directory.rglob("*") if p.is_file()]
    hits = [p.name for p in files if any(n in p.read_bytes() for n in NEEDLES)]
    return sum(p.stat().st_size for p in files), hits


def test_linkage_api_spills_encrypted_and_private():
    api = make_db_api("duckdb", memory_limit="32MB", threads=1)
    settings = duckdb_spill_settings(api)
    assert settings["temp_file_encryption"] == "true"
    spill = _spill_dir(api.duckdb_con)
    assert spill.is_dir() and (spill.stat().st_mode & 0o777) == 0o700
    _fill_past_memory(api.duckdb_con, _identifiers())
    written, hits = _grep(spill)
    assert written > 32 * 2**20, "the query must have spilled, or this test proves nothing"
    assert hits == []


def test_the_grep_would_see_a_clear_spill(tmp_path):
    """The control: the same query with encryption off leaves the identifiers readable on disk."""
    con = duckdb.connect(":memory:", config={"memory_limit": "32MB", "threads": 1,
                                             "temp_directory": str(tmp_path)})
    _fill_past_memory(con, _identifiers())
    written, hits = _grep(tmp_path)
    assert written > 32 * 2**20 and hits


def test_spill_directory_is_removed_with_the_connection():
    api = make_db_api("duckdb", memory_limit="32MB", threads=1)
    spill = _spill_dir(api.duckdb_con)
    con = api.duckdb_con
    del api
    con.close()
    del con
    import gc

    gc.collect()
    assert not spill.exists()


def test_a_clear_spill_is_refused():
    with pytest.raises(LinkError, match="in clear"):
        engine._check_spill_is_safe({"temp_directory": "/tmp/x", "max_temp_directory_size": "10GB",
                                     "temp_file_encryption": "false"})
    engine._check_spill_is_safe({"temp_directory": "", "max_temp_directory_size": "0 bytes"})


def test_extension_is_loaded_from_site_packages_never_downloaded():
    path = engine.httpfs_extension_path()
    assert path and os.path.isfile(path) and f"v{duckdb.__version__}" in path


@pytest.mark.parametrize("text, expected", [("2GB", "2GB"), ("512 mb", "512MB"), ("1.5GiB", "1.5GIB")])
def test_memory_cap_as_the_user_writes_it(text, expected):
    assert engine.memory_limit(text) == expected


@pytest.mark.parametrize("text", ["", "2", "lots", "-1GB", "0GB", "2 GB 3", "２GB"])
def test_bad_memory_cap_is_a_usage_error(text):
    from fuite.errors import UsageError

    with pytest.raises(UsageError, match="--memory"):
        engine.memory_limit(text)


def test_resolve_honours_the_memory_cap(tmp_path, small_drill):
    """`fuite resolve --memory` reaches DuckDB: a cap too small for the linkage fails with one line, no traceback."""
    from tests.conftest import run_fuite

    case = tmp_path / "case"
    run_fuite("scan", str(small_drill / "leak"), "--case", str(case), "--no-resolve", check=True)
    bad = run_fuite("resolve", "--case", str(case), "--memory", "lots")
    assert bad.returncode == 2 and "--memory" in bad.stderr and "Traceback" not in bad.stderr
    ok = run_fuite("resolve", "--case", str(case), "--memory", "1GB")
    assert ok.returncode == 0, ok.stderr[-2000:]


def test_release_removes_the_spill_folder_at_once():
    api = make_db_api("duckdb", memory_limit="32MB", threads=1)
    spill = _spill_dir(api.duckdb_con)
    assert spill.is_dir()
    engine.release(api)
    assert not spill.exists()
