"""fuite.resolve: relations, deterministic and Splink linkage, persons.

Public names only; the rest of the package is internal.
"""

from fuite.resolve.core import LINK_SCHEMA, Resolution, resolve_records
from fuite.resolve.engine import make_db_api
from fuite.resolve.evaluate import BCubed, bcubed
from fuite.resolve.settings import DEFAULT_SETTINGS, ResolveSettings

__all__ = ["resolve_records", "resolve_case", "Resolution", "LINK_SCHEMA", "ResolveSettings", "DEFAULT_SETTINGS",
           "make_db_api", "bcubed", "BCubed"]


def resolve_case(case, progress=None) -> dict:
    """Link child rows to their parents, resolve the case's records and write records, persons, links."""
    from fuite.resolve.case import resolve_case as _resolve_case

    return _resolve_case(case, progress=progress)
