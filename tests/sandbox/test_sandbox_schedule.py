"""Schedule updates over real HTTP: per-point upsert, atomicity, the strict rules of D8."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.sandbox.server import RunningSandbox
from tests.sandbox.sandbox_helpers import Api, MakeSandbox, asset, error, fixture, parse

DAY = ("2026-11-24T00:00:00Z", "2026-11-24T23:45:00Z")


@pytest.fixture
def plain(make_sandbox: MakeSandbox) -> RunningSandbox:
    return make_sandbox(fixture(asset()))


def test_put_upserts_only_the_points_sent(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    assert (
        api.write_schedule({"2026-11-24T10:00:00Z": -2000, "2026-11-24T10:15:00Z": 1500}).status_code == 200
    )
    response = api.write_schedule({"2026-11-24T10:15:00Z": 250.5})
    assert response.status_code == 200
    returned = {p["time"]: p["power"] for p in parse(response)["schedule"]}
    assert returned["2026-11-24T10:15:00Z"] == Decimal("250.5")
    schedule = api.schedule(*DAY)
    assert schedule["2026-11-24T10:00:00Z"] == -2000
    assert schedule["2026-11-24T10:15:00Z"] == Decimal("250.5")
    assert sum(1 for v in schedule.values() if v) == 2


def test_post_is_accepted_like_put(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    body = {"schedule": [{"time": "2026-11-24T11:00:00Z", "power": 380}]}
    assert api.post(f"/blocks/{api.wholesale_block()}", body).status_code == 200
    assert api.schedule(*DAY)["2026-11-24T11:00:00Z"] == 380


def test_one_bad_point_rejects_the_whole_update(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    response = api.write_schedule({"2026-11-24T10:00:00Z": -2000, "2026-11-24T10:15:00Z": 5001})
    assert response.status_code == 400
    assert error(response) == (
        "invalid operation error: power 5001 kW at 2026-11-24T10:15:00Z exceeds the available discharge "
        "capacity of 5000 kW"
    )
    assert not any(api.schedule(*DAY).values())


def test_power_range_docs_example_2(make_sandbox: MakeSandbox) -> None:
    api = Api(make_sandbox(fixture(asset(ratedChargePower=400, ratedDischargePower=500))).url)
    assert api.write_schedule({"2026-11-24T10:00:00Z": -400, "2026-11-24T10:15:00Z": 500}).status_code == 200
    assert api.write_schedule({"2026-11-24T10:00:00Z": -401}).status_code == 400
    assert api.write_schedule({"2026-11-24T10:00:00Z": 501}).status_code == 400


def test_gate_closure_docs_example_3(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset(dispatchGateClosureSeconds=300)))
    api = Api(sandbox.url)
    sandbox.set_clock("2026-11-23T12:10:00Z")
    assert api.write_schedule({"2026-11-23T12:15:00Z": 100}).status_code == 200
    sandbox.advance(1)
    late = api.write_schedule({"2026-11-23T12:15:00Z": 200})
    assert late.status_code == 400
    assert error(late) == "invalid operation error: cannot update instruction after gate closure"
    assert api.schedule("2026-11-23T12:15:00Z", "2026-11-23T12:15:00Z") == {"2026-11-23T12:15:00Z": 100}


def test_named_messages_for_grid_and_timespan(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    off_grid = api.write_schedule({"2026-11-24T10:05:00Z": 1})
    assert error(off_grid) == "invalid operation error: instruction start time must be a quarter of an hour"
    outside = api.write_schedule({"2026-11-25T23:45:00Z": 1, "2026-11-26T00:00:00Z": 1})
    assert outside.status_code == 400
    assert error(outside) == (
        "invalid operation error: cannot update block outside of its timespan: update timespan "
        "2026-11-25T23:45:00Z/2026-11-26T00:15:00Z is not fully contained within block timespan "
        "2026-11-23T00:00:00Z/2026-11-26T00:00:00Z"
    )


def test_ancillary_blocks_refuse_schedules(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    placed = api.put(
        "/ancillary/fcr/bids/2026-11-24_NEGPOS_08_12", [{"offeredCapacity": 1000, "capacityPrice": 10}]
    )
    assert placed.status_code == 200
    fcr_block = api.block_id("FCR")
    response = api.put(f"/blocks/{fcr_block}", {"schedule": [{"time": "2026-11-24T10:00:00Z", "power": 1}]})
    assert response.status_code == 400
    assert (
        error(response)
        == f"invalid operation error: cannot update schedule of non wholesale block: {fcr_block}"
    )


def test_soc_rule_is_strict_between_revalidation_and_gate_closure(make_sandbox: MakeSandbox) -> None:
    # 19 000 of 20 000 kWh; the 12:15 period is re-validated at 12:08 and closes at 12:10.
    sandbox = make_sandbox(
        fixture(asset(energyCapacity=20000, initialStateOfEnergy=19000, ratedChargePower=10000))
    )
    api = Api(sandbox.url)
    sandbox.set_clock("2026-11-23T12:08:00Z")
    refused = api.write_schedule({"2026-11-23T12:15:00Z": -4040})
    assert refused.status_code == 400
    assert "would take the state of charge to 100.05 %" in error(refused)
    assert api.write_schedule({"2026-11-23T12:15:00Z": -4000}).status_code == 200
    # Before the re-validation moment the same value is accepted (and corrected later).
    assert api.write_schedule({"2026-11-23T12:30:00Z": -10000}).status_code == 200


def test_an_unknown_block_is_404(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    response = api.put("/blocks/no-such-block", {"schedule": []})
    assert response.status_code == 404 and error(response) == "not found error: block no-such-block not found"


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"points": []},
        {"schedule": {"time": "2026-11-24T10:00:00Z"}},
        {"schedule": [{"time": "2026-11-24T10:00:00Z"}]},
        {"schedule": [{"power": 1}]},
        {"schedule": [{"time": "2026-11-24T10:00:00", "power": 1}]},
        {"schedule": [{"time": "tomorrow", "power": 1}]},
        {"schedule": [{"time": "2026-11-24T10:00:00Z", "power": "1"}]},
        {"schedule": [{"time": "2026-11-24T10:00:00Z", "power": True}]},
        {"schedule": [{"time": "2026-11-24T10:00:00Z", "power": None}]},
    ],
)
def test_malformed_updates_are_400(plain: RunningSandbox, body: Any) -> None:
    api = Api(plain.url)
    response = api.put(f"/blocks/{api.wholesale_block()}", body)
    assert response.status_code == 400, response.text
    assert error(response).startswith("invalid operation error: ")


def test_non_json_and_nan_bodies_are_400(plain: RunningSandbox) -> None:
    api = Api(plain.url)
    path = api.path(suffix=f"/blocks/{api.wholesale_block()}")
    for raw in (b"{", b"not json", b'{"schedule": [{"time": "2026-11-24T10:00:00Z", "power": NaN}]}'):
        response = api.client.put(path, content=raw)
        assert response.status_code == 400
        assert error(response).startswith("invalid operation error: malformed request")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**7), 10**7) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["time", "power", "schedule"]), inner)
    ),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["schedule", "time", "power"]), json_values, max_size=3))
def test_no_body_makes_the_sandbox_answer_500(plain: RunningSandbox, body: dict[str, Any]) -> None:
    api = Api(plain.url)
    response = api.put(f"/blocks/{api.wholesale_block()}", body)
    assert response.status_code in (200, 400), response.text
