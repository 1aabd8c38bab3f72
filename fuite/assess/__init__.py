"""fuite.assess"""
