"""Apply checks what it wrote against the write's own answer when that answer shows all of it, and
re-reads otherwise: a difference in the answer is reported like one a re-read finds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from reconciler.apply import Outcome, Status, _verify_from_answer
from reconciler.market import parse_product_date_code
from reconciler.plan.model import BidChange, ScheduleChange
from reconciler.platform.models import Bid

NINE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)
SCHEDULE = ScheduleChange(
    asset="munich-1",
    virtual_asset="va",
    block="b",
    before={NINE: Decimal(0), NINE + QUARTER: Decimal(0)},
    after={NINE: Decimal(-1000), NINE + QUARTER: Decimal("-1000.5")},
    deadline=NINE - timedelta(minutes=6),
)
CODE = parse_product_date_code("2026-11-24_NEGPOS_08_12")
BID = BidChange(
    "munich-1", "va", CODE, (), (Bid(Decimal(1000), Decimal(95), None),), NINE - timedelta(hours=20)
)


def block(powers: dict[datetime, object], block_id: str = "b") -> dict[str, Any]:
    return {
        "id": block_id,
        "start": "2026-11-23T23:00:00Z",
        "end": "2026-11-26T23:00:00Z",
        "schedule": [{"time": f"{t:%Y-%m-%dT%H:%M:%SZ}", "power": p} for t, p in powers.items()],
        "powerCapacity": [],
    }


def bids(capacity: int, product: str = "NEGPOS_08_12") -> list[dict[str, Any]]:
    return [
        {
            "product": product,
            "deliveryDay": "2026-11-24",
            "productDateCode": f"2026-11-24_{product}",
            "bids": [{"offeredCapacity": capacity, "capacityPrice": 95}],
        }
    ]


def answered(change: ScheduleChange | BidChange, answer: object) -> list[str] | None:
    return _verify_from_answer(Outcome(change, Status.APPLIED, answer=answer))


def test_a_schedule_answer_that_holds_every_written_period_is_checked_without_a_re_read() -> None:
    assert answered(SCHEDULE, block({NINE: -1000, NINE + QUARTER: Decimal("-1000.5")})) == []
    found = answered(SCHEDULE, block({NINE: -1000, NINE + QUARTER: -900}))
    assert found is not None and len(found) == 1
    assert found[0].startswith(f"{SCHEDULE.address} 2026-11-24T09:15:00Z: wrote ")


def test_a_schedule_answer_missing_a_written_period_or_of_another_block_means_a_re_read() -> None:
    assert answered(SCHEDULE, block({NINE: -1000})) is None
    assert answered(SCHEDULE, block({NINE: -1000, NINE + QUARTER: Decimal("-1000.5")}, "other")) is None
    assert answered(SCHEDULE, {"id": "b"}) is None  # not the documented shape
    assert answered(SCHEDULE, None) is None


def test_a_bid_answer_is_checked_when_it_holds_the_product() -> None:
    assert answered(BID, bids(1000)) == []
    found = answered(BID, bids(500))
    assert found is not None and len(found) == 1 and "platform shows" in found[0]
    assert answered(BID, bids(1000, product="NEGPOS_12_16")) is None
    assert answered(BID, "not a list") is None
