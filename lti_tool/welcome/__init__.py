"""The 'welcome / about this course' activity kind (the simplest real kind)."""
