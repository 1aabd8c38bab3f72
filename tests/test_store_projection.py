"""Column projection in the store: a stage asks for the columns it needs and only those are read from each chunk;
the report and the CNIL draft ask for no identifier column, and their figures are those of the whole tables."""

from __future__ import annotations

import pyarrow as pa
import pytest

from fuite.notify.cnil import build_cnil_draft
from fuite.report.figures import build_figures
from fuite.store import case as case_module
from fuite.store import open_case
from tests.conftest import access

#: Columns that hold an identifier: neither the report nor the CNIL draft needs them.
IDENTIFIERS = {"last_name", "first_name", "birth_date", "nir", "email", "emails", "phone", "phones", "street"}


@pytest.fixture
def reads(monkeypatch):
    """Every (table, columns) the store is asked for."""
    seen: list[tuple[str, tuple | None]] = []
    get, iterate = case_module.Case.get_table, case_module.Case.iter_table

    def get_table(self, name, columns=None):
        seen.append((name, None if columns is None else tuple(columns)))
        return get(self, name, columns)

    def iter_table(self, name, columns=None):
        seen.append((name, None if columns is None else tuple(columns)))
        return iterate(self, name, columns)

    monkeypatch.setattr(case_module.Case, "get_table", get_table)
    monkeypatch.setattr(case_module.Case, "iter_table", iter_table)
    return seen


def test_projection_reads_the_named_columns_of_every_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr(case_module, "CHUNK_ROWS", 7)
    table = pa.table({"a": list(range(30)), "b": [f"b{i}" for i in range(30)], "c": [i % 2 == 0 for i in range(30)]})
    with open_case(tmp_path / "case", access(), create=True) as case:
        case.put_table("t", table)
        case.append_table("t", table.select(["a", "c"]))          # a later chunk without ``b``
        whole = case.get_table("t")
        assert case.get_table("t", ["c", "a"]).to_pydict() == whole.select(["c", "a"]).to_pydict()
        assert [b.schema.names for b in case.iter_table("t", ["b", "zz"])] == [["b"]] * 5 + [[]] * 5
        assert sum(b.num_rows for b in case.iter_table("t", ["zz"])) == 60   # nothing asked: rows still counted
        assert case.get_table("t", ["b"]).column("b").null_count == 30
        assert case.get_table("missing", ["a"]) is None


def test_the_report_reads_no_identifier_column_and_its_figures_are_the_whole_tables(scanned_case, reads):
    from fuite.report.stage import case_figures

    with open_case(scanned_case, access()) as case:
        figures = case_figures(case)
        reads_of_report = list(reads)
        full = {name: case.get_table(name) for name in ("sources", "records", "persons", "columns", "quarantine",
                                                         "problems", "severity")}
    assert reads_of_report and all(columns is not None for _, columns in reads_of_report)
    for name, columns in reads_of_report:
        if name in ("records", "persons"):
            assert not IDENTIFIERS & set(columns), (name, columns)
    expected = build_figures(**full)
    for key, value in expected.items():
        assert figures[key] == value, key


def test_the_cnil_draft_reads_named_columns_and_agrees_with_the_whole_tables(scanned_case, reads):
    from fuite.assess.rules import Circumstances
    from fuite.assess.severity import assess_breach
    from fuite.notify.persons import plan_channels
    from fuite.notify.stage import cnil_draft_for_case, _ledger_counts

    with open_case(scanned_case, access()) as case:
        draft = cnil_draft_for_case(case, draft=True)
        asked = [(name, columns) for name, columns in reads if name in ("records", "persons", "sources")]
        persons, records, sources = (case.get_table(n) for n in ("persons", "records", "sources"))
        plan = plan_channels(persons)
        channels = {c: sum(1 for v in plan.values() if v == c) for c in ("email", "letter", "none")}
        expected = build_cnil_draft(assess_breach(persons, Circumstances.of(case.settings)), case.settings,
                                    records=records, sources=sources, channels=channels,
                                    ledger_counts=_ledger_counts(case))
    assert {name for name, _ in asked} == {"records", "persons", "sources"}
    assert all(columns is not None for _, columns in asked)
    assert dict(asked)["records"] == ("categories",)
    assert draft == expected
