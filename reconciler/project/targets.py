"""Connecting to a target: a client, a clock, and a sentence that says where we are.

- ``embedded``: starts an in-process sandbox seeded from the target's fixture on a loopback port;
  credentials are the fixture's first user of the organisation (no environment needed); "now"
  is the sandbox's clock.
- ``emulator``: a running ``reconciler sandbox`` at ``apiUrl``; credentials from the environment;
  "now" is its ``GET /_sandbox/clock``.
- ``platform``: the real LAYR API; credentials from the environment; "now" is the system clock.

Every client speaks the target's ``ancillaryApi`` (D18: ``unified`` unless the entry says ``legacy``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property, partial
from pathlib import Path
from typing import Any

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
from reconciler.platform.errors import (
    CommandTimeout,
    CredentialsError,
    TransportError,
    UnexpectedResponseError,
)
from reconciler.platform.session import check_base_url
from reconciler.platform.transport import ErrorAnswer, HttpError, get_json_within
from reconciler.project.config import EMULATOR_PROBE_PATH, Target, display_path
from reconciler.project.protection import Protection, approve_write


@dataclass
class Connection:
    target: Target
    client: PlatformClient
    now: Callable[[], datetime]  # aware UTC, from the target's own clock
    description: str  # e.g. "embedded sandbox (examples/sandbox-fixture.yaml, clock 2026-11-23 06:55 CET)"
    is_embedded: bool
    api_url: str  # what plans record; an embedded target's names its fixture (embedded_api_url)
    # D14 times: a sandbox's own (its fixture may override them), the defaults for the real platform;
    # read on first use, so connecting makes no request (an unreachable emulator fails its reads)
    load_market_times: Callable[[], MarketTimes] = lambda: DEFAULT_MARKET_TIMES
    instance: Callable[[], str | None] = lambda: None  # an emulator's run (emulator_instance)

    @cached_property
    def market_times(self) -> MarketTimes:
        return self.load_market_times()


EMBEDDED_SCHEME = "embedded:"  # the api_url of an embedded target names its fixture (embedded_api_url)


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


def emulator_clock(api_url: str, *, timeout: float = 5.0, deadline: float | None = None) -> datetime:
    """The emulator's "now" from ``GET /_sandbox/clock`` (``{"now": ISO}``), within ``timeout``
    seconds and before ``deadline`` (the command's, a :func:`time.monotonic` value)."""
    url, answer = _clock_answer(api_url, timeout, deadline)
    try:
        return parse_instant(str(answer["now"]))
    except ValueError:
        raise UnexpectedResponseError(f'{url} did not answer with a clock ({{"now": ...}})') from None


def emulator_instance(api_url: str, *, timeout: float = 5.0, deadline: float | None = None) -> str | None:
    """Which run of the emulator answers (``instance`` of ``GET /_sandbox/clock``; None from one
    that does not say): a restarted sandbox is another platform to the record of applied plans."""
    instance = _clock_answer(api_url, timeout, deadline)[1].get("instance")
    return instance if isinstance(instance, str) else None


def _clock_answer(api_url: str, timeout: float, deadline: float | None) -> tuple[str, dict[str, Any]]:
    url = api_url.rstrip("/") + EMULATOR_PROBE_PATH
    answer = _emulator_get(url, "clock", timeout, deadline)
    if not isinstance(answer, dict) or "now" not in answer:
        raise UnexpectedResponseError(f'{url} did not answer with a clock ({{"now": ...}})')
    return url, answer


EMULATOR_MARKET_TIMES_PATH = "/_sandbox/market-times"


def emulator_market_times(
    api_url: str, *, timeout: float = 5.0, deadline: float | None = None
) -> MarketTimes:
    """The D14 times the emulator uses (``GET /_sandbox/market-times``, its fixture's overrides
    over the defaults); the defaults from an emulator that does not serve them."""
    url = api_url.rstrip("/") + EMULATOR_MARKET_TIMES_PATH
    answer = _emulator_get(url, "market times", timeout, deadline, missing=DEFAULT_MARKET_TIMES)
    if isinstance(answer, MarketTimes):
        return answer
    try:
        if not isinstance(answer, dict):
            raise ValueError("not an object")
        return market_times_from_json(answer)
    except (ValueError, TypeError):
        raise UnexpectedResponseError(f"{url} did not answer with market times (HH:MM and minutes)") from None


def _emulator_get(url: str, what: str, timeout: float, deadline: float | None, missing: Any = None) -> Any:
    """One admin GET of an emulator, ended within ``timeout`` and by ``deadline`` however it
    answers; ``missing`` is returned for a 404 when given."""
    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
        if timeout <= 0:
            raise CommandTimeout(f"GET {url}: not sent: the command's time limit ran out (--timeout)")
    try:
        return get_json_within(url, timeout)
    except ErrorAnswer as exc:
        if missing is not None and exc.status == 404:
            return missing
        raise TransportError(f"cannot read the emulator's {what} at {url}: {exc}") from None
    except HttpError as exc:
        if deadline is not None and time.monotonic() >= deadline:
            raise CommandTimeout(
                f"GET {url}: no complete answer before the command's time limit ran out (--timeout)"
            ) from None
        raise TransportError(f"cannot read the emulator's {what} at {url}: {exc}") from None
    except ValueError:
        raise UnexpectedResponseError(f"{url} did not answer with JSON ({what})") from None


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
        target.api_url,
        target.organisation,
        credentials,
        parallelism=parallelism,
        run_deadline=deadline,
        ancillary_api=target.ancillary_api,
    ) as client:
        if target.kind == "emulator":
            api_url = target.api_url

            def now() -> datetime:
                return emulator_clock(api_url, deadline=deadline)

            what = f"local sandbox emulator at {client.base_url}"
            times: Callable[[], MarketTimes] = partial(emulator_market_times, api_url, deadline=deadline)
            instance: Callable[[], str | None] = partial(emulator_instance, api_url, deadline=deadline)
        else:

            def now() -> datetime:
                return datetime.now(UTC)

            what = f"LAYR platform at {client.base_url}"
            times = Connection.load_market_times
            instance = Connection.instance
        protected = ", protected" if target.protection is not None else ""
        description = f"{what} (target {target.name}{protected}, organisation {target.organisation})"
        yield Connection(target, client, now, description, False, client.base_url, times, instance)


@contextmanager
def _connect_embedded(target: Target, parallelism: int, deadline: float | None) -> Iterator[Connection]:
    from reconciler.sandbox.embedded import running_sandbox  # starts a server: import only when needed

    if target.fixture is None:
        raise UsageError(f"embedded target {target.name!r} ({target.source}) names no fixture")
    credentials = fixture_credentials(target.fixture, target.organisation)
    with (
        running_sandbox(target.fixture) as sandbox,
        PlatformClient(
            sandbox.url,
            target.organisation,
            credentials,
            parallelism=parallelism,
            run_deadline=deadline,
            ancillary_api=target.ancillary_api,
        ) as client,
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
            embedded_api_url(target.fixture, target.config),
            lambda: sandbox.fixture.market_times,
        )


def embedded_api_url(fixture: Path, config: Path | None) -> str:
    """What plans, drift and status record as the embedded target's ``api_url``: the fixture it
    serves (``embedded:sandbox-fixture.yaml``, relative to the config's folder), never the loopback
    port of one run, so plans of the same inputs are byte-identical. Not an address to connect to:
    the sandbox ends with the command; apply finds it again by the plan's config and target name
    (:meth:`TargetInfo.same_target` matches embedded targets by name and organisation)."""
    where = fixture
    if config is not None:
        with suppress(ValueError):
            where = fixture.resolve().relative_to(config.resolve().parent)
    return EMBEDDED_SCHEME + where.as_posix()


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
