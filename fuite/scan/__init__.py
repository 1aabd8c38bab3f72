"""fuite.scan: files -> ingest -> detect -> encrypted case (-> resolve).

``stage`` is the scan stage (``scan_paths``); ``cli`` registers ``scan``, ``export`` and ``demo``.
"""

from fuite.lazy import lazy_exports

__all__ = ["SCAN_TABLES", "ScanSummary", "scan_paths", "scan_tables"]

__getattr__ = lazy_exports(globals(), {name: "fuite.scan.stage" for name in __all__})
