"""Fixtures for the grade tests: fast retry delays and a fresh service-token cache per test."""

from __future__ import annotations

import pytest
from grades_helpers import FAST_GRADES, reset_tokens


@pytest.fixture
def app_config(app_config):
    return {**app_config, **FAST_GRADES}


@pytest.fixture(autouse=True)
def _fresh_tokens():
    reset_tokens()
    yield
    reset_tokens()
