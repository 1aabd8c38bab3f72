"""Limits that keep hostile input (zip bombs, endless lines, runaway statements) in check."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """Every bound ingest enforces. The defaults suit a leak of a few million rows on a 24 GiB machine."""

    max_depth: int = 4                 # archives nested inside archives
    max_entries: int = 100_000         # members of one archive
    max_ratio: int = 200               # decompressed / compressed bytes of one member
    ratio_floor: int = 16 * MiB        # the ratio is only checked beyond this many decompressed bytes
    max_member_bytes: int = 16 * GiB   # one member read as a stream
    max_in_memory: int = 1 * GiB       # one member that must be held in memory (nested archive, xlsx, parquet...)
    max_total_bytes: int = 64 * GiB    # declared size of all members of one top-level archive
    max_line_bytes: int = 32 * MiB     # one physical line of delimited text or JSON lines
    max_record_lines: int = 200        # physical lines one quoted record may span
    max_statement_bytes: int = 256 * MiB  # one SQL statement
    max_raw_bytes: int = 64 * 1024     # raw bytes kept with a quarantined row
    max_cached_bytes: int = 512 * MiB  # parsed blocks of one file kept for its other tables (JSON lines)
    max_file_seconds: float = 4 * 3600  # time budget of one file (or archive member), all its tables


DEFAULT_LIMITS = Limits()
