"""Peer coaching: goals, profiles for matching, pairing, check-ins and completion.

Pure domain modules (no Flask, no SQLAlchemy): matching.py pairs coachees with coaches,
assignment.py is the solver under it, smart.py checks a goal, messages.py carries the
message codes they return for the web edge to translate.
"""
