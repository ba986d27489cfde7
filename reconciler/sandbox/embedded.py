"""The embedded target's way in: start a sandbox from a fixture and log in as its first user.

The only module of the sandbox that the rest of reconciler imports, and only lazily.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.core.errors import UsageError
from reconciler.sandbox.fixture import load_fixture
from reconciler.sandbox.server import RunningSandbox, running_sandbox

__all__ = ["RunningSandbox", "first_user", "running_sandbox"]


def first_user(fixture: Path, organisation: str, shown_as: str) -> tuple[str, str]:
    """``(username, password)`` of the first user of ``organisation`` in a fixture file."""
    loaded = load_fixture(fixture)
    for org in loaded.organisations:
        if org.id == organisation:
            if not org.users:
                raise UsageError(f"{shown_as}: organisation {organisation!r} has no user to log in as")
            return org.users[0].username, org.users[0].password
    known = ", ".join(org.id for org in loaded.organisations) or "none"
    raise UsageError(f"{shown_as}: no organisation {organisation!r} in the fixture (it has: {known})")
