"""Fixtures for the content toolkit tests: lesson text builders and the example lessons.

Nothing here needs the app or a database.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "content" / "examples"

# This folder is called "content" too. Pytest puts tests/ on sys.path, and when the repo root is
# not on it (an editable install adds none) Python takes tests/content for the namespace package
# "content". Putting the root on the path makes the real package win; drop a wrongly bound one.
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
if getattr(sys.modules.get("content"), "__file__", "") is None:
    for name in [m for m in sys.modules if m == "content" or m.startswith("content.")]:
        del sys.modules[name]


@pytest.fixture
def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.md"))
