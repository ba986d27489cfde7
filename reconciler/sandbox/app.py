"""The sandbox as an ASGI app: the platform API of API.md + DECISIONS.md, plus ``/_sandbox`` admin.

Every handler takes the state lock for its whole read or write, checks auth and organisation
first (401/404, D3, D5), and answers client mistakes with the platform's status and message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.sandbox import admin, bidding, schedules, views
from reconciler.sandbox.assets import AssetState
from reconciler.sandbox.faults import PlatformMiddleware
from reconciler.sandbox.fixture import Fixture
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import (
    ApiError,
    ExactJSONResponse,
    error_response,
    invalid,
    loads,
    not_found,
    require_object,
)

VA = "/organisations/{org}/virtual-assets"
Handler = Callable[[Request], Awaitable[Response]]


def sandbox_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _asset(request: Request) -> AssetState:
    state = sandbox_state(request)
    params = request.path_params
    return state.asset(request.headers.get("authorization"), params["org"], params["va"])


def _family(request: Request) -> str:
    family = str(request.path_params["family"])
    if family not in bidding.FAMILIES:
        raise not_found(f"no ancillary market {family!r} (expected fcr or afrr)")
    return family


async def authenticate(request: Request) -> Response:
    body = require_object(loads(await request.body()), "the request body")
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise invalid("malformed request: 'username' and 'password' are required text fields")
    state = sandbox_state(request)
    with state.lock:
        token, expires_in = state.authenticate(username, password)
    return ExactJSONResponse(
        {
            "access_token": token,
            "expires_in": expires_in,
            "id_token": "sandbox-id-token",
            "refresh_token": "sandbox-refresh-token",
            "scope": "openid",
            "token_type": "Bearer",
        }
    )


async def list_assets(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        org = state.organisation(request.headers.get("authorization"), request.path_params["org"])
        query = request.query_params
        if query.get("start") or query.get("end"):
            start, end = views.window(query, state.now)
        else:  # the docs' default: operating between the previous day and one year ahead
            start, end = views.default_asset_window(state.now)
        chosen = [a for a in org.assets.values() if a.spec.start <= end and a.spec.end > start]
        return ExactJSONResponse([views.virtual_asset(a, state.now) for a in chosen])


async def get_asset(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        return ExactJSONResponse(views.virtual_asset(_asset(request), state.now))


async def list_blocks(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        asset = _asset(request)
        start, end = views.window(request.query_params, state.now)
        return ExactJSONResponse(
            [views.block(asset, identifier, start, end) for identifier, _ in asset.blocks()]
        )


async def block(request: Request) -> Response:
    state = sandbox_state(request)
    body = loads(await request.body()) if request.method in ("PUT", "POST") else None
    with state.lock:
        asset = _asset(request)
        identifier = request.path_params["block"]
        if asset.block_market(identifier) is None:
            raise not_found(f"block {identifier} not found")
        if body is not None:
            schedules.update_schedule(state, asset, identifier, body)
        start, end = views.window(request.query_params, state.now)
        return ExactJSONResponse(views.block(asset, identifier, start, end))


RangedView = Callable[[AssetState, datetime, datetime], dict[str, Any]]


def _ranged(view: RangedView, *, required: bool) -> Handler:
    """A GET of one asset's timeseries over ``start``/``end`` (greedy, inclusive)."""

    async def handler(request: Request) -> Response:
        state = sandbox_state(request)
        with state.lock:
            asset = _asset(request)
            start, end = views.window(request.query_params, state.now, required=required)
            return ExactJSONResponse(view(asset, start, end))

    return handler


async def soe_latest(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        asset = _asset(request)
        asset.advance_soe(state.now)
        return ExactJSONResponse(views.state_of_energy_latest(asset))


async def operational_data(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        asset = _asset(request)
        start, end = views.window(request.query_params, state.now)
        return ExactJSONResponse(views.operational(asset, request.query_params, start, end))


async def bids(request: Request) -> Response:
    state = sandbox_state(request)
    family = _family(request)
    body = loads(await request.body()) if request.method == "POST" else None
    with state.lock:
        asset = _asset(request)
        if body is not None:
            writes = bidding.parse_post(body, family)
            bidding.apply_bids(state, asset, writes)
            return ExactJSONResponse(
                [bidding.product_body(w.code, asset.bids.get(str(w.code))) for w in writes]
            )
        day = bidding.delivery_day_param(request.query_params.get("deliveryDay"))
        return ExactJSONResponse(bidding.list_bids(asset, family, day, request.query_params.get("market")))


async def product_bids(request: Request) -> Response:
    """PUT replaces the product's bids (``[]`` deletes) and answers a list, like POST; GET
    answers the one product object (API.md F4)."""
    state = sandbox_state(request)
    family = _family(request)
    body = loads(await request.body()) if request.method == "PUT" else None
    with state.lock:
        asset = _asset(request)
        code = bidding.parse_code(request.path_params["code"], family)
        product = bidding.product_body(code, asset.bids.get(str(code)))
        if body is None:
            return ExactJSONResponse(product)
        bidding.apply_bids(state, asset, [bidding.parse_bids(code, body, "the request body")])
        return ExactJSONResponse([bidding.product_body(code, asset.bids.get(str(code)))])


async def results(request: Request) -> Response:
    state = sandbox_state(request)
    family = _family(request)
    with state.lock:
        asset = _asset(request)
        query = request.query_params
        day = bidding.delivery_day_param(query.get("deliveryDay"))
        accepted = bidding.parse_accepted(query.get("accepted"))
        return ExactJSONResponse(bidding.list_results(asset, family, day, query.get("market"), accepted))


async def product_results(request: Request) -> Response:
    """One product's results object (API.md R5); ``results`` is empty until publication."""
    state = sandbox_state(request)
    family = _family(request)
    with state.lock:
        asset = _asset(request)
        code = bidding.parse_code(request.path_params["code"], family)
        accepted = bidding.parse_accepted(request.query_params.get("accepted"))
        found = [
            body
            for body in bidding.list_results(asset, family, code.day, None, accepted)
            if body["productDateCode"] == str(code)
        ]
        if found:
            return ExactJSONResponse(found[0])
        return ExactJSONResponse(bidding.results_body(code, []))


ROUTES = [
    Route("/auth/public/authenticate", authenticate, methods=["POST"]),
    Route(VA, list_assets, methods=["GET"]),
    Route(VA + "/{va}", get_asset, methods=["GET"]),
    Route(VA + "/{va}/blocks", list_blocks, methods=["GET"]),
    Route(VA + "/{va}/blocks/{block}", block, methods=["GET", "PUT", "POST"]),
    Route(VA + "/{va}/adjustments", _ranged(views.adjustments, required=True), methods=["GET"]),
    Route(VA + "/{va}/energy-capacity", _ranged(views.energy_capacity, required=True), methods=["GET"]),
    Route(VA + "/{va}/state-of-energy/latest", soe_latest, methods=["GET"]),
    Route(
        VA + "/{va}/state-of-charge/projected",
        _ranged(views.state_of_charge_projected, required=False),
        methods=["GET"],
    ),
    Route(VA + "/{va}/operational", operational_data, methods=["GET"]),
    Route(VA + "/{va}/ancillary/{family}/bids", bids, methods=["GET", "POST"]),
    Route(VA + "/{va}/ancillary/{family}/bids/{code}", product_bids, methods=["GET", "PUT"]),
    Route(VA + "/{va}/ancillary/{family}/results", results, methods=["GET"]),
    Route(VA + "/{va}/ancillary/{family}/results/{code}", product_results, methods=["GET"]),
    *admin.ROUTES,
]


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return error_response(
            ApiError("invalid operation", f"method {request.method} is not allowed here", 405)
        )
    if exc.status_code == 404:
        return error_response(not_found(f"no such route {request.url.path}"))
    return error_response(ApiError("invalid operation", str(exc.detail), exc.status_code))


async def _bug(request: Request, exc: Exception) -> Response:
    return error_response(ApiError("error on the platform", "internal sandbox error"))


def create_app(fixture: Fixture) -> Starlette:
    """A fresh sandbox seeded from ``fixture``: its own state, clock, faults and request log."""
    exception_handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        ApiError: _api_error,
        HTTPException: _http_error,
        Exception: _bug,
    }
    app = Starlette(routes=ROUTES, exception_handlers=exception_handlers)
    app.state.sandbox = SandboxState.from_fixture(fixture)
    app.state.fixture = fixture
    app.add_middleware(PlatformMiddleware, state=app.state.sandbox)
    return app
