"""Progress you can trust: every long step shows bars with their own total, that never go backwards.

The stages report to a ``fuite.progress.Tracker``; ``RecordingTracker`` keeps every value each bar showed, and
``fuite.console.RichTracker`` draws them (checked here on Rich's recording console).
"""

from __future__ import annotations

import csv
import json
import re

import pytest
import xlsxwriter
from rich.console import Console

from fuite.console import RichTracker
from fuite.progress import RecordingTracker
from fuite.resolve.settings import DEFAULT_SETTINGS
from fuite.resolve.stage import step_count
from fuite.scan import scan_paths
from fuite.store import open_case
from tests.conftest import access


def _never_back(history: list[int]) -> bool:
    return all(a <= b for a, b in zip(history, history[1:]))


def _layout(folder):
    """A leak the drill does not write: a big CSV, then a workbook of two sheets, then JSON lines."""
    folder.mkdir()
    with open(folder / "a_patients.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["Nom", "Prénom", "Date de naissance", "Email"])
        for i in range(40_000):
            w.writerow([f"Nom{i % 977}", f"Prenom{i % 313}", f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}",
                        f"p{i}@example.org"])
    book = xlsxwriter.Workbook(str(folder / "b_results.xlsx"))
    for name, rows in (("janvier", 3_000), ("fevrier", 2_000)):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, ["NOM", "PRENOM", "DATE_NAISSANCE", "RESULTAT"])
        for r in range(rows):
            sheet.write_row(r + 1, 0, [f"Nom{r}", f"Prenom{r}", f"1970-01-{1 + r % 28:02d}", "négatif"])
    book.close()
    with open(folder / "c_portal.jsonl", "w", encoding="utf-8") as f:
        for i in range(5_000):
            f.write(json.dumps({"nom": f"Nom{i}", "prenom": f"P{i}", "telephone": f"06{i:08d}"}) + "\n")
    return {p.name: p.stat().st_size for p in folder.iterdir()}


def _scan(leak, case_dir, tracker, resolve=False):
    with open_case(case_dir, access(), create=True) as case:
        return scan_paths(case, [leak], progress=tracker, resolve=resolve)


def test_scan_shows_a_bar_per_file_with_its_own_size_that_never_goes_back(tmp_path):
    sizes = _layout(tmp_path / "leak")
    bars = RecordingTracker()
    _scan(tmp_path / "leak", tmp_path / "case", bars)
    assert bars.totals == sizes                          # the workbook's bar has its own size, not the CSV's
    for name, history in bars.history.items():
        assert _never_back(history), name
        assert history[-1] == sizes[name]                # complete once read
    assert len(set(bars.history["b_results.xlsx"])) >= 3  # the workbook moves sheet by sheet, not 0 then all
    assert len(set(bars.history["a_patients.csv"])) >= 2


def test_scan_of_the_drill_every_format_its_own_total(small_drill, tmp_path):
    leak = small_drill / "leak"
    sizes = {p.relative_to(leak).as_posix(): p.stat().st_size for p in leak.rglob("*") if p.is_file()}
    assert any(name.endswith(".xlsx") for name in sizes) and any(name.endswith(".sql") for name in sizes)
    bars = RecordingTracker()
    _scan(leak, tmp_path / "case", bars, resolve=True)
    linking = bars.history.pop("linking")
    assert bars.totals.pop("linking") == step_count(DEFAULT_SETTINGS)
    assert _never_back(linking) and linking[-1] == step_count(DEFAULT_SETTINGS) and len(linking) > 3
    assert bars.totals == sizes
    assert all(_never_back(h) and h[-1] == sizes[name] for name, h in bars.history.items())


def test_rich_draws_each_file_with_its_own_total(tmp_path):
    sizes = _layout(tmp_path / "leak")
    console = Console(record=True, force_terminal=True, width=160)
    with RichTracker(console, transient=False) as bars:
        _scan(tmp_path / "leak", tmp_path / "case", bars)
    text = console.export_text()
    for name, size in sizes.items():
        shown_totals = set(re.findall(re.escape(name) + r"[^\n]*?([\d.,]+)/([\d.,]+) MB", text))
        assert shown_totals and {total for _, total in shown_totals} == {f"{size / 1e6:,.1f}"}, name
        assert (f"{size / 1e6:,.1f}", f"{size / 1e6:,.1f}") in shown_totals     # drawn complete at the end


@pytest.mark.parametrize("values, shown", [([5, 3, 9, 20], [0, 5, 9, 10]), ([0, 0, 4], [0, 4])])
def test_a_bar_never_goes_back_nor_past_its_total(values, shown):
    bars = RecordingTracker()
    bar = bars.bar("x", total=10)
    for v in values:
        bar.update(v)
    assert bars.history["x"] == shown


def test_notify_persons_bars_have_the_notices_to_send_as_total(tmp_path):
    from test_notify_support import PEOPLE, Sink, many_persons, new_case, start_sink

    from fuite.notify.persons import PersonsOptions
    from fuite.notify.stage import notify_persons_for_case

    handler = Sink()
    controller = start_sink(handler)
    rows = PEOPLE + many_persons(120, start=100)
    bars = RecordingTracker()
    new_case(tmp_path / "case", rows).close()   # its case.toml is read when the case opens
    try:
        with open_case(tmp_path / "case", access()) as case:
            opts = PersonsOptions(smtp_url=f"smtp://127.0.0.1:{controller.port}", rate=0, backoff=0.0,
                                  letters_dir=tmp_path / "letters", connections=2)
            report = notify_persons_for_case(case, opts, progress=bars)
    finally:
        controller.stop()
    emails, letters = bars.history["notify persons: emails"], bars.history["notify persons: letters"]
    assert bars.totals["notify persons: emails"] == report.sent == len(handler.by_recipient()) > 120
    assert bars.totals["notify persons: letters"] == report.letters >= 1
    assert emails[-1] == report.sent and letters[-1] == report.letters
    assert _never_back(emails) and _never_back(letters) and len(emails) > 100


def test_rich_shows_an_eta_for_counted_work_and_none_for_steps():
    console = Console(record=True, force_terminal=True, width=160)
    with RichTracker(console, transient=False) as bars:
        inputs = bars.bar("lookup build: OPRF inputs", 1000, "inputs")
        steps = bars.bar("linking", 7, "steps")
        inputs.update(500)
        steps.advance(label="linking: clustering")
    lines = console.export_text().splitlines()
    last_inputs = [line for line in lines if "OPRF inputs" in line][-1]
    last_steps = [line for line in lines if "linking: clustering" in line][-1]
    assert "500/1,000 inputs" in last_inputs and "eta" in last_inputs
    assert "1/7 steps" in last_steps and "eta" not in last_steps


def test_a_file_bar_follows_what_is_stored_not_what_is_read_ahead(tmp_path, monkeypatch):
    """The scan reads a table's first rows ahead to classify its columns: the bar must not be full meanwhile,
    and it then moves batch by batch as they are stored."""
    from fuite import detect
    from fuite.ingest.tabular import delimited

    sizes = _layout(tmp_path / "leak")
    monkeypatch.setattr(delimited, "BATCH_ROWS", 5_000)
    bars = RecordingTracker()
    while_classifying = []
    classify = detect.classify_table

    def spy(columns, sample):
        while_classifying.append({k: v[-1] for k, v in bars.history.items()})
        return classify(columns, sample)

    monkeypatch.setattr(detect, "classify_table", spy)
    _scan(tmp_path / "leak", tmp_path / "case", bars)
    csv_shown = while_classifying[0]["a_patients.csv"]
    assert csv_shown < sizes["a_patients.csv"] / 2      # read ahead to the end, stored nothing yet
    history = bars.history["a_patients.csv"]
    assert len(set(history)) >= 8 and _never_back(history)   # 40,000 rows in batches of 5,000


def test_the_report_shows_its_two_steps(scanned_case):
    from fuite.report.stage import produce_report

    bars = RecordingTracker()
    with open_case(scanned_case, access()) as case:
        produce_report(case, "json", progress=bars)
    assert bars.history == {"report: figures": [0, 1, 2]} and bars.totals == {"report: figures": 2}
