"""D23: no request can break the sandbox. Every hostile request below is a 4xx, and is answered
within 2 s (the client gives up after that, so a stall fails the test rather than hanging it);
afterwards the sandbox still answers a normal read, just as fast."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from reconciler.sandbox.faults import PlatformMiddleware
from reconciler.sandbox.server import RunningSandbox
from reconciler.sandbox.state import SandboxState
from tests.sandbox.sandbox_helpers import Api, MakeSandbox, asset, error, fixture, parse

BOUND_S = 2.0  # D23: every malformed request is answered within this


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox) -> RunningSandbox:
    return make_sandbox(fixture(asset()))


@pytest.fixture
def api(sandbox: RunningSandbox) -> Iterator[Api]:
    api = Api(sandbox.url)
    api.client.timeout = httpx.Timeout(BOUND_S)
    yield api
    api.client.close()


def _still_serves(api: Api) -> None:
    block = api.get(
        f"/blocks/{api.wholesale_block()}", start="2026-11-24T00:00:00Z", end="2026-11-24T23:45:00Z"
    )
    assert block.status_code == 200 and len(parse(block)["schedule"]) == 96


def test_a_body_over_1_mib_is_413(api: Api) -> None:
    big = b'{"schedule": [' + b" " * (1 << 20) + b"]}"
    response = api.client.put(api.path(suffix=f"/blocks/{api.wholesale_block()}"), content=big)
    assert response.status_code == 413
    assert error(response) == "invalid operation error: the request body is larger than 1048576 bytes (1 MiB)"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds as the body streams in
        yield b"["
        for _ in range(20):
            yield b"1," * 60_000
        yield b"1]"

    streamed = api.client.post(api.path(suffix="/ancillary/bids"), content=chunks())
    assert streamed.status_code == 413
    _still_serves(api)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[" * 65 + "]" * 65, "JSON nested deeper than 64 levels"),
        ("[" * 100_000 + "]" * 100_000, "JSON nested deeper than 64 levels"),
        ('{"schedule": [{"time": "2026-11-24T10:00:00Z", "power": 1E+10000000}]}', "out of range"),
        ('{"schedule": [{"time": "2026-11-24T10:00:00Z", "power": 1E-5000000}]}', "out of range"),
        ('{"schedule": [{"time": "2026-11-24T10:00:00Z", "power": 1E+309}]}', "out of range"),
        (
            '{"schedule": [{"time": "2026-11-24T10:00:00Z", "power": ' + "9" * 5000 + "}]}",
            "significant digits",
        ),
        ('{"schedule": [{"time": "2026-11-24T10:00:00Z", "power": NaN}]}', "not a finite number"),
        ('{"schedule": [{"time": "2026-11-24T10:00:00Z", "power": -Infinity}]}', "not a finite number"),
        ("null", "the request body must be a JSON object"),
        ("[]", "the request body must be a JSON object"),
        ('"schedule"', "the request body must be a JSON object"),
        ('{"schedule": null}', "schedule must be a JSON array"),
        ('{"schedule": [{"time": "0001-01-01T00:00:00Z", "power": 1}]}', "outside the years 2000–2100"),
        ('{"schedule": [{"time": "9999-12-31T23:45:00+01:00", "power": 1}]}', "outside the years 2000–2100"),
    ],
)
def test_malformed_schedule_updates_are_400_and_change_nothing(api: Api, body: str, expected: str) -> None:
    before = api.schedule("2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z")
    for method in ("PUT", "POST"):
        response = api.client.request(
            method, api.path(suffix=f"/blocks/{api.wholesale_block()}"), content=body
        )
        assert response.status_code == 400, response.text
        assert error(response).startswith("invalid operation error: ") and expected in error(response)
    assert api.schedule("2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z") == before
    _still_serves(api)


def test_a_huge_exponent_in_a_bid_neither_stalls_nor_slows_later_reads(api: Api) -> None:
    for number in ("1E+10000000", "1E-5000000"):
        body = f'[{{"offeredCapacity": {number}, "capacityPrice": 1}}]'
        response = api.client.put(
            api.path(suffix="/ancillary/fcr/bids/2026-11-24_NEGPOS_00_04"), content=body
        )
        assert response.status_code == 400 and "out of range" in error(response)
    assert parse(api.get("/ancillary/fcr/bids", deliveryDay="2026-11-24")) == []
    _still_serves(api)


@pytest.mark.parametrize(
    ("suffix", "params"),
    [
        ("/adjustments", {"start": "0001-01-01T00:00:00Z", "end": "9999-12-31T23:59:59Z"}),
        ("/operational", {"categories": "energyCapacityRated", "start": "0001-01-01T00:00:00+01:00"}),
        ("/blocks", {"end": "9999-12-31T23:59:59-01:00"}),
        ("/ancillary/bids", {"start": "1999-12-31T00:00:00Z", "end": "2026-11-24T00:00:00Z"}),
        ("/ancillary/results", {"start": "2026-11-24T00:00:00Z", "end": "2101-01-01T00:00:00Z"}),
        ("/ancillary/fcr/bids", {"deliveryDay": "9999-12-31"}),
        ("/ancillary/fcr/bids/9999-12-31_NEGPOS_20_24", {}),
        ("/ancillary/afrr/results/0001-01-01_POS_001", {}),
    ],
)
def test_times_outside_2000_to_2100_are_400(api: Api, suffix: str, params: dict[str, str]) -> None:
    response = api.get(suffix, **params)
    assert response.status_code == 400, response.text
    assert "outside the years 2000–2100" in error(response)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "/ancillary/bids", "null"),
        ("POST", "/ancillary/bids", '{"market": "FCR"}'),
        (
            "POST",
            "/ancillary/bids",
            '[{"market": "FCR", "product": 7, "deliveryDay": "2026-11-24", "bids": []}]',
        ),
        (
            "POST",
            "/ancillary/bids",
            '[{"market": "FCR", "product": "NEGPOS_00_04", "deliveryDay": "2026-11-24", "bids": {}}]',
        ),
        ("POST", "/ancillary/fcr/bids", "null"),
        ("POST", "/ancillary/afrr/bids", "true"),
        ("PUT", "/ancillary/fcr/bids/2026-11-24_NEGPOS_00_04", "null"),
        ("PUT", "/ancillary/afrr/bids/2026-11-24_POS_00_04", "{}"),
        (
            "PUT",
            "/ancillary/fcr/bids/2026-11-24_NEGPOS_00_04",
            '[{"offeredCapacity": "1000", "capacityPrice": 1}]',
        ),
        (
            "PUT",
            "/ancillary/fcr/bids/2026-11-24_NEGPOS_00_04",
            '[{"offeredCapacity": true, "capacityPrice": 1}]',
        ),
    ],
)
def test_null_and_wrongly_typed_bid_bodies_are_400(api: Api, method: str, suffix: str, body: str) -> None:
    response = api.client.request(method, api.path(suffix=suffix), content=body)
    assert response.status_code == 400, response.text
    assert error(response).startswith("invalid operation error: ")
    assert parse(api.get("/ancillary/bids", start="2026-11-23T00:00:00Z", end="2026-11-26T00:00:00Z")) == []


def test_login_and_admin_bodies_are_bounded_too(sandbox: RunningSandbox) -> None:
    with httpx.Client(base_url=sandbox.url, timeout=BOUND_S) as http:
        for body in ("null", "[" * 1000 + "]" * 1000, '{"username": 1E+999999, "password": "x"}'):
            assert http.post("/auth/public/authenticate", content=body).status_code == 400
        for body in (
            '{"advance": 1E+300}',
            '{"advance": 1E+999999}',
            '{"now": "9999-01-01T00:00:00Z"}',
            "null",
        ):
            response = http.post("/_sandbox/clock", content=body)
            assert response.status_code == 400, (body, response.text)
        assert http.post("/_sandbox/faults", json={"latencyMs": 10**12}).status_code == 400
        assert http.post("/_sandbox/unavailabilities", content=b"[" * 70 + b"]" * 70).status_code == 400
        assert http.get("/_sandbox/clock").json()["now"] == "2026-11-23T06:00:00Z"


def test_the_request_log_keeps_4_kib_of_each_body(sandbox: RunningSandbox, api: Api) -> None:
    points = [
        {"time": f"2026-11-24T{h:02d}:{m:02d}:00Z", "power": 1} for h in range(24) for m in (0, 15, 30, 45)
    ]
    assert api.put(f"/blocks/{api.wholesale_block()}", {"schedule": points}).status_code == 200
    small = {"schedule": points[:2]}
    assert api.put(f"/blocks/{api.wholesale_block()}", small).status_code == 200
    big_entry, small_entry = [r for r in sandbox.requests() if r["method"] == "PUT"]
    assert len(json.dumps({"schedule": points})) > 4096
    assert isinstance(big_entry["body"], str) and len(big_entry["body"].encode()) == 4096
    assert small_entry["body"] == small


def test_the_request_log_keeps_the_last_10000_entries(sandbox: RunningSandbox) -> None:
    """Through the logging middleware itself (ten thousand HTTP requests would take half a minute)."""
    state = SandboxState.from_fixture(sandbox.fixture)

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        pass

    async def many() -> None:
        for index in range(10_050):
            scope = {"type": "http", "method": "GET", "path": f"/r/{index}", "headers": []}
            await PlatformMiddleware(answer, state)(scope, receive, send)

    asyncio.run(many())
    assert len(state.requests) == 10_000
    assert [r["path"] for r in list(state.requests)[::9999]] == ["/r/50", "/r/10049"]
