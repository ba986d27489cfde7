"""The sandbox as an ASGI app: the platform API of API.md + DECISIONS.md, plus ``/_sandbox`` admin.

Every handler takes the state lock for its whole read or write, checks auth and organisation
first (401/404, D3, D5), and answers client mistakes with the platform's status and message. The
route table (:data:`OPERATIONS`) is also what ``GET /docs/doc.json`` describes (:mod:`.openapi`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import cache
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import admin, bids_legacy, bids_unified, schedules, views
from reconciler.sandbox.assets import AssetState
from reconciler.sandbox.bidding import apply_bids, parse_bids
from reconciler.sandbox.faults import PlatformMiddleware
from reconciler.sandbox.fixture import Fixture
from reconciler.sandbox.models import DAY, DIRECTIONS, MARKETS, TIME, array, ref
from reconciler.sandbox.openapi import Handler, Operation, Param, document, starlette_routes
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


def sandbox_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def _asset(request: Request) -> AssetState:
    state = sandbox_state(request)
    params = request.path_params
    return state.asset(request.headers.get("authorization"), params["org"], params["va"])


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
    """GET a block; PUT or POST (the tutorials' verb) updates its schedule first (D1)."""
    state = sandbox_state(request)
    writing = request.method in ("PUT", "POST")
    body = loads(await request.body()) if writing else None
    with state.lock:
        asset = _asset(request)
        identifier = request.path_params["block"]
        if asset.block_market(identifier) is None:
            raise not_found(f"block {identifier} not found")
        start, end = views.window(request.query_params, state.now)
        if writing:  # a null or wrongly typed body is refused here (D23), never read as "no update"
            schedules.update_schedule(state, asset, identifier, body)
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
        return ExactJSONResponse(views.operational(asset, request.query_params, start, end, state.now))


# --- bids: per-market routes (D12) ----------------------------------------------------------


def legacy_handlers(family: str) -> dict[str, Handler]:
    """The D12 routes of one market family (``fcr`` or ``afrr``)."""

    async def post_bids(request: Request) -> Response:
        state = sandbox_state(request)
        body = loads(await request.body())
        with state.lock:
            asset = _asset(request)
            writes = bids_legacy.parse_post(body, family)
            apply_bids(state, asset, writes)
            return ExactJSONResponse(
                [bids_legacy.product_body(w.code, asset.bids.get(str(w.code))) for w in writes]
            )

    async def get_bids(request: Request) -> Response:
        state = sandbox_state(request)
        with state.lock:
            asset = _asset(request)
            day = bids_legacy.delivery_day_param(request.query_params.get("deliveryDay"))
            market = request.query_params.get("market") if family == "afrr" else None
            return ExactJSONResponse(bids_legacy.list_bids(asset, family, day, market))

    async def get_product(request: Request) -> Response:
        """The one product object (API.md F4)."""
        state = sandbox_state(request)
        with state.lock:
            asset = _asset(request)
            code = bids_legacy.parse_code(request.path_params["code"], family)
            return ExactJSONResponse(bids_legacy.product_body(code, asset.bids.get(str(code))))

    async def put_product(request: Request) -> Response:
        """Replaces the product's bids (``[]`` deletes) and answers a list, like POST."""
        state = sandbox_state(request)
        body = loads(await request.body())
        with state.lock:
            asset = _asset(request)
            code = bids_legacy.parse_code(request.path_params["code"], family)
            apply_bids(state, asset, [parse_bids(code, body, "the request body")])
            return ExactJSONResponse([bids_legacy.product_body(code, asset.bids.get(str(code)))])

    async def get_results(request: Request) -> Response:
        state = sandbox_state(request)
        with state.lock:
            asset = _asset(request)
            query = request.query_params
            day = bids_legacy.delivery_day_param(query.get("deliveryDay"))
            accepted = bids_legacy.parse_accepted(query.get("accepted"))
            market = query.get("market") if family == "afrr" else None
            return ExactJSONResponse(bids_legacy.list_results(asset, family, day, market, accepted))

    async def get_product_results(request: Request) -> Response:
        """One product's results object (API.md R5); ``results`` is empty until publication."""
        state = sandbox_state(request)
        with state.lock:
            asset = _asset(request)
            code = bids_legacy.parse_code(request.path_params["code"], family)
            accepted = bids_legacy.parse_accepted(request.query_params.get("accepted"))
            found = [
                body
                for body in bids_legacy.list_results(asset, family, code.day, None, accepted)
                if body["productDateCode"] == str(code)
            ]
            return ExactJSONResponse(found[0] if found else bids_legacy.results_body(code, []))

    return {
        "post_bids": post_bids,
        "get_bids": get_bids,
        "get_product": get_product,
        "put_product": put_product,
        "get_results": get_results,
        "get_product_results": get_product_results,
    }


# --- bids: unified ancillary API (D18) ------------------------------------------------------


async def post_ancillary_bids(request: Request) -> Response:
    state = sandbox_state(request)
    body = loads(await request.body())
    with state.lock:
        asset = _asset(request)
        writes = bids_unified.parse_post(body)
        apply_bids(state, asset, writes)
        return ExactJSONResponse(bids_unified.written(asset, writes))


def _selection(request: Request, state: SandboxState) -> bids_unified.Selection:
    start, end = views.window(request.query_params, state.now, required=True)
    return bids_unified.Selection(request.query_params, start, end)


async def get_ancillary_bids(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        asset = _asset(request)
        return ExactJSONResponse(bids_unified.list_bids(asset, _selection(request, state)))


async def get_ancillary_results(request: Request) -> Response:
    state = sandbox_state(request)
    with state.lock:
        asset = _asset(request)
        return ExactJSONResponse(bids_unified.list_results(asset, _selection(request, state)))


async def openapi_document(request: Request) -> Response:
    return ExactJSONResponse(_document())


# --- the route table ------------------------------------------------------------------------


def _q(name: str, schema: dict[str, Any], required: bool = False, description: str = "") -> Param:
    return Param(name, "query", schema, required, description)


START = _q("start", TIME, description="RFC 3339; inclusive")
END = _q("end", TIME, description="RFC 3339; inclusive")
START_REQ, END_REQ = (
    _q("start", TIME, True, "RFC 3339; inclusive"),
    _q("end", TIME, True, "RFC 3339; inclusive"),
)
DELIVERY_DAY = _q("deliveryDay", DAY, True)
ACCEPTED = _q("accepted", {"type": "boolean"})
AFRR_MARKET = _q("market", {"enum": ["capacity", "energy"]}, description="case-sensitive; omit for both")
COMMA_LIST = "a comma list (case-sensitive) of "
UNIFIED = (
    START_REQ,
    END_REQ,
    _q("markets", {"type": "string"}, description=COMMA_LIST + ", ".join(MARKETS)),
    _q("productDirections", {"type": "string"}, description=COMMA_LIST + ", ".join(DIRECTIONS)),
)


def _legacy_operations() -> list[Operation]:
    operations = []
    for family, tag, kind in (("fcr", "fcr", "FCR"), ("afrr", "afrr", "aFRR")):
        h = legacy_handlers(family)
        base = f"{VA}/{{va}}/ancillary/{family}"
        market = (AFRR_MARKET,) if family == "afrr" else ()
        operations += [
            Operation(
                "POST", base + "/bids", h["post_bids"], f"Create or replace {kind} bids (D12)", tag,
                array(ref("ProductBids")), body=array(ref("ProductBidsRequest")),
            ),
            Operation(
                "GET", base + "/bids", h["get_bids"], f"{kind} bids of a delivery day", tag,
                array(ref("ProductBids")), params=(DELIVERY_DAY, *market),
            ),
            Operation(
                "GET", base + "/bids/{code}", h["get_product"], f"{kind} bids of one productDateCode", tag,
                ref("ProductBids"),
            ),
            Operation(
                "PUT", base + "/bids/{code}", h["put_product"],
                f"Replace the {kind} bids of one productDateCode ([] deletes)", tag,
                array(ref("ProductBids")), body=array(ref("BidEntry")),
            ),
            Operation(
                "GET", base + "/results", h["get_results"], f"Published {kind} results of a delivery day", tag,
                array(ref("ProductResults")), params=(DELIVERY_DAY, ACCEPTED, *market),
            ),
            Operation(
                "GET", base + "/results/{code}", h["get_product_results"],
                f"Published {kind} results of one productDateCode", tag,
                ref("ProductResults"), params=(ACCEPTED,),
            ),
        ]  # fmt: skip
    return operations


OPERATIONS: list[Operation] = [
    Operation(
        "POST", "/auth/public/authenticate", authenticate, "Log in (D5)", "auth", ref("Tokens"),
        body=ref("Credentials"), errors=(400, 401), secured=False,
    ),
    Operation("GET", VA, list_assets, "Virtual assets of the organisation", "virtual-assets",
              array(ref("VirtualAsset")), params=(START, END)),
    Operation("GET", VA + "/{va}", get_asset, "One virtual asset", "virtual-assets", ref("VirtualAsset")),
    Operation("GET", VA + "/{va}/blocks", list_blocks, "The blocks of a virtual asset", "blocks",
              array(ref("Block")), params=(START, END)),
    Operation("GET", VA + "/{va}/blocks/{block}", block, "One block", "blocks", ref("Block"),
              params=(START, END)),
    *(
        Operation(method, VA + "/{va}/blocks/{block}", block, "Update the wholesale schedule (D1, D8)",
                  "blocks", ref("Block"), params=(START, END), body=ref("ScheduleUpdate"))
        for method in ("PUT", "POST")
    ),
    Operation("GET", VA + "/{va}/adjustments", _ranged(views.adjustments, required=True),
              "Platform corrections (D2)", "virtual-assets", ref("Adjustments"), params=(START_REQ, END_REQ)),
    Operation("GET", VA + "/{va}/energy-capacity", _ranged(views.energy_capacity, required=True),
              "Rated and available energy capacity", "virtual-assets", ref("EnergyCapacity"),
              params=(START_REQ, END_REQ)),
    Operation("GET", VA + "/{va}/state-of-energy/latest", soe_latest, "Latest state of energy",
              "virtual-assets", ref("StateOfEnergy")),
    Operation("GET", VA + "/{va}/state-of-charge/projected",
              _ranged(views.state_of_charge_projected, required=False),
              "Projected state of charge (deprecated)", "virtual-assets", ref("StateOfChargeProjection"),
              params=(START, END)),
    Operation("GET", VA + "/{va}/operational", operational_data, "Operational data (D4, D19, D22)",
              "virtual-assets", ref("Operational"),
              params=(_q("categories", {"type": "string"}, True, "a comma list of categories"), START, END)),
    *_legacy_operations(),
    Operation("POST", VA + "/{va}/ancillary/bids", post_ancillary_bids,
              "Create, replace or delete bids of one market group (D18)", "ancillary",
              array(ref("AncillaryBids")), body=array(ref("AncillaryBidsRequest"))),
    Operation("GET", VA + "/{va}/ancillary/bids", get_ancillary_bids,
              "Bids of every product overlapping [start, end] (D18)", "ancillary",
              array(ref("AncillaryBids")), params=UNIFIED),
    Operation("GET", VA + "/{va}/ancillary/results", get_ancillary_results,
              "Published results of every product overlapping [start, end] (D18)", "ancillary",
              array(ref("AncillaryResults")), params=UNIFIED),
    Operation("GET", "/docs/doc.json", openapi_document, "This OpenAPI 3.1 document", "docs",
              ref("OpenAPI"), errors=(), secured=False, faults=False),
    *admin.OPERATIONS,
]  # fmt: skip


@cache
def _document() -> dict[str, Any]:
    return document(OPERATIONS)


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
    app = Starlette(routes=starlette_routes(OPERATIONS), exception_handlers=exception_handlers)
    app.state.sandbox = SandboxState.from_fixture(fixture)
    app.state.fixture = fixture
    app.add_middleware(PlatformMiddleware, state=app.state.sandbox)
    return app
