"""Operator-facing configuration shipped with PeerPath.

`config.defaults` holds every setting with its safe default; see README "Configuration".
"""
