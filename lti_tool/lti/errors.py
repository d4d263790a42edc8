"""Launch failures as values a teacher can forward to IT.

Each error names the check that failed (`check`) and says what was wrong in words.
"""

from __future__ import annotations


class LaunchError(Exception):
    """A launch or login was refused. Nothing has been written when this is raised."""

    def __init__(self, check: str, message: str, status: int = 400, issuer: str | None = None):
        super().__init__(message)
        self.check = check
        self.message = message
        self.status = status
        self.issuer = issuer

    def to_dict(self) -> dict:
        return {"error": "lti_launch_failed", "check": self.check, "message": self.message}
