"""The `fuite` command: a thin Typer layer over the library.

Each area registers its own commands from ``fuite/<area>/cli.py`` (``register(app)``).
This module only turns library errors into one-line messages and exit codes.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
from typer._click import exceptions as click_exceptions  # typer vendors click

from fuite.errors import FuiteError

from rich.markup import escape

from fuite.console import err

app = typer.Typer(
    name="fuite",
    help="Respond to a health-data leak: scan the files, find the persons, notify them, run a private self-check.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    add_completion=False,
)

#: Areas whose ``cli.register(app)`` adds commands, in help order.
AREAS = (
    "fuite.synth", "fuite.scan_cli", "fuite.ingest", "fuite.detect", "fuite.resolve", "fuite.assess",
    "fuite.notify", "fuite.lookup", "fuite.server", "fuite.report", "fuite.store",
)


def _register_all() -> None:
    for area in AREAS:
        module_name = area if area.endswith("_cli") else f"{area}.cli"
        module = importlib.import_module(module_name)
        module.register(app)


@app.command()
def version() -> None:
    """Print fuite's version."""
    from fuite import __version__

    typer.echo(__version__)


_register_all()


def main() -> None:
    """Entry point: run the app, print one line for any user error, never a traceback."""
    try:
        rv = app(prog_name="fuite", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except click_exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("[red]error:[/] interrupted")
        sys.exit(130)
    except FuiteError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # never print the message: it may carry leaked values
        if os.environ.get("FUITE_DEBUG"):
            raise
        err.print(f"[red]internal error:[/] {type(exc).__name__} (set FUITE_DEBUG=1 for details)")
        sys.exit(70)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
