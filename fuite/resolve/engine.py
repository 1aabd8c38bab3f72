"""The one engine seam: ``make_db_api(kind)`` is the only place that imports duckdb or pyspark.

DuckDB runs strictly in memory: ``temp_directory`` is empty and the temp size cap is
zero, so a query that outgrows ``memory_limit`` fails instead of spilling leaked
values to disk in clear. Spark is an optional extra, imported only when asked for.
"""

from __future__ import annotations

from fuite.errors import LinkError, UsageError

__all__ = ["make_db_api", "ENGINES", "duckdb_spill_settings"]

ENGINES = ("duckdb", "spark")


def make_db_api(kind: str = "duckdb", *, memory_limit: str = "5GB", threads: int | None = None):
    """Return a Splink database API for the engine ``kind`` ("duckdb" or "spark")."""
    if kind == "duckdb":
        return _duckdb_api(memory_limit, threads)
    if kind == "spark":
        return _spark_api()
    raise UsageError(f"unknown linkage engine (choose one of: {', '.join(ENGINES)})")


def _duckdb_api(memory_limit: str, threads: int | None):
    import duckdb
    from splink import DuckDBAPI

    config = {"temp_directory": "", "max_temp_directory_size": "0KB", "memory_limit": memory_limit}
    if threads:
        config["threads"] = threads
    con = duckdb.connect(":memory:", config=config)
    api = DuckDBAPI(connection=con)
    settings = duckdb_spill_settings(api)
    if settings["temp_directory"] or settings["max_temp_directory_size"] not in ("0 bytes", "0.0 B", "0B"):
        raise LinkError("DuckDB would be allowed to spill to disk; refusing to link")
    return api


def duckdb_spill_settings(api) -> dict[str, str]:
    """The DuckDB settings that decide whether anything can reach disk."""
    rows = api.duckdb_con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('temp_directory', 'max_temp_directory_size')"
    ).fetchall()
    return dict(rows)


def _spark_api():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise LinkError(
            "the Spark engine needs pyspark: install it with `pip install pyspark` "
            "(and Splink's similarity jar), or use --engine duckdb"
        ) from None
    from splink import SparkAPI

    spark = SparkSession.builder.appName("fuite-resolve").getOrCreate()
    return SparkAPI(spark_session=spark)
