"""Progress of the long steps, as a stage reports it: bars with a total, that never go backwards.

A stage receives a ``Tracker`` and never draws anything itself (no Rich here): it opens one ``Bar`` per unit of work
it can count (a file's bytes, the linkage's steps, the index inputs, the persons to notify), with the total known
when it opens it, and reports how far it got. ``fuite.console.tracker()`` is the one owner that draws the bars
(on a terminal only); ``NO_PROGRESS`` draws nothing. Bars count only: a label is a file name or a step, never a value.

>>> bars = RecordingTracker()
>>> bar = bars.bar("patients.csv", total=100, unit="bytes")
>>> bar.update(40); bar.update(30); bar.finish()
>>> bars.history["patients.csv"]
[0, 40, 40, 100]
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Bar", "Tracker", "NO_PROGRESS", "RecordingTracker", "step_bar"]


class Bar:
    """One unit of work with its total. ``update(done)`` never moves it back, nor beyond its total."""

    def __init__(self, label: str, total: int | None, unit: str = ""):
        self.label, self.total, self.unit, self.done = label, total, unit, 0

    def update(self, done: int) -> None:
        """``done`` of ``total`` so far (a smaller value than before is ignored)."""
        done = done if self.total is None else min(done, self.total)
        if done > self.done:
            self.done = done
            self.show()

    def advance(self, step: int = 1, label: str | None = None) -> None:
        """``step`` more done; ``label`` (a step's name) replaces the bar's label."""
        before = self.done
        if label is not None:
            self.label = label
        self.update(self.done + step)
        if label is not None and self.done == before:
            self.show()   # a new label alone is drawn too

    def finish(self) -> None:
        """The work is complete: the bar shows its total (or what was done, when there was no total)."""
        if self.total is None:
            self.total = self.done
        self.done = self.total
        self.show()

    def show(self) -> None:
        """Draw the bar as it is now (nothing here; ``fuite.console`` draws)."""


class Tracker:
    """What a stage reports its progress to. This one records nothing and draws nothing."""

    def bar(self, label: str, total: int | None, unit: str = "") -> Bar:
        """A new bar for ``label``, ``total`` units of ``unit`` (``bytes``, ``steps``, ``inputs``, ``persons``)."""
        return Bar(label, total, unit)


NO_PROGRESS = Tracker()


def step_bar(bar: Bar, prefix: str = "linking"):
    """A ``progress(message)`` callback (the resolve stage's) that advances ``bar`` one step per message."""
    return lambda message: bar.advance(label=f"{prefix}: {message}")


@dataclass
class RecordingTracker(Tracker):
    """Keeps every value each bar showed (tests, benchmarks): ``history[label]`` and ``totals[label]``."""

    history: dict[str, list[int]] = field(default_factory=dict)
    totals: dict[str, int | None] = field(default_factory=dict)

    def bar(self, label: str, total: int | None, unit: str = "") -> Bar:
        tracker = self
        tracker.history[label] = [0]
        tracker.totals[label] = total

        class _Recorded(Bar):
            def show(self) -> None:
                tracker.history[label].append(self.done)
                tracker.totals[label] = self.total

        return _Recorded(label, total, unit)
