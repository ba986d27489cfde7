"""Drift, adopt and import run the real CLI against a sandbox on loopback, as the plan tests do."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def credentials(demo_credentials: None) -> None:
    """Every drift test logs in as the example fixture's user."""
