"""JSON: arrays of records, JSON lines and concatenated objects, flattened into tables and child tables."""
