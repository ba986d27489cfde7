"""Admin routes under ``/_sandbox`` (DESIGN.md §6): no auth, loopback callers only (others get 404)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.market import isoformat_z, market_times_to_json
from reconciler.sandbox import schedules
from reconciler.sandbox.events import advance_clock
from reconciler.sandbox.faults import parse_fault_plan
from reconciler.sandbox.models import ref
from reconciler.sandbox.openapi import Operation
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import (
    YEARS,
    ExactJSONResponse,
    invalid,
    loads,
    not_found,
    parse_time,
    require_object,
)

LAST_MOMENT = datetime(YEARS[1] + 1, 1, 1, tzinfo=UTC)  # the clock never passes the years of D23


def _state(request: Request) -> SandboxState:
    if not _is_loopback(request.client.host if request.client else None):
        raise not_found(f"no such route {request.url.path}")
    state: SandboxState = request.app.state.sandbox
    return state


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def clock(request: Request) -> Response:
    """GET → ``{"now", "instance"}``; POST ``{"now": ISO}`` or ``{"advance": seconds}`` runs every event passed."""
    state = _state(request)
    if request.method == "POST":
        body = require_object(loads(await request.body()), "the request body")
        if ("now" in body) == ("advance" in body):
            raise invalid("give exactly one of 'now' (an RFC 3339 time) or 'advance' (seconds)")
        if "now" in body:
            if not isinstance(body["now"], str):
                raise invalid("'now' must be an RFC 3339 time")
            target = parse_time(body["now"], "now")
        else:
            seconds = body["advance"]
            if isinstance(seconds, bool) or not isinstance(seconds, (int, Decimal)) or seconds < 0:
                raise invalid(f"'advance' must be a non-negative number of seconds, found {seconds}")
            with state.lock:
                if seconds > Decimal((LAST_MOMENT - state.now).total_seconds()):
                    raise invalid(f"'advance' {seconds} would move the clock past {isoformat_z(LAST_MOMENT)}")
                target = state.now + timedelta(seconds=float(seconds))
        with state.lock:
            advance_clock(state, target)
    with state.lock:
        return ExactJSONResponse({"now": isoformat_z(state.now), "instance": state.instance})


async def market_times(request: Request) -> Response:
    """The D14 times this sandbox uses (its fixture's ``deadlines`` over the defaults): what an
    emulator target hands the planner."""
    state = _state(request)
    return ExactJSONResponse(market_times_to_json(state.market_times))


async def unavailabilities(request: Request) -> Response:
    state = _state(request)
    body = loads(await request.body())
    with state.lock:
        return ExactJSONResponse(schedules.add_unavailability(state, body))


async def faults(request: Request) -> Response:
    state = _state(request)
    plan = parse_fault_plan(loads(await request.body()))
    with state.lock:
        state.faults = plan
    return ExactJSONResponse({"faults": "cleared" if plan is None else "set"})


async def requests_log(request: Request) -> Response:
    state = _state(request)
    with state.lock:
        return ExactJSONResponse({"requests": list(state.requests)})


def _admin(
    method: str, path: str, handler: Any, summary: str, answer: str, body: str | None = None
) -> Operation:
    return Operation(
        method, path, handler, summary + " (admin: loopback callers only, others get 404)", "sandbox",
        ref(answer), body=None if body is None else ref(body), errors=(400, 404), secured=False, faults=False,
    )  # fmt: skip


OPERATIONS = [
    _admin("GET", "/_sandbox/clock", clock, "Read the sandbox clock", "Clock"),
    _admin("POST", "/_sandbox/clock", clock, "Set or move the clock, running every event passed", "Clock", "ClockMove"),
    _admin("GET", "/_sandbox/market-times", market_times, "The market times (D14) this sandbox uses", "MarketTimes"),
    _admin("POST", "/_sandbox/unavailabilities", unavailabilities, "Add an unavailability (D9)", "Clipped", "Unavailability"),
    _admin("POST", "/_sandbox/faults", faults, "Set ({} clears) the fault plan", "FaultState", "FaultPlan"),
    _admin("GET", "/_sandbox/requests", requests_log, "The request log (the last 10 000)", "RequestLog"),
]  # fmt: skip
