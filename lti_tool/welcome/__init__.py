"""The 'welcome / about this course' activity kind: the simplest real kind.

An instructor writes a welcome note; everyone sees it with who has already joined.
"""

from . import kind  # noqa: F401 - registers the kind
