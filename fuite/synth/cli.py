"""Commands of fuite.synth (registered by fuite.cli)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the fuite app."""
