"""`fuite explain`: the pure explanation functions, then the command on a scanned drill."""

import json

import pyarrow as pa
import pytest

from fuite.detect.explain import explain_column, find_column, render_text
from fuite.errors import UsageError


def _table(cols: dict[str, list[str | None]]) -> tuple[list[str], pa.Table]:
    names = list(cols)
    n = len(next(iter(cols.values())))
    data = {"__row": pa.array(range(n), pa.int64())}
    data.update({f"c{i}": pa.array(v, pa.string()) for i, v in enumerate(cols.values())})
    return names, pa.table(data)


NIRS = ["185057800608491", "253072B07300470", "253072A07300443", "295109912611193"] * 5


def test_find_column_by_header_hash_or_position():
    assert find_column(["Nom", "NSS"], "NSS") == 1
    assert find_column(["Nom", "NSS"], "nss") == 1
    assert find_column(["#0", "#1"], "#1") == 1
    assert find_column(["a", "b"], "1") == 1
    with pytest.raises(UsageError):
        find_column(["a", "b"], "zzz")


def test_explanation_masks_and_ranks():
    columns, table = _table({"Téléphone": NIRS, "Nom": ["Dupont"] * 20})
    finding = explain_column(columns, table, "Téléphone")
    assert finding.category == "nir"                      # values beat the misleading header
    e = finding.explanation
    assert e["values"]["share_valid"]["nir"] == 1.0
    assert e["header"]["matches"]["phone"] > 0
    assert e["runner_ups"][0]["category"] == "phone"
    assert e["examples"][0] == "1**************"          # fuite.ids.masking: a NIR shows its first digit only
    text = "\n".join(render_text(finding))
    for nir in set(NIRS):
        assert nir not in text
    assert "runner-ups: phone" in text


def test_headerless_column_explained_from_values():
    columns, table = _table({"#0": ["jean.dupont@orange.fr", "a.b@free.fr"] * 10})
    finding = explain_column(columns, table, "#0")
    assert finding.category == "email"
    assert finding.explanation["header"]["meaningless"] is True
    assert "values alone" in "\n".join(render_text(finding))


@pytest.mark.slow
def test_explain_command_on_a_scanned_drill(scanned_case, small_drill, fuite_cli):
    run_fuite = fuite_cli
    import csv

    with open(small_drill / "answer_key" / "columns.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["category"] == "nir" and not r["table"]]
    row = rows[0]
    proc = run_fuite("explain", "--case", str(scanned_case), "--file", row["file"], "--column", row["column"])
    assert proc.returncode == 0, proc.stderr
    assert "category: nir" in proc.stdout and "runner-ups:" in proc.stdout
    proc = run_fuite("explain", "--case", str(scanned_case), "--file", row["file"], "--column", row["column"], "--json")
    doc = json.loads(proc.stdout)
    assert doc["category"] == "nir" and doc["explanation"]["examples"]
    persons = (small_drill / "answer_key" / "persons.csv").read_text(encoding="utf-8")
    nirs = {line.split(",")[5] for line in persons.splitlines()[1:]}
    assert not any(n and n in proc.stdout for n in nirs)
    bad = run_fuite("explain", "--case", str(scanned_case), "--file", "no/such/file.csv", "--column", "x")
    assert bad.returncode != 0 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr
