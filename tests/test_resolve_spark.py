"""The Spark engine, for real: same persons as DuckDB, and nothing of the leak in clear on local disk.

pyspark and Java 17 come with ``bash install.sh --spark`` (which ``.ci/run`` uses, and then
checks that pyspark imports, so CI cannot skip these silently).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("the Spark engine needs Java 17 (bash install.sh --spark)", allow_module_level=True)

import polars as pl  # noqa: E402

from fuite.resolve import spark as spark_engine  # noqa: E402
from fuite.resolve.stage import resolve_case  # noqa: E402
from fuite.resolve.evaluate import bcubed  # noqa: E402
from fuite.store import open_case  # noqa: E402
from conftest import access  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def drill_case(tmp_path_factory):
    """A 2,000-person drill, scanned without resolving."""
    from tests.conftest import run_fuite
    from fuite.synth import generate

    root = tmp_path_factory.mktemp("spark")
    generate(root / "drill", persons=2000, seed=11)
    run_fuite("scan", str(root / "drill" / "leak"), "--case", str(root / "case"), "--no-resolve", check=True)
    return root / "drill", root / "case"


def _resolved_copy(case_dir: Path, engine: str) -> pl.DataFrame:
    """Resolve a copy of the case with ``engine``; its (record_id, person_id), sorted."""
    copy = case_dir.with_name(f"case-{engine}")
    shutil.copytree(case_dir, copy)
    case = open_case(copy, access())
    resolve_case(case, engine=engine)
    return pl.from_arrow(case.get_table("records").select(["record_id", "person_id"])).sort("record_id")


@pytest.fixture(scope="module")
def spark_run(drill_case):
    """Resolve with Spark; keep a copy of its scratch directory before the session stops."""
    _, case_dir = drill_case
    persons = _resolved_copy(case_dir, "spark")
    scratch = spark_engine.scratch_dir()
    files = {p: p.read_bytes() for p in scratch.rglob("*") if p.is_file()} if scratch else {}
    spark_engine.stop_spark()
    return persons, scratch, files


def test_spark_and_duckdb_find_the_same_persons(drill_case, spark_run):
    _, case_dir = drill_case
    spark_persons, _, _ = spark_run
    duck_persons = _resolved_copy(case_dir, "duckdb")
    assert spark_persons["record_id"].to_list() == duck_persons["record_id"].to_list()
    score = bcubed(spark_persons["person_id"], duck_persons["person_id"])
    assert score.f1 >= 0.999, score
    assert spark_persons["person_id"].n_unique() == pytest.approx(duck_persons["person_id"].n_unique(), rel=0.001)


def _identifiers(drill: Path) -> set[bytes]:
    """Values from the answer key long enough to be unambiguous in a byte grep."""
    persons = pl.read_csv(drill / "answer_key" / "persons.csv", infer_schema=False)
    values: set[str] = set()
    for column in ("email", "nir", "phone", "last_name"):
        if column in persons.columns:
            values.update(v for v in persons[column].drop_nulls().to_list() if len(v) >= 8)
    return {v.encode() for v in values}


def test_spark_writes_no_identifier_in_clear(drill_case, spark_run):
    drill, _ = drill_case
    _, scratch, files = spark_run
    assert scratch is not None and not scratch.exists(), "the scratch directory is removed when Spark stops"
    shuffle = [p for p in files if "blockmgr" in str(p) or p.suffix in (".data", ".index")]
    assert shuffle, "the run must have written shuffle files, or this test proves nothing"
    needles = _identifiers(drill)
    assert len(needles) > 1000
    leaked = [p.name for p, data in files.items() if any(n in data for n in needles)]
    assert leaked == []


def test_spark_settings_encrypt_and_stay_local(tmp_path):
    conf = spark_engine.spark_conf(tmp_path, memory_limit="2GB", threads=2)
    assert conf["spark.io.encryption.enabled"] == "true"
    assert conf["spark.network.crypto.enabled"] == "true" and conf["spark.authenticate"] == "true"
    assert len(conf["spark.authenticate.secret"]) == 64
    assert conf["spark.ui.enabled"] == "false"
    assert conf["spark.driver.memory"] == "2g"
    assert Path(conf["spark.jars"]).is_file() and "spark4" in conf["spark.jars"]
    assert all(conf[k].startswith(str(tmp_path)) for k in ("spark.local.dir", "spark.sql.warehouse.dir"))
