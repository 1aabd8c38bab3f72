"""docs/controllers.md: the flow on the drill runs as written, top to bottom, on a small drill."""

from __future__ import annotations

import json
import shlex

from conftest import ROOT
from test_cli_readme import EDITOR, Drill, _strip_comment


def doc_lines() -> list[str]:
    text = (ROOT / "docs" / "controllers.md").read_text(encoding="utf-8")
    block = text.split("## The flow, on the drill", 1)[1].split("```bash\n", 1)[1].split("\n```", 1)[0]
    return [line for line in (_strip_comment(raw) for raw in block.splitlines()) if line]


class DocDrill(Drill):
    """The README's runner, plus ``cat A >> B``."""

    def line(self, line: str) -> None:
        if line.startswith("cat ") and " >> " in line:
            source, target = (shlex.split(part)[-1] for part in line[4:].split(" >> "))
            with open(self.folder / target, "a", encoding="utf-8") as fh:
                fh.write((self.folder / source).read_text(encoding="utf-8"))
            self.ran.append("cat")
            return
        super().line(line)


def test_the_controllers_flow_runs_top_to_bottom(tmp_path):
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR, encoding="utf-8")
    folder = tmp_path / "work"
    folder.mkdir()
    drill = DocDrill(folder, editor)
    for line in doc_lines():
        drill.line(line)
    assert drill.ran == ["fuite synth", "fuite scan", "fuite case", "${EDITOR:-vi}", "cat", "fuite case",
                         "fuite report", "fuite report", "fuite notify", "fuite notify", "fuite notify"]
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    assert len(figures["controllers"]) == 30 and figures["unattributed"]["records"] > 0
    assert (folder / "lab-01.pdf").read_bytes().startswith(b"%PDF")
    assert len(list((folder / "processor").glob("lab-*/processor-notice.pdf"))) == 30
    draft = json.loads((folder / "cnil" / "lab-01" / "cnil-notification.json").read_text(encoding="utf-8"))
    lab01 = figures["controllers"][0]
    assert draft["donnees"]["nombre_personnes"] == lab01["persons"] and draft["responsable"]["nom"] == lab01["name"]
