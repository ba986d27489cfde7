"""Reliability tests run the real CLI against real sandboxes; credentials come from the environment."""

from __future__ import annotations

import functools

import pytest

from reconciler.platform import RetryPolicy
from tests.reliability.reliability_helpers import PASSWORD, USERNAME


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYR_USERNAME", USERNAME)
    monkeypatch.setenv("LAYR_PASSWORD", PASSWORD)
    monkeypatch.delenv("LAYR_TOKEN", raising=False)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients made by the CLI in this process wait 5-50 ms between attempts instead of 0.125-8 s:
    the same retry logic, on a test's time budget."""
    monkeypatch.setattr(
        "reconciler.platform.client.RetryPolicy",
        functools.partial(RetryPolicy, base_delay=0.01, max_delay=0.05),
    )
