"""Fault injection, the request log and the admin routes' loopback rule."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from reconciler.sandbox.app import create_app
from reconciler.sandbox.fixture import load_fixture
from tests.sandbox.sandbox_helpers import Api, MakeSandbox, asset, error, fixture, parse


def _statuses(api: Api, count: int) -> list[int]:
    return [api.get().status_code for _ in range(count)]


def test_faults_replay_the_same_sequence_for_the_same_seed(make_sandbox: MakeSandbox) -> None:
    runs = []
    for _ in range(2):
        sandbox = make_sandbox(fixture(asset()))
        api = Api(sandbox.url)
        sandbox.set_faults(errorRate=0.5, statuses=[500, 503], seed=7)
        runs.append(_statuses(api, 30))
    assert runs[0] == runs[1]
    assert {500, 503, 200} == set(runs[0])
    other = make_sandbox(fixture(asset()))
    api = Api(other.url)
    other.set_faults(errorRate=0.5, seed=8)
    assert _statuses(api, 30) != runs[0]


def test_injected_errors_are_not_processed_and_have_d3_bodies(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    api = Api(sandbox.url)
    block = api.wholesale_block()
    sandbox.set_faults(errorRate=1, statuses=[503])
    response = api.put(f"/blocks/{block}", {"schedule": [{"time": "2026-11-24T10:00:00Z", "power": 1000}]})
    assert response.status_code == 503
    assert error(response) == "error on the platform error: injected fault (sandbox fault plan)"
    sandbox.set_faults()  # {} clears
    assert api.schedule("2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z") == {"2026-11-24T10:00:00Z": 0}


def test_admin_routes_are_never_faulted_nor_logged(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    sandbox.set_faults(errorRate=1, resetRate=1, latencyMs=0)
    for _ in range(5):
        assert sandbox.http.get("/_sandbox/clock").status_code == 200
    sandbox.advance(60)
    assert all(not r["path"].startswith("/_sandbox") for r in sandbox.requests())


def test_a_reset_processes_the_write_then_breaks_the_connection(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    api = Api(sandbox.url)
    block = api.wholesale_block()
    sandbox.set_faults(resetRate=1, seed=1)
    with pytest.raises(httpx.RemoteProtocolError):
        api.put(f"/blocks/{block}", {"schedule": [{"time": "2026-11-24T10:00:00Z", "power": 1000}]})
    sandbox.set_faults()
    assert api.schedule("2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z") == {"2026-11-24T10:00:00Z": 1000}
    logged = [r for r in sandbox.requests() if r["method"] == "PUT"]
    assert logged[-1]["status"] == 200 and logged[-1]["fault"] == "reset"
    assert logged[-1]["body"] == {"schedule": [{"time": "2026-11-24T10:00:00Z", "power": 1000}]}


def test_latency_delays_platform_responses_only(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    api = Api(sandbox.url)
    sandbox.set_faults(latencyMs=3000)
    started = time.monotonic()
    sandbox.now()  # the admin routes answer at once ...
    assert time.monotonic() - started < 3
    api.get()  # ... the platform's only after the latency
    assert time.monotonic() - started >= 3


def test_a_write_abandoned_during_latency_is_logged_not_run_and_prints_no_traceback(
    make_sandbox: MakeSandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    sandbox = make_sandbox(fixture(asset()))
    api = Api(sandbox.url)
    block = api.wholesale_block()
    before = api.schedule("2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z")
    sandbox.set_faults(latencyMs=600)
    body = {"schedule": [{"time": "2026-11-24T10:00:00Z", "power": 1000}]}
    with pytest.raises(httpx.ReadTimeout):
        api.client.put(api.path(suffix=f"/blocks/{block}"), json=body, timeout=0.2)
    time.sleep(0.8)  # the server wakes from the latency and finds the client gone
    sandbox.set_faults()
    [abandoned] = [r for r in sandbox.requests() if r["method"] == "PUT"]
    assert abandoned["fault"] == "abandoned" and "status" not in abandoned
    assert api.schedule("2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z") == before
    assert "Traceback" not in capfd.readouterr().err


def test_bad_fault_plans_are_400(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    url = "/_sandbox/faults"
    body: object
    for body in ({"errorRate": 2}, {"statuses": []}, {"statuses": [200]}, {"seed": -1}, {"typo": 1}, [1]):
        assert sandbox.http.post(url, json=body).status_code == 400, body


def test_request_log_records_every_platform_request_with_write_bodies(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    api = Api(sandbox.url)
    api.get()
    api.write_schedule({"2026-11-24T10:00:00Z": 1000.5})
    api.get(va="missing")
    log = sandbox.requests()
    assert [(r["method"], r["status"]) for r in log] == [
        ("POST", 200),  # login: logged without its body
        ("GET", 200),
        ("GET", 200),  # the helper looks up the wholesale block
        ("PUT", 200),
        ("GET", 404),
    ]
    assert "body" not in log[0] and "body" not in log[1]
    assert log[3]["body"] == {"schedule": [{"time": "2026-11-24T10:00:00Z", "power": 1000.5}]}
    assert all(r["time"] == "2026-11-23T06:00:00Z" for r in log)
    exact = parse(sandbox.http.get("/_sandbox/requests"))["requests"][3]["body"]
    assert str(exact["schedule"][0]["power"]) == "1000.5"  # written back digit for digit


def test_admin_routes_answer_404_to_callers_off_loopback(example_fixture_path: str) -> None:
    # A second network interface is not available in every test environment, so this one test
    # calls the ASGI app in-process with a non-loopback client address.
    app = create_app(load_fixture(example_fixture_path))

    async def call(client: tuple[str, int]) -> int:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            return (await http.get("/_sandbox/clock")).status_code

    assert asyncio.run(call(("192.0.2.10", 5000))) == 404
    assert asyncio.run(call(("127.0.0.1", 5000))) == 200
    assert asyncio.run(call(("::1", 5000))) == 200
