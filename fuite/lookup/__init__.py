"""fuite.lookup"""
