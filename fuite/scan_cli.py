"""Commands: scan, export, demo (registered by fuite.cli)."""

import typer


def register(app: typer.Typer) -> None:
    """Add scan/export/demo."""
