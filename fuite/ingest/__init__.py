"""fuite.ingest"""
