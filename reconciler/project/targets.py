"""Connecting to a target: a client, a clock, and a sentence that says where we are.

- ``embedded``: starts an in-process sandbox seeded from the target's fixture on a loopback port;
  credentials are the fixture's first user of the organisation (no environment needed); "now"
  is the sandbox's clock.
- ``emulator``: a running ``reconciler sandbox`` at ``apiUrl``; credentials from the environment;
  "now" is its ``GET /_sandbox/clock``.
- ``platform``: the real LAYR API; credentials from the environment; "now" is the system clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import httpx

from reconciler.core.errors import UsageError
from reconciler.market import (
    DEFAULT_MARKET_TIMES,
    MARKET_TZ,
    MarketTimes,
    market_times_from_json,
    parse_instant,
)
from reconciler.plan.model import TargetInfo
from reconciler.platform.client import PlatformClient
from reconciler.platform.credentials import Credentials
from reconciler.platform.errors import CredentialsError, TransportError, UnexpectedResponseError
from reconciler.platform.session import check_base_url
from reconciler.project.config import EMULATOR_PROBE_PATH, Target, display_path
from reconciler.project.protection import Protection, approve_write


@dataclass
class Connection:
    target: Target
    client: PlatformClient
    now: Callable[[], datetime]  # aware UTC, from the target's own clock
    description: str  # e.g. "embedded sandbox (examples/sandbox-fixture.yaml, clock 2026-11-23 06:55 CET)"
    is_embedded: bool
    api_url: str
    # D14 times: a sandbox's own (its fixture may override them), the defaults for the real platform;
    # read on first use, so connecting makes no request (an unreachable emulator fails its reads)
    load_market_times: Callable[[], MarketTimes] = lambda: DEFAULT_MARKET_TIMES

    @cached_property
    def market_times(self) -> MarketTimes:
        return self.load_market_times()


def local_clock_text(moment: datetime) -> str:
    """``2026-11-23 06:55 CET``: how a clock reading is shown to people."""
    return moment.astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M %Z")


def fixture_credentials(fixture: Path, organisation: str) -> Credentials:
    """The first user of ``organisation`` in a sandbox fixture: what the embedded target logs in as."""
    from reconciler.sandbox.embedded import first_user  # the emulator: import only when needed

    shown = display_path(fixture)
    username, password = first_user(fixture, organisation, shown)
    try:
        return Credentials(username=username, password=password)
    except CredentialsError as refused:
        raise UsageError(f"{shown}: user {username!r} of organisation {organisation!r}: {refused}") from None


def emulator_clock(api_url: str, *, timeout: float = 5.0) -> datetime:
    """The emulator's "now" from ``GET /_sandbox/clock`` (``{"now": ISO}``)."""
    return parse_instant(str(_clock_answer(api_url, timeout)["now"]))


EMULATOR_MARKET_TIMES_PATH = "/_sandbox/market-times"


def emulator_market_times(api_url: str, *, timeout: float = 5.0) -> MarketTimes:
    """The D14 times the emulator uses (``GET /_sandbox/market-times``, its fixture's overrides
    over the defaults); the defaults from an emulator that does not serve them."""
    url = api_url.rstrip("/") + EMULATOR_MARKET_TIMES_PATH
    try:
        response = httpx.get(url, timeout=timeout)
        if response.status_code == 404:
            return DEFAULT_MARKET_TIMES
        response.raise_for_status()
        answer = response.json()
        if not isinstance(answer, dict):
            raise ValueError("not an object")
        return market_times_from_json(answer)
    except httpx.HTTPError as exc:
        raise TransportError(f"cannot read the emulator's market times at {url}: {exc}") from None
    except (ValueError, TypeError):
        raise UnexpectedResponseError(f"{url} did not answer with market times (HH:MM and minutes)") from None


def _clock_answer(api_url: str, timeout: float) -> dict[str, Any]:
    url = api_url.rstrip("/") + EMULATOR_PROBE_PATH
    try:
        response = httpx.get(url, timeout=timeout)
        response.raise_for_status()
        answer = response.json()
        if not isinstance(answer, dict) or "now" not in answer:
            raise ValueError("no now")
        return answer
    except httpx.HTTPError as exc:
        raise TransportError(f"cannot read the emulator's clock at {url}: {exc}") from None
    except ValueError:
        raise UnexpectedResponseError(f'{url} did not answer with a clock ({{"now": ...}})') from None


@contextmanager
def connect(
    target: Target, *, parallelism: int = 10, environ: Mapping[str, str] | None = None
) -> Iterator[Connection]:
    """Open a connection to ``target``; an embedded sandbox lives exactly as long as the block."""
    if target.kind == "embedded":
        with _connect_embedded(target, parallelism) as connection:
            yield connection
        return
    if target.api_url is None:
        raise UsageError(f"target {target.name!r} ({target.source}) has no apiUrl")
    check_base_url(target.api_url)  # an insecure URL is refused before credentials are even read
    credentials = Credentials.from_env(environ)
    with PlatformClient(target.api_url, target.organisation, credentials, parallelism=parallelism) as client:
        if target.kind == "emulator":
            api_url = target.api_url

            def now() -> datetime:
                return emulator_clock(api_url)

            what = f"local sandbox emulator at {client.base_url}"
            times: Callable[[], MarketTimes] = partial(emulator_market_times, api_url)
        else:

            def now() -> datetime:
                return datetime.now(UTC)

            what = f"LAYR platform at {client.base_url}"
            times = Connection.load_market_times
        protected = ", protected" if target.protection is not None else ""
        description = f"{what} (target {target.name}{protected}, organisation {target.organisation})"
        yield Connection(target, client, now, description, False, client.base_url, times)


@contextmanager
def _connect_embedded(target: Target, parallelism: int) -> Iterator[Connection]:
    from reconciler.sandbox.embedded import running_sandbox  # starts a server: import only when needed

    if target.fixture is None:
        raise UsageError(f"embedded target {target.name!r} ({target.source}) names no fixture")
    credentials = fixture_credentials(target.fixture, target.organisation)
    with (
        running_sandbox(target.fixture) as sandbox,
        PlatformClient(sandbox.url, target.organisation, credentials, parallelism=parallelism) as client,
    ):
        description = (
            f"embedded sandbox ({display_path(target.fixture)}, clock {local_clock_text(sandbox.now())})"
        )
        yield Connection(
            target,
            client,
            sandbox.now,
            description,
            True,
            client.base_url,
            lambda: sandbox.fixture.market_times,
        )


def with_recorded_protection(target: Target, made_for: TargetInfo) -> Target:
    """``target`` protected also when the saved plan says its target was: a plan file can add
    protection, never lift it (what apply resolves from the configs holds whatever the file says)."""
    if not made_for.protected:
        return target
    names = (made_for.name,) if made_for.config else ()  # an --api-url target has no name to give
    recorded = Protection(names, (f"the plan was made for protected target {made_for.name!r}",))
    return replace(target, protection=recorded.merged(target.protection))


def confirm_protected(
    target: Target, *, named: str | None, auto_approve: bool, prompt_fn: Callable[[str], str | None]
) -> None:
    """Let a write to a protected platform through only with a protected target's name typed at a
    terminal, or ``--auto-approve`` together with ``--target NAME`` (``named``) naming one."""
    where = f"target {target.name!r} ({target.api_url}, organisation {target.organisation})"
    approve_write(
        target.protection,
        where=where,
        target_name=target.name,
        named=named,
        auto_approve=auto_approve,
        prompt_fn=prompt_fn,
    )
