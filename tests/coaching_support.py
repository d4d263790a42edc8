"""Helpers for the coaching tests: place a coaching activity with deep linking, launch people."""

from __future__ import annotations

from placement_support import INSTRUCTOR, Placed, join, place, row_of

from lti_tool.models import CoachingProgram

__all__ = ["INSTRUCTOR", "Placed", "join", "place_coaching", "program"]


def place_coaching(lti, title: str = "Coaching circle", **fields) -> Placed:
    return place(lti, "coaching", "/coach", title, **fields)


def program(lti, placed: Placed) -> CoachingProgram:
    return row_of(lti, placed, CoachingProgram)
