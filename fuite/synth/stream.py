"""Files written chunk by chunk: the drill streams its persons, so no file is ever held whole in memory.

``TextFile`` appends each chunk's bytes; ``SectionFile`` keeps one part file per growing section (a
dump's tables) beside the output and joins them, in order, with the fixed text around them when closed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

__all__ = ["TextFile", "SectionFile"]


class TextFile:
    """A file appended chunk by chunk: ``render(tables, first)`` gives one chunk's bytes."""

    def __init__(self, path: Path, render: Callable[[list, bool], bytes]):
        self._out = open(path, "wb")
        self._render = render
        self._first = True

    def add(self, tables: list) -> None:
        self._out.write(self._render(tables, self._first))
        self._first = False

    def close(self) -> None:
        self._out.close()


class SectionFile:
    """A file of ``count`` growing sections: ``add(parts)`` appends one chunk's bytes to each section;
    ``close(pieces)`` writes the file from ``pieces``, each fixed bytes or the index of a section."""

    def __init__(self, path: Path, count: int):
        self.path = path
        self._parts = [path.with_name(f".{path.name}.{i}.part") for i in range(count)]
        self._files = [open(p, "wb") for p in self._parts]

    def add(self, parts: list[bytes]) -> None:
        for f, data in zip(self._files, parts):
            f.write(data)

    def close(self, pieces: list[bytes | int]) -> None:
        for f in self._files:
            f.close()
        with open(self.path, "wb") as out:
            for piece in pieces:
                if isinstance(piece, int):
                    with open(self._parts[piece], "rb") as part:
                        shutil.copyfileobj(part, out, 1 << 20)
                else:
                    out.write(piece)
        for p in self._parts:
            p.unlink()
