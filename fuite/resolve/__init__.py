"""fuite.resolve"""
