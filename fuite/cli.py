"""The `fuite` command: a thin Typer layer over the library.

Each area registers its own commands from ``fuite/<area>/cli.py`` (``register(app)``). This module adds the
conventions every command shares (docs/cli.md): ``--version``, ``-h``, help types written as a person writes them,
and one exit-code table, applied by turning each ``FuiteError`` into one line on stderr and its ``exit_code``.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import typer
import typer.main
from typer._click import exceptions as click_exceptions  # typer vendors click
from typer._click.core import Command, Context, Parameter
from typer.core import TyperArgument, TyperGroup, TyperOption

from fuite.console import UNWRAPPED_WIDTH, err, shown
from fuite.errors import (EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE, FuiteError,
                          Terminated)

app = typer.Typer(
    name="fuite",
    help="Respond to a health-data leak: scan the files, find the persons, notify them, run a private self-check.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: Areas whose ``cli.register(app)`` adds commands, in help order.
AREAS = (
    "fuite.synth", "fuite.scan", "fuite.ingest", "fuite.detect", "fuite.resolve", "fuite.assess",
    "fuite.notify", "fuite.lookup", "fuite.server", "fuite.report", "fuite.store",
)


def _register_all() -> None:
    for area in AREAS:
        module = importlib.import_module(f"{area}.cli")
        module.register(app)


def _print_version(value: bool) -> None:
    if value:
        from fuite import __version__

        typer.echo(f"fuite {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", help="Print fuite's version and exit.",
                                        callback=_print_version, is_eager=True)) -> None:
    """Respond to a health-data leak: scan the files, find the persons, notify them, run a private self-check."""


@app.command()
def version() -> None:
    """Print fuite's version."""
    _print_version(True)


_register_all()


# --- help types as a person writes them -------------------------------------------------------------------------

#: Python annotation -> the word ``--help`` shows for its value.
TYPE_WORDS = {"path": "PATH", "file": "PATH", "directory": "PATH", "str": "TEXT", "int": "N", "float": "NUMBER",
              "bool": ""}


def type_word(param: Parameter) -> str:
    """``PATH``, ``TEXT``, ``N``, ``NUMBER`` (or ``N N`` for a pair) for an option's value; '' for a flag."""
    desc = param.type_descriptor
    if desc.is_path:
        return "PATH"
    if desc.is_tuple:
        return " ".join(_bare_word(arg) for arg in getattr(desc.annotation, "__args__", ()))
    if desc.is_list:
        args = getattr(desc.annotation, "__args__", ())
        return _bare_word(args[0]) if args else "TEXT"
    return _bare_word(desc.annotation)


def _bare_word(annotation) -> str:
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return "PATH"
    name = getattr(annotation, "__name__", str(annotation)).lower()
    return TYPE_WORDS.get(name, "TEXT")


class PlainArgument(TyperArgument):
    """An argument shown as ``PATH...`` in the usage line and the help, not ``{paths}...`` and ``<list[Path]>``."""

    def display_type_rich(self, ctx) -> str | None:
        return None

    def _rich_display_name(self) -> str:
        return self.metavar + ("..." if self.nargs != 1 else "")

    def _usage_display_name(self) -> str:
        name = self._rich_display_name()
        return name if self.required else f"[{name}]"


def _plain_types(param: Parameter) -> None:
    if isinstance(param, TyperArgument):
        param.metavar = param.metavar or type_word(param) or param.name.upper()
        param.__class__ = PlainArgument
    elif isinstance(param, TyperOption) and param.metavar is None:
        param.metavar = "" if param.is_flag else type_word(param)


def walk(cmd: Command, path: Sequence[str] = ("fuite",)) -> Iterator[tuple[list[str], Command]]:
    """Every command of the tree with its path (``["fuite", "notify", "status"]``), groups included."""
    yield list(path), cmd
    if isinstance(cmd, TyperGroup):
        for name in sorted(cmd.commands):
            yield from walk(cmd.commands[name], [*path, name])


def command(terminal: bool | None = None) -> Command:
    """The `fuite` command tree as click runs it, with help types as a person writes them.

    ``terminal`` (default: whether stdout is one): when False, ``--help`` is plain text, unwrapped, without boxes.
    """
    root = typer.main.get_command(app)
    terminal = sys.stdout.isatty() if terminal is None else terminal
    if not terminal:
        root.context_settings["terminal_width"] = UNWRAPPED_WIDTH
    help_names = root.context_settings["help_option_names"]
    for _, cmd in walk(root):
        if not terminal:
            cmd.rich_markup_mode = None
        for param in cmd.params:
            _plain_types(param)
        help_option = cmd.get_help_option(Context(cmd, help_option_names=help_names))
        if help_option is not None:
            help_option.metavar = ""
    return root


# --- the edge: errors become one line and an exit code ----------------------------------------------------------

def run(args: Sequence[str] | None = None) -> int:
    """Run `fuite` with ``args``; print one line for any user error, never a traceback; return the exit code."""
    try:
        rv = command().main(list(sys.argv[1:] if args is None else args), prog_name="fuite", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except click_exceptions.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click_exceptions.UsageError) else exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return _interrupted()
    except FuiteError as exc:
        err.print(f"[red]error:[/] {shown(exc)}")
        return exc.exit_code
    except Exception as exc:  # never print the message: it may carry leaked values
        if os.environ.get("FUITE_DEBUG"):
            raise
        err.print(f"[red]internal error:[/] {type(exc).__name__} (set FUITE_DEBUG=1 for details)")
        return EXIT_INTERNAL
    if rv == EXIT_INTERRUPTED:   # typer turns KeyboardInterrupt (so SIGTERM too) into this code
        return _interrupted()
    return rv if isinstance(rv, int) else EXIT_OK


_signals: list[int] = []   # what _terminate saw, for the message and the exit code


def _interrupted() -> int:
    if _signals:
        err.print("[red]error:[/] stopped by SIGTERM")
        return EXIT_TERMINATED
    err.print("[red]error:[/] interrupted")
    return EXIT_INTERRUPTED


def _terminate(signum, frame) -> None:
    _signals.append(signum)
    raise Terminated()


def main() -> None:
    """Entry point of the `fuite` command: SIGTERM unwinds like Ctrl-C, so a killed run leaves a sound case."""
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(run())


if __name__ == "__main__":
    main()
