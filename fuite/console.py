"""The CLI's consoles and progress bar (stderr, so stdout stays clean for data)."""

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

err = Console(stderr=True)
out = Console()


def progress_bar() -> Progress:
    """A transient progress bar on stderr."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True)
