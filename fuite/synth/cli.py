"""Commands of fuite.synth (registered by fuite.cli)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the fuite app."""

    @app.command()
    def synth(
        out: Path = typer.Option(..., "--out", help="Folder to write the drill into (must be empty)."),
        persons: int = typer.Option(491_840, "--persons", help="Number of distinct persons."),
        seed: int = typer.Option(0, "--seed", help="Random seed: same seed and size give the same bytes."),
        force: bool = typer.Option(False, "--force", help="Replace a previous drill in a non-empty --out."),
        later: float = typer.Option(0.0, "--later", metavar="FRACTION",
                                    help="Hold this share of the persons back as files found later, under "
                                         "OUT/later (0.1: a 10 % delta)."),
    ) -> None:
        """Write a synthetic leak (seven files) and its answer key, for drills, demos, tests and benchmarks."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from fuite.synth import generate
        from fuite.synth.generate import check_arguments

        check_arguments(out, persons, seed, force, later)  # fail in one line, before the progress bar
        console = Console(stderr=True)
        with Progress(TextColumn("[bold]synth[/]"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                      transient=False) as bar:
            task = bar.add_task("", total=1.0)
            summary = generate(out, persons=persons, seed=seed, force=force, later=later,
                               progress=lambda stage, fraction: bar.update(task, completed=fraction,
                                                                           description=stage))
        console.print(f"{summary['persons']:,} persons, {summary['rows']:,} rows in {len(summary['files'])} files "
                      f"under {out / 'leak'}; answer key in {out / 'answer_key'} ({summary['seconds']} s)",
                      highlight=False)
        if "later" in summary:
            held = summary["later"]
            console.print(f"later: {held['rows']:,} rows in {len(held['files'])} files under {out / 'later'} "
                          f"({held['new']:,} new persons, {held['grown']:,} whose exposure grows, {held['known']:,} "
                          "already known); answer key in answer_key/later", highlight=False)
