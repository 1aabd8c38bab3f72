"""fuite.synth"""
