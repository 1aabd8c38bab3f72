"""fuite.resolve: relations, deterministic and Splink linkage, persons.

Public names only; the rest of the package is internal.
"""

from fuite.lazy import lazy_exports

__all__ = ["resolve_records", "resolve_case", "Resolution", "LINK_SCHEMA", "ResolveSettings", "DEFAULT_SETTINGS",
           "make_db_api", "bcubed", "BCubed"]
__getattr__ = lazy_exports(globals(), {
    "LINK_SCHEMA": "fuite.resolve.core", "Resolution": "fuite.resolve.core", "resolve_records": "fuite.resolve.core",
    "make_db_api": "fuite.resolve.engine", "BCubed": "fuite.resolve.evaluate", "bcubed": "fuite.resolve.evaluate",
    "DEFAULT_SETTINGS": "fuite.resolve.settings", "ResolveSettings": "fuite.resolve.settings",
})


def resolve_case(case, progress=None) -> dict:
    """Link child rows to their parents, resolve the case's records and write records, persons, links."""
    from fuite.resolve.stage import resolve_case as _resolve_case

    return _resolve_case(case, progress=progress)
