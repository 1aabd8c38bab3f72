"""Support for the ingest tests (no tests here): read a folder and collect tables, rows, quarantine, problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fuite.ingest import read_paths
from fuite.schema import FileProblem, Quarantined


@dataclass
class Scan:
    tables: dict[tuple[str, str], dict] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)

    def rows(self, file: str, table: str = "") -> list[dict]:
        return self.tables[(file, table)]["rows"]

    def problem(self, file: str) -> str:
        return next(p.reason for p in self.problems if p.file == file)


def scan(*paths: Path, **kwargs) -> Scan:
    """Read everything, materialising each table's rows as dicts keyed by column name (plus ``__row``)."""
    out = Scan()
    for st in read_paths(list(paths), on_quarantine=out.quarantined.append, on_problem=out.problems.append,
                         **kwargs):
        rows = []
        for batch in st.batches():
            assert batch.schema.field(0).name == "__row"
            assert all(str(f.type) == "string" for f in batch.schema if not f.name.startswith("__"))
            for r in batch.to_pylist():
                row = {"__row": r["__row"]}
                row.update({name: r[f"c{i}"] for i, name in enumerate(st.columns)})
                if "__parent_row" in r:
                    row["__parent_row"] = r["__parent_row"]
                rows.append(row)
        out.tables[(st.file, st.table)] = {"columns": st.columns, "rows": rows, "format": st.format,
                                           "encoding": st.encoding, "relations": st.relations, "parent": st.parent}
    return out
