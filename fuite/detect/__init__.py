"""fuite.detect"""
