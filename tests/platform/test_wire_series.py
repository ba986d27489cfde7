"""The wire adapters' series reading: the instants remembered from the last series read, the
power capacities shared between blocks and the fingerprint of a plain series never give one answer
another answer's values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from reconciler.platform.errors import UnexpectedResponseError
from reconciler.platform.jsonio import fingerprint
from reconciler.platform.wire.assets import parse_block
from reconciler.platform.wire.operational import parse_operational

T0, T1, T2 = "2026-11-24T00:00:00Z", "2026-11-24T00:15:00Z", "2026-11-24T00:30:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def block(capacity: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "b", "start": T0, "end": T2, "schedule": [], "powerCapacity": capacity}


def capacity(time: str, charge: Any, discharge: Any = 5000) -> dict[str, Any]:
    return {
        "time": time,
        "chargePowerCapacity": charge,
        "dischargePowerCapacity": discharge,
        "ratedChargePowerCapacity": 5000,
        "ratedDischargePowerCapacity": 5000,
    }


def test_each_series_has_its_own_times_whatever_was_read_before() -> None:
    answer = {
        "data": {
            "a": [{"time": T0, "value": 1}, {"time": T1, "value": 2}],
            "b": [{"time": T1, "value": 3}, {"time": T2, "value": 4}],
            "c": [{"time": T0, "value": 1}, {"time": T1, "value": 2}],
            "d": [{"time": T2, "value": 5}, {"time": T0, "value": Decimal("6.5")}],
        }
    }
    series = parse_operational(answer, ["a", "b", "c", "d"])
    assert dict(series["a"]) == dict(series["c"]) == {at(T0): 1, at(T1): 2}
    assert dict(series["b"]) == {at(T1): 3, at(T2): 4}
    assert list(series["d"].items()) == [(at(T0), Decimal("6.5")), (at(T2), 5)]  # sorted by time


def test_a_later_point_of_the_same_time_wins_and_out_of_order_points_are_sorted() -> None:
    answer = {"data": {"a": [{"time": T1, "value": 1}, {"time": T0, "value": 2}, {"time": T1, "value": 3}]}}
    assert list(parse_operational(answer, ["a"])["a"].items()) == [(at(T0), 2), (at(T1), 3)]


def test_power_capacities_shared_between_blocks_keep_each_blocks_values() -> None:
    first = parse_block(block([capacity(T0, 4000), capacity(T1, 4000)]))
    second = parse_block(block([capacity(T0, 3000), capacity(T1, Decimal("4000.5"))]))
    again = parse_block(block([capacity(T1, 4000), capacity(T0, 4000)]))
    assert [p.charge for p in first.power_capacity.values()] == [4000, 4000]
    assert [p.charge for p in second.power_capacity.values()] == [3000, Decimal("4000.5")]
    assert list(again.power_capacity) == [at(T0), at(T1)]
    assert all(type(p.charge) is Decimal for b in (first, second, again) for p in b.power_capacity.values())


@pytest.mark.parametrize(
    ("point", "found"),
    [(capacity(T0, True), "True"), (capacity(T0, "5"), "'5'"), (capacity("tomorrow", 1), "'tomorrow'")],
)
def test_a_capacity_point_out_of_shape_is_named(point: dict[str, Any], found: str) -> None:
    with pytest.raises(UnexpectedResponseError, match=f"powerCapacity point.*found {found}"):
        parse_block(block([capacity(T1, 1), point]))


@pytest.mark.parametrize(
    "points",
    [
        [{"time": T0, "value": 1}, {"time": T1, "value": 2}],  # plain: written once
        [{"time": T0, "value": Decimal("1.50")}, {"time": T1, "value": 2}],
        [{"time": T0, "value": 1, "unit": "kW"}, {"time": T1, "value": 2}],
        [{"value": 2, "time": T1}, {"time": T0, "value": 1}],
    ],
)
def test_a_series_fingerprint_is_that_of_its_points_as_sent(points: list[dict[str, Any]]) -> None:
    series = parse_operational({"data": {"a": points}}, ["a"])["a"]
    assert series.fingerprint == fingerprint(points)
    again = [{**p, "value": Decimal(str(p["value"])) + Decimal("0.0")} for p in points]  # 1 vs 1.0
    assert parse_operational({"data": {"a": again}}, ["a"])["a"].fingerprint == series.fingerprint
    other = [{**points[0], "value": 7}, *points[1:]]
    assert parse_operational({"data": {"a": other}}, ["a"])["a"].fingerprint != series.fingerprint


@pytest.mark.parametrize(
    "extra",
    [
        {},  # plain: written once
        {"ratedChargePower": Decimal("5000.0")},
        {"blockMetadata": [{"size": 1}]},
        {"schedule": [{"time": T0, "power": Decimal("-2.5")}]},
        {"powerCapacity": [{**capacity(T0, 4000), "note": "x"}]},
        {"powerCapacity": [capacity(T0, Decimal("4000.5"))]},
    ],
)
def test_a_block_fingerprint_is_that_of_the_block_as_sent(extra: dict[str, Any]) -> None:
    sent = block([capacity(T0, 4000), capacity(T1, 4000)]) | {"ratedChargePower": 5000} | extra
    assert parse_block(sent).fingerprint == fingerprint(sent)
