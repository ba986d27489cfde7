"""Admin routes under ``/_sandbox`` (DESIGN.md §6): no auth, loopback callers only (others get 404)."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.market import isoformat_z
from reconciler.sandbox import schedules
from reconciler.sandbox.events import advance_clock
from reconciler.sandbox.faults import parse_fault_plan
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import ExactJSONResponse, invalid, loads, not_found, parse_time, require_object


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
    """GET → ``{"now"}``; POST ``{"now": ISO}`` or ``{"advance": seconds}`` runs every event passed."""
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
                target = state.now + timedelta(seconds=float(seconds))
        with state.lock:
            advance_clock(state, target)
    with state.lock:
        return ExactJSONResponse({"now": isoformat_z(state.now)})


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


ROUTES = [
    Route("/_sandbox/clock", clock, methods=["GET", "POST"]),
    Route("/_sandbox/unavailabilities", unavailabilities, methods=["POST"]),
    Route("/_sandbox/faults", faults, methods=["POST"]),
    Route("/_sandbox/requests", requests_log, methods=["GET"]),
]
