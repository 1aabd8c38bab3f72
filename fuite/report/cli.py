"""Commands of fuite.report (registered by fuite.cli): ``fuite report``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``report`` to the fuite app."""

    @app.command()
    def report(
        case: Annotated[Path, typer.Option("--case", help="The case folder.")],
        format: Annotated[str, typer.Option("--format", "-f", help="json, html or pdf.")] = "json",
        lang: Annotated[str, typer.Option("--lang", help="fr (default) or en (html and pdf).")] = "fr",
        output: Annotated[Path | None, typer.Option("--output", "-o",
                                                    help="File to write; json goes to stdout without it.")] = None,
        mask_small: Annotated[bool, typer.Option("--mask-small",
                                                 help="json: show counts of 1-9 persons as \"< 10\" "
                                                      "(html and pdf always do).")] = False,
        name_labs: Annotated[bool, typer.Option("--name-labs",
                                                help="Name the laboratories of 10 persons or more "
                                                     "(read from the leak; off by default).")] = False,
        title: Annotated[str | None, typer.Option("--title", help="Title of the html/pdf report.")] = None,
        controller: Annotated[str | None, typer.Option("--controller", help="One controller's own report (its id "
                                                                            "in case.toml).")] = None,
        operator: Annotated[str | None, typer.Option("--operator", help="Named operator for the audit trail.")] = None,
    ) -> None:
        """The DPO's report: aggregate figures (json) or a document with charts (html, pdf). No identifier."""
        from fuite.console import err, shown, tracker
        from fuite.errors import UsageError
        from fuite.readable import format_count
        from fuite.report.stage import FORMATS, produce_report
        from fuite.report.wording import LANGS
        from fuite.store import open_case
        from fuite.store.edge import case_access

        fmt, lang = format.lower(), lang.lower()
        if fmt not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
        if lang not in LANGS:
            raise UsageError(f"--lang must be one of {', '.join(LANGS)}, not {lang!r}")
        if output is None and fmt != "json":
            raise UsageError(f"--format {fmt} needs --output FILE")
        with open_case(case, case_access(case), operator=operator) as c, tracker() as bars:
            data = produce_report(c, fmt, lang, mask=mask_small, title=title, name_labs=name_labs,
                                  controller_id=controller, progress=bars)
        if output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(data)
            err.print(f"report written to {shown(output)} ({fmt}, {format_count(len(data))} bytes)")
