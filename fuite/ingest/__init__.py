"""fuite.ingest: read leaked files of any format into ``SourceTable`` objects, streaming, with quarantine.

>>> tables = read_paths([folder], on_quarantine=q.append, on_problem=p.append)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from fuite.ingest.limits import DEFAULT_LIMITS, Limits
from fuite.schema import FileProblem, Quarantined, SourceTable

__all__ = ["read_paths", "Limits", "DEFAULT_LIMITS"]


def read_paths(paths: list[Path], *, encoding: str | None = None,
               on_quarantine: Callable[[Quarantined], None],
               on_problem: Callable[[FileProblem], None],
               on_progress: Callable[[str, int, int | None], None] | None = None,
               limits: Limits | None = None,
               skip: Callable[[str, Path], bool] | None = None) -> Iterator[SourceTable]:
    """Every table found in ``paths`` (files or folders), in a stable order.

    ``skip(name, path)`` is asked about every file on disk before it is read; a file it
    answers True for is not read (the scan stage skips files already in a case).

    Bad rows go to ``on_quarantine``, unreadable files to ``on_problem``, and
    ``on_progress(file, bytes_done, bytes_total)`` follows the reading. Nothing
    is raised for bad input and nothing is written to disk.
    """
    if encoding:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            from fuite.errors import UsageError

            raise UsageError("unknown encoding name given with --encoding") from None
    from fuite.ingest.dispatch import read_blob, walk  # format readers load pyarrow.csv/json and calamine
    from fuite.ingest.reporter import Reporter

    reporter = Reporter(on_quarantine, on_problem, on_progress, encoding, limits or DEFAULT_LIMITS)
    for path in paths:
        for blob in walk(Path(path), reporter):
            if skip is not None and blob.path is not None and skip(blob.name, blob.path):
                continue
            yield from read_blob(blob, reporter)
