"""Outbound calls to the LMS: service tokens, AGS (grades through the outbox) and NRPS.

Only modules in this package talk to a platform's services; they work outside a request.
"""
