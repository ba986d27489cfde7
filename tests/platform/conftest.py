"""Fixtures for client tests: clients logged in to a sandbox, closed when the test ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from reconciler.platform import Credentials, PlatformClient
from reconciler.sandbox.server import RunningSandbox
from tests.platform.client_helpers import FAST_RETRY, ORG, PASSWORD, USER, MakeClient


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """``make_client(sandbox, organisation=ORG, credentials=None, **options)``: closed after the test."""
    with ExitStack() as stack:

        def make(
            sandbox: RunningSandbox,
            organisation: str = ORG,
            credentials: Credentials | None = None,
            **options: Any,
        ) -> PlatformClient:
            options.setdefault("retry", FAST_RETRY)
            client = PlatformClient(
                sandbox.url,
                organisation,
                credentials or Credentials(username=USER, password=PASSWORD),
                **options,
            )
            return stack.enter_context(client)

        yield make
