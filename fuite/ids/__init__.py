"""fuite.ids: identifier modules shaped like python-stdnum."""
