"""Certificates of completion for lessons: issue on a passing completion, verify in public.

service.py changes state (the caller commits); views.py is the web edge.
"""

from __future__ import annotations
