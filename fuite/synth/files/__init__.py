"""The leaked files of a drill, one module each (``build`` the tables, ``write`` the bytes).

Each module names its file (``PATH``, relative to ``OUT/leak``) and exposes
``build(ctx, rng, pids) -> list[Table]`` (one chunk of persons' tables) and ``open_writer(path)``, whose
``add(tables)`` writes a chunk and ``close()`` ends the file (``fuite.synth.stream``).
"""

from fuite.synth.files import (
    csv_anonymous, csv_excel_titled, csv_french, jsonl_nested, jsonl_portal, mysql_dump, pg_dump_lims, pipe_latin1,
    tsv_abbreviated, xlsx_titled,
)

#: The builders in the order files are listed in the answer key.
FILES = (csv_french, tsv_abbreviated, jsonl_nested, xlsx_titled, mysql_dump, pipe_latin1, csv_anonymous, pg_dump_lims,
         csv_excel_titled, jsonl_portal)

__all__ = ["FILES"]
