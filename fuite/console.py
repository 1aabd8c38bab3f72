"""What the CLI prints, and how: consoles, tables, JSON, and the one escape for leaked text.

- ``out`` (stdout: data, tables, JSON) and ``err`` (stderr: progress, advice, warnings, errors). When their output is
  not a terminal (a pipe, a file, a CI log) they wrap nothing and tables have no box drawing, so a command or a
  path printed in advice can be copied as is.
- ``shown(value)``: every file name or value that comes from the leak goes through it before it is printed.
- ``print_json(data)``: ``--json`` output, the same shape for every command.
"""

from __future__ import annotations

import json
import re
import sys

from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.progress import (BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.table import Table
from rich.text import Text

from fuite import progress as _progress

__all__ = ["err", "out", "print_json", "json_text", "tracker", "RichTracker", "shown",
           "FuiteConsole"]

#: The width of a console that is not a terminal: lines are never wrapped.
UNWRAPPED_WIDTH = 100_000

#: Characters that move the cursor, end a line, change the terminal's state or reorder text: C0 and C1 controls
#: (ESC starts every escape sequence; U+009B is a one-byte CSI), DEL, zero-width and bidirectional controls, line and
#: paragraph separators, the BOM and the interlinear annotation characters.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: In JSON, ``json`` already escapes C0 controls; these it would leave raw.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")


def _visible(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def shown(value: object) -> str:
    """``value`` (a leaked file name, column header or value) made safe to print through ``out`` or ``err``.

    Control characters, escape sequences, line breaks and bidirectional controls become visible escapes
    (``\\x1b``, ``\\n``, ``\\u202e``), so a file name cannot clear the screen or forge a line; Rich markup is
    escaped, so ``[red]`` prints as written.

    >>> print(shown("a\\x1b[2Jb\\n[red]c.csv"))
    a\\x1b[2Jb\\n\\[red]c.csv
    """
    return _escape_markup(_UNSAFE.sub(_visible, str(value)))


class FuiteConsole(Console):
    """A Rich console that, when its output is not a terminal, wraps nothing and draws no boxes."""

    @property
    def size(self):
        size = super().size
        return size if self.is_terminal else size._replace(width=UNWRAPPED_WIDTH)

    @size.setter
    def size(self, value) -> None:
        Console.size.fset(self, value)

    @property
    def soft_wrap(self) -> bool:
        return self._soft_wrap or not self.is_terminal

    @soft_wrap.setter
    def soft_wrap(self, value: bool) -> None:
        self._soft_wrap = value

    def table(self, *headers: str, **options) -> Table:
        """A table to print on this console: box drawing only on a terminal."""
        if not self.is_terminal:
            options.update(box=None, show_edge=False)
        return Table(*headers, **options)

    def bar(self, fraction: float, width: int = 30) -> str:
        """A bar of block characters for a histogram; empty when not a terminal."""
        return "█" * round(width * fraction) if self.is_terminal else ""


err = FuiteConsole(stderr=True, highlight=False)
out = FuiteConsole(highlight=False)


def json_text(data: object) -> str:
    """The ``--json`` text of ``data``: indented, UTF-8 kept readable, every control character escaped."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json(data: object) -> None:
    """Write ``data`` as JSON on stdout (``--json``): nothing else goes to stdout."""
    sys.stdout.write(json_text(data) + "\n")
    sys.stdout.flush()


class _CountColumn(ProgressColumn):
    """``done/total unit``: bytes in MB, anything else as a count."""

    def render(self, task) -> Text:
        unit = task.fields.get("unit", "")
        if unit == "bytes":
            done, total = f"{task.completed / 1e6:,.1f}", "?" if task.total is None else f"{task.total / 1e6:,.1f}"
            return Text(f"{done}/{total} MB")
        total = "?" if task.total is None else f"{int(task.total):,}"
        return Text(f"{int(task.completed):,}/{total} {unit}".rstrip())


class _EtaColumn(TimeRemainingColumn):
    """``eta H:MM:SS`` from the bar's rate; none for a bar of steps, whose steps do not last alike."""

    def render(self, task) -> Text:
        if task.fields.get("unit") == "steps":
            return Text("")
        return Text("eta ") + super().render(task)


class RichTracker(_progress.Tracker):
    """The one owner that draws the stages' bars (``fuite.progress``), with Rich, on ``console``.

    Each bar keeps the total it was opened with and never goes back (``fuite.progress.Bar``); a finished bar stays
    shown at its total. Off a terminal nothing is drawn.
    """

    def __init__(self, console: Console | None = None, *, transient: bool = True):
        console = console if console is not None else err
        self.rich = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), _CountColumn(),
                             TimeElapsedColumn(), _EtaColumn(), console=console,
                             transient=transient, disable=not console.is_terminal)

    def __enter__(self) -> RichTracker:
        self.rich.start()
        return self

    def __exit__(self, *exc) -> None:
        self.rich.stop()

    def bar(self, label: str, total: int | None, unit: str = "") -> _progress.Bar:
        rich, task = self.rich, self.rich.add_task(shown(label), total=total, unit=unit)

        class _Drawn(_progress.Bar):
            def show(self) -> None:
                rich.update(task, completed=self.done, total=self.total, description=shown(self.label))

        return _Drawn(label, total, unit)


def tracker(console: Console | None = None) -> RichTracker:
    """The stages' progress drawn on stderr (``with console.tracker() as bars: stage(..., progress=bars)``)."""
    return RichTracker(console)
