"""Problems found in author content, as values a person can act on.

Every problem names the file, the line (1-based, 0 when unknown) and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One error or warning about a lesson, pointing at a line of its source."""

    file: str
    line: int
    message: str
    hint: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.severity}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class ContentError(Exception):
    """A lesson or certificate input that cannot be used as it is.

    ``file``, ``line``, ``message`` and ``hint`` describe the first problem; ``problems``
    holds all of them, so a checker can report everything in one pass.
    """

    def __init__(
        self,
        file: str,
        line: int,
        message: str,
        hint: str = "",
        problems: list[Problem] | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.message = message
        self.hint = hint
        self.problems = problems or [Problem(file, line, message, hint)]
        super().__init__(str(self.problems[0]))

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> ContentError:
        first = problems[0]
        return cls(first.file, first.line, first.message, first.hint, problems)
