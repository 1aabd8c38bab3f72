"""fuite.store"""
