"""Splink on Spark, set up so that nothing of the leak reaches local disk in clear.

Only :func:`fuite.resolve.engine.make_db_api` imports this module, and only when the
Spark engine is asked for: pyspark and Java are an optional extra (``install.sh --spark``).

What Splink on Spark needs, and how fuite provides it without plaintext on disk:

- **the similarity UDF jar** (``jaro_winkler`` and friends): the jar Splink ships for the
  running Spark major version goes on ``spark.jars``;
- **breaking lineage**: Splink's default for Spark writes intermediate tables as Parquet
  under the checkpoint directory, in clear. fuite uses ``persist`` instead: blocks stay in
  memory and, when they overflow, go to the block manager's disk store, which
  ``spark.io.encryption.enabled`` encrypts (AES-CTR, a fresh key per application), like
  shuffle files and shuffle spills;
- **a checkpoint directory** is still set (Splink looks for one) inside the private
  scratch directory; nothing is checkpointed with ``persist``, and a test greps it;
- **scratch**: ``spark.local.dir``, the warehouse and the checkpoint directory live in one
  private (0700) temporary directory that is removed when the session stops;
- **RPC**: ``spark.authenticate`` with a random secret and AES-based RPC encryption, even
  in local mode; the web UI is off.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from fuite.errors import LinkError

__all__ = ["spark_api", "spark_conf", "stop_spark"]

#: The one session of this process, with its scratch directory.
_SESSION: dict = {}


def spark_conf(scratch: Path, *, memory_limit: str, threads: int | None) -> dict[str, str]:
    """The Spark settings fuite runs with (plain data, so a test can read them)."""
    from splink.backends.spark import similarity_jar_location

    cores = threads or 2
    return {
        "spark.master": f"local[{cores}]",
        "spark.app.name": "fuite-resolve",
        "spark.jars": similarity_jar_location(),
        "spark.driver.memory": _spark_memory(memory_limit),
        "spark.local.dir": str(scratch / "local"),
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.io.encryption.enabled": "true",
        "spark.io.encryption.keySizeBits": "256",
        "spark.authenticate": "true",
        "spark.authenticate.secret": secrets.token_hex(32),
        "spark.network.crypto.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.eventLog.enabled": "false",
        "spark.sql.shuffle.partitions": str(max(4, 4 * cores)),
        "spark.default.parallelism": str(max(4, 4 * cores)),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.pyspark.python": sys.executable,
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{scratch / 'log4j2.properties'}",
    }


#: fuite's portable SQL uses DuckDB's names for string similarity; on Spark they are the
#: classes of Splink's similarity jar (the jar's own names are registered by Splink).
DUCKDB_NAMED_UDFS = (
    ("jaro_winkler_similarity", "uk.gov.moj.dash.linkage.JaroWinklerSimilarity"),
    ("jaro_similarity", "uk.gov.moj.dash.linkage.JaroSimilarity"),
)

#: The JVM logs nothing: its messages can quote SQL and reach the console.
_LOG4J2 = "rootLogger.level = off\n"


def _spark_memory(memory_limit: str) -> str:
    """Splink's DuckDB-style limit ("5GB") as a JVM heap size ("5g")."""
    text = memory_limit.strip().upper().replace(" ", "")
    for unit, spark_unit in (("GIB", "g"), ("GB", "g"), ("MIB", "m"), ("MB", "m")):
        if text.endswith(unit):
            return f"{text[: -len(unit)]}{spark_unit}"
    return memory_limit


def spark_api(*, memory_limit: str = "5GB", threads: int | None = None):
    """A Splink ``SparkAPI`` over a private local session (created once per process)."""
    from splink import SparkAPI

    session = _SESSION.get("spark") or _start(memory_limit, threads)
    return SparkAPI(spark_session=session, break_lineage_method="persist",
                    num_partitions_on_repartition=int(session.conf.get("spark.sql.shuffle.partitions")))


def scratch_dir() -> Path | None:
    """The private directory of the running session (for tests that grep it)."""
    return _SESSION.get("scratch")


def _start(memory_limit: str, threads: int | None):
    from pyspark.sql import SparkSession

    scratch = Path(tempfile.mkdtemp(prefix="fuite-spark-"))
    scratch.chmod(0o700)
    (scratch / "log4j2.properties").write_text(_LOG4J2)
    builder = SparkSession.builder
    for key, value in spark_conf(scratch, memory_limit=memory_limit, threads=threads).items():
        builder = builder.config(key, value)
    for name in ("py4j", "pyspark"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        with _jvm_stderr_silenced():
            session = builder.getOrCreate()
    except Exception as exc:  # pyspark's message names paths only, but keep to one line
        shutil.rmtree(scratch, ignore_errors=True)
        raise LinkError(f"Spark could not start ({type(exc).__name__}): the Spark engine needs Java 17 "
                        "(Debian: openjdk-17-jre-headless; `bash install.sh --spark`)") from None
    session.sparkContext.setLogLevel("OFF")
    from pyspark.sql.types import DoubleType

    for name, java_class in DUCKDB_NAMED_UDFS:
        session.udf.registerJavaFunction(name, java_class, DoubleType())
    session.sparkContext.setCheckpointDir(str(scratch / "checkpoints"))
    _SESSION.update(spark=session, scratch=scratch)
    atexit.register(stop_spark)
    return session


@contextlib.contextmanager
def _jvm_stderr_silenced():
    """Start the JVM with its standard error on /dev/null: its start-up notices are not ours
    to show, and nothing it prints may reach the console. Python's own stderr is restored."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def stop_spark() -> None:
    """Stop the session and remove its scratch directory."""
    session, scratch = _SESSION.pop("spark", None), _SESSION.pop("scratch", None)
    if session is not None:
        session.stop()
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)
