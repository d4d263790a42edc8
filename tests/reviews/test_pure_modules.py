"""The peer-review domain modules stay pure: only the standard library and each other."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "lti_tool" / "reviews"
PURE = {"allocation", "aggregation", "calibration", "people_summary", "rubric"}


def imported_modules(name: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


@pytest.mark.parametrize("name", sorted(PURE))  # rubric too: calibration builds on it
def test_domain_module_imports_only_the_standard_library_and_pure_siblings(name):
    for module in imported_modules(name):
        if module.startswith("."):
            assert module.lstrip(".") in PURE, f"{name} imports {module}"
        else:
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or top == "__future__", f"{name} imports {module}"
