"""Connecting to a target: a client, a clock, and a sentence that says where we are.

- ``embedded``: starts an in-process sandbox seeded from the target's fixture on a loopback port;
  credentials are the fixture's first user of the organisation (no environment needed); "now"
  is the sandbox's clock.
- ``emulator``: a running ``reconciler sandbox`` at ``apiUrl``; credentials from the environment;
  "now" is its ``GET /_sandbox/clock``.
- ``platform``: the real LAYR API; credentials from the environment; "now" is the system clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from reconciler.core.errors import ReconcilerError, UsageError
from reconciler.market import MARKET_TZ, parse_instant
from reconciler.platform.client import PlatformClient
from reconciler.platform.credentials import Credentials
from reconciler.platform.errors import CommandTimeout, TransportError, UnexpectedResponseError
from reconciler.platform.session import check_base_url, get_json_within
from reconciler.project.config import EMULATOR_PROBE_PATH, Target, display_path


@dataclass
class Connection:
    target: Target
    client: PlatformClient
    now: Callable[[], datetime]  # aware UTC, from the target's own clock
    description: str  # e.g. "embedded sandbox (examples/sandbox-fixture.yaml, clock 2026-11-23 06:55 CET)"
    is_embedded: bool
    api_url: str


def local_clock_text(moment: datetime) -> str:
    """``2026-11-23 06:55 CET``: how a clock reading is shown to people."""
    return moment.astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M %Z")


def fixture_credentials(fixture: Path, organisation: str) -> Credentials:
    """The first user of ``organisation`` in a sandbox fixture: what the embedded target logs in as."""
    from reconciler.sandbox.embedded import first_user  # the emulator: import only when needed

    username, password = first_user(fixture, organisation, display_path(fixture))
    return Credentials(username=username, password=password)


def emulator_clock(api_url: str, *, timeout: float = 5.0, deadline: float | None = None) -> datetime:
    """The emulator's "now" from ``GET /_sandbox/clock`` (``{"now": ISO}``), within ``timeout``
    seconds and before ``deadline`` (the command's, a :func:`time.monotonic` value)."""
    url = api_url.rstrip("/") + EMULATOR_PROBE_PATH
    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
        if timeout <= 0:
            raise CommandTimeout(f"GET {url}: not sent: the command's time limit ran out (--timeout)")
    try:
        return parse_instant(str(get_json_within(url, timeout)["now"]))
    except httpx.HTTPError as exc:
        if deadline is not None and time.monotonic() >= deadline:
            raise CommandTimeout(
                f"GET {url}: no complete answer before the command's time limit ran out (--timeout)"
            ) from None
        raise TransportError(f"cannot read the emulator's clock at {url}: {exc}") from None
    except (ValueError, KeyError, TypeError):
        raise UnexpectedResponseError(f'{url} did not answer with a clock ({{"now": ...}})') from None


@contextmanager
def connect(
    target: Target,
    *,
    parallelism: int = 10,
    environ: Mapping[str, str] | None = None,
    deadline: float | None = None,
) -> Iterator[Connection]:
    """Open a connection to ``target``; an embedded sandbox lives exactly as long as the block.
    ``deadline`` (a :func:`time.monotonic` value): no request of the connection runs past it."""
    if target.kind == "embedded":
        with _connect_embedded(target, parallelism, deadline) as connection:
            yield connection
        return
    if target.api_url is None:
        raise UsageError(f"target {target.name!r} ({target.source}) has no apiUrl")
    check_base_url(target.api_url)  # an insecure URL is refused before credentials are even read
    credentials = Credentials.from_env(environ)
    with PlatformClient(
        target.api_url, target.organisation, credentials, parallelism=parallelism, run_deadline=deadline
    ) as client:
        if target.kind == "emulator":
            api_url = target.api_url

            def now() -> datetime:
                return emulator_clock(api_url, deadline=deadline)

            what = f"local sandbox emulator at {client.base_url}"
        else:

            def now() -> datetime:
                return datetime.now(UTC)

            what = f"LAYR platform at {client.base_url}"
        protected = ", protected" if target.protected else ""
        description = f"{what} (target {target.name}{protected}, organisation {target.organisation})"
        yield Connection(target, client, now, description, False, client.base_url)


@contextmanager
def _connect_embedded(target: Target, parallelism: int, deadline: float | None) -> Iterator[Connection]:
    from reconciler.sandbox.embedded import running_sandbox  # starts a server: import only when needed

    if target.fixture is None:
        raise UsageError(f"embedded target {target.name!r} ({target.source}) names no fixture")
    credentials = fixture_credentials(target.fixture, target.organisation)
    with (
        running_sandbox(target.fixture) as sandbox,
        PlatformClient(
            sandbox.url, target.organisation, credentials, parallelism=parallelism, run_deadline=deadline
        ) as client,
    ):
        description = (
            f"embedded sandbox ({display_path(target.fixture)}, clock {local_clock_text(sandbox.now())})"
        )
        yield Connection(target, client, sandbox.now, description, True, client.base_url)


def confirm_protected(target: Target, auto_approve: bool, prompt_fn: Callable[[str], str]) -> None:
    """Let a write to a protected target through only with ``--auto-approve`` or its name typed back."""
    if not target.protected or auto_approve:
        return
    answer = prompt_fn(
        f"Target {target.name!r} is protected. Type its name to apply, or anything else to stop:"
    )
    if answer.strip() != target.name:
        raise ReconcilerError(
            f"not applied: target {target.name!r} is protected and its name was not typed "
            "(pass --auto-approve to apply without the prompt)"
        )
