"""fuite.notify"""
