"""The local LAYR platform sandbox (DESIGN.md §6): a real HTTP emulator of API.md + DECISIONS.md.

``create_app`` builds the ASGI app; ``running_sandbox`` serves it on an ephemeral loopback port
for the embedded default and the tests; ``reconciler sandbox`` serves it in the foreground.
It uses ``reconciler.rules`` and ``reconciler.market`` and never the client.
"""

from reconciler.sandbox.app import create_app
from reconciler.sandbox.fixture import Fixture, FixtureError, load_fixture
from reconciler.sandbox.server import RunningSandbox, running_sandbox

__all__ = ["Fixture", "FixtureError", "RunningSandbox", "create_app", "load_fixture", "running_sandbox"]
