"""fuite.detect: what leaked, column by column and inside free text.

Public names:

- ``classify_table(columns, sample, explain=False)`` -> one ``ColumnFinding`` per column;
- ``extract_records(batch, findings)`` -> the normalised ``RECORD_SCHEMA`` fields, one row per input row;
- ``default_detectors()`` / ``Detector`` -> the registry the classifier runs;
- ``analyse_text(text)`` -> health / HIV / special conditions of one free-text cell.
"""

from fuite.lazy import lazy_exports

__all__ = ["classify_table", "extract_records", "default_detectors", "Detector", "find_in_text", "analyse_text"]
__getattr__ = lazy_exports(globals(), {
    "classify_table": "fuite.detect.columns", "extract_records": "fuite.detect.records",
    "default_detectors": "fuite.detect.detectors", "Detector": "fuite.detect.detectors",
    "find_in_text": "fuite.detect.detectors", "analyse_text": "fuite.detect.freetext",
})
