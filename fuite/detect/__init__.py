"""fuite.detect: what leaked, column by column and inside free text.

Public names:

- ``classify_table(columns, sample, explain=False)`` -> one ``ColumnFinding`` per column;
- ``extract_records(batch, findings)`` -> the normalised ``RECORD_SCHEMA`` fields, one row per input row;
- ``default_detectors()`` / ``Detector`` -> the registry the classifier runs;
- ``analyse_text(text)`` -> health / HIV / special conditions of one free-text cell.
"""

from fuite.detect.columns import classify_table
from fuite.detect.detectors import Detector, default_detectors, find_in_text
from fuite.detect.freetext import analyse_text
from fuite.detect.records import extract_records

__all__ = ["classify_table", "extract_records", "default_detectors", "Detector", "find_in_text", "analyse_text"]
