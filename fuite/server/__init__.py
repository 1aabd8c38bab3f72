"""fuite.server"""
