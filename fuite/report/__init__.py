"""fuite.report"""
