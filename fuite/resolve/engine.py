"""The one engine seam: ``make_db_api(kind)`` is the only place that imports duckdb or pyspark.

DuckDB never writes a leaked value to disk in clear. When its OpenSSL-backed ``httpfs``
extension is installed (PyPI ``duckdb-ext-httpfs``, loaded from site-packages, never
downloaded), a query that outgrows ``memory_limit`` spills to a private temporary
directory with ``temp_file_encryption`` on (AES-GCM, a key per process), and the directory
is removed when the linkage ends. Without it, spilling is forbidden (``temp_directory``
empty, temp size cap zero): the query fails instead. Spark is an optional extra, imported
only when asked for (:mod:`fuite.resolve.spark`).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sysconfig
import tempfile
import weakref

from fuite.errors import LinkError, UsageError

__all__ = ["make_db_api", "release", "ENGINES", "duckdb_spill_settings", "encrypted_spill_available", "memory_limit"]

ENGINES = ("duckdb", "spark")

#: Spill is capped too, so that a runaway join fills neither memory nor the disk.
MAX_SPILL = "200GB"


_MEMORY = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(MB|MIB|GB|GIB|TB|TIB)")


def memory_limit(text: str) -> str:
    """A memory cap as the user writes it ("2GB", "512 MiB") in the form DuckDB takes; UsageError otherwise."""
    match = _MEMORY.fullmatch(text.strip().upper())
    if not match or float(match.group(1)) <= 0:
        raise UsageError("--memory takes a size such as 2GB or 512MB")
    return f"{match.group(1)}{match.group(2)}"


def memory_bytes(text: str) -> int:
    """A memory cap as ``memory_limit`` writes it ("5GB", "512MIB"), in bytes (decimal and binary units alike are
    taken as powers of 1024, as DuckDB does for its own cap); UsageError otherwise."""
    match = _MEMORY.fullmatch(memory_limit(text))
    return int(float(match.group(1)) * 1024 ** {"M": 2, "G": 3, "T": 4}[match.group(2)[0]])


def make_db_api(kind: str = "duckdb", *, memory_limit: str = "5GB", threads: int | None = None):
    """Return a Splink database API for the engine ``kind`` ("duckdb" or "spark")."""
    if kind == "duckdb":
        return _duckdb_api(memory_limit, threads)
    if kind == "spark":
        return _spark_api(memory_limit, threads)
    raise UsageError(f"unknown linkage engine (choose one of: {', '.join(ENGINES)})")


def httpfs_extension_path() -> str | None:
    """The httpfs extension that ``duckdb-ext-httpfs`` installed for this DuckDB version, if any."""
    import duckdb

    version = f"v{duckdb.__version__}"
    pattern = os.path.join(sysconfig.get_paths()["purelib"], "duckdb_ext", "extensions", version, "*",
                           "httpfs.duckdb_extension")
    found = sorted(glob.glob(pattern))
    return found[0] if found else None


def encrypted_spill_available() -> bool:
    """Whether DuckDB can spill here with encrypted temporary files."""
    return httpfs_extension_path() is not None


def _duckdb_api(memory_limit: str, threads: int | None):
    import duckdb
    from splink import DuckDBAPI

    config = {"memory_limit": memory_limit, "autoinstall_known_extensions": "false",
              "autoload_known_extensions": "false", "preserve_insertion_order": "false"}
    if threads:
        config["threads"] = threads
    extension = httpfs_extension_path()
    if extension is None:
        config.update(temp_directory="", max_temp_directory_size="0KB")
        con = duckdb.connect(":memory:", config=config)
    else:
        con = duckdb.connect(":memory:", config=config)
        spill_dir = _encrypted_spill(con, extension)
        _CLEANUP[id(con)] = weakref.finalize(con, shutil.rmtree, spill_dir, True)
    api = DuckDBAPI(connection=con)
    _check_spill_is_safe(duckdb_spill_settings(api))
    return api


#: Spill folders to remove when their connection ends (at the latest when the process exits).
_CLEANUP: dict[int, weakref.finalize] = {}


def release(api) -> None:
    """Close a DuckDB linkage connection and remove its spill folder now (Spark keeps its session)."""
    con = getattr(api, "duckdb_con", None)
    if con is None:
        return
    con.close()
    cleanup = _CLEANUP.pop(id(con), None)
    if cleanup is not None:
        cleanup()


def _encrypted_spill(con, extension: str) -> str:
    """Turn on encrypted spill into a fresh private directory; return the directory."""
    spill_dir = tempfile.mkdtemp(prefix="fuite-spill-")
    os.chmod(spill_dir, 0o700)
    con.execute(f"LOAD '{extension}'")
    con.execute("SET temp_file_encryption = true")
    con.execute(f"SET temp_directory = '{spill_dir}'")
    con.execute(f"SET max_temp_directory_size = '{MAX_SPILL}'")
    return spill_dir


def _check_spill_is_safe(settings: dict[str, str]) -> None:
    """Refuse to link if DuckDB could write a temporary file in clear."""
    may_spill = settings["temp_directory"] and settings["max_temp_directory_size"] not in ("0 bytes", "0.0 B", "0B")
    if may_spill and settings.get("temp_file_encryption") != "true":
        raise LinkError("DuckDB would be allowed to spill to disk in clear; refusing to link")


def duckdb_spill_settings(api) -> dict[str, str]:
    """The DuckDB settings that decide whether anything can reach disk, and how."""
    rows = api.duckdb_con.execute(
        "SELECT name, lower(value) FROM duckdb_settings() "
        "WHERE name IN ('temp_directory', 'max_temp_directory_size', 'temp_file_encryption')"
    ).fetchall()
    return dict(rows)


def _spark_api(memory_limit: str, threads: int | None):
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise LinkError(
            "the Spark engine needs pyspark and Java 17: `bash install.sh --spark` "
            "(or pip install pyspark and Debian's openjdk-17-jre-headless), or use --engine duckdb"
        ) from None
    from fuite.resolve.spark import spark_api

    return spark_api(memory_limit=memory_limit, threads=threads)
