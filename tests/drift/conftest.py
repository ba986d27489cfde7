"""Drift, adopt and import run the real CLI against a sandbox on loopback, as the plan tests do."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")
    monkeypatch.delenv("LAYR_TOKEN", raising=False)
