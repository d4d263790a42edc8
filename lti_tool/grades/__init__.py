"""The instructor's grade-delivery page: what PeerPath owes this course's LMS gradebook.

Counts per state, failed scores with the LMS's reason, and a retry button.
"""
