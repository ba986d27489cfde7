"""The plan digest: what `plan` prints is what the saved file's content hashes to, for any numbers
a plan holds, and any edit of the content changes it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.market import parse_product_date_code
from reconciler.plan.model import BidChange, Plan, ScheduleChange, TargetInfo
from reconciler.plan.planfile import content_digest, dumps, plan_digest
from reconciler.platform.models import Bid

START = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
powers = st.decimals(min_value=-50_000, max_value=50_000, places=3, allow_nan=False, allow_infinity=False)
socs = st.one_of(st.floats(min_value=0, max_value=100, allow_nan=False), st.integers(0, 100).map(float))


def plan_of(values: list[Decimal], soc: list[float], price: Decimal) -> Plan:
    periods = [START + timedelta(minutes=15 * i) for i in range(len(values))]
    schedule = ScheduleChange(
        asset="a",
        virtual_asset="va",
        block="b",
        before={t: Decimal(0) for t in periods},
        after=dict(zip(periods, values, strict=True)),
        deadline=START - timedelta(hours=1),
    )
    code = parse_product_date_code("2026-11-24_NEGPOS_08_12")
    bid = BidChange("a", "va", code, (), (Bid(Decimal(2000), price, None),), START - timedelta(hours=17))
    return Plan(
        TargetInfo("t", "https://api.example", "org"),
        START - timedelta(days=1),
        (schedule, bid),
        (),
        (),
        fingerprints={"va/virtual-asset": "x"},
        # two series, not in name order: the digest sorts them as the file's reader does
        soc={"b": list(zip(periods, soc[::-1], strict=False)), "a": list(zip(periods, soc, strict=False))},
    )


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(powers, min_size=1, max_size=12),
    soc=st.lists(socs, min_size=1, max_size=12),
    price=st.decimals(min_value=-15_000, max_value=15_000, places=2, allow_nan=False, allow_infinity=False),
)
def test_the_printed_digest_is_the_digest_of_the_saved_content(
    values: list[Decimal], soc: list[float], price: Decimal
) -> None:
    plan = plan_of(values, soc, price)
    document = json.loads(dumps(plan), parse_float=Decimal)
    assert document["digest"] == plan.digest == plan_digest(plan) == content_digest(document)
    assert plan.digest.startswith("sha256:") and len(plan.digest) == len("sha256:") + 64


def test_any_edit_of_the_content_changes_the_digest() -> None:
    document = json.loads(dumps(plan_of([Decimal("-1000.5")], [50.0], Decimal("95.5"))), parse_float=Decimal)
    digest = content_digest(document)
    edits: tuple[Callable[[dict[str, Any]], object], ...] = (
        lambda d: d["changes"][0]["after"].update({"2026-11-24T00:00:00Z": Decimal("-1000.4")}),
        lambda d: d["requests"][d["changes"][1]["request"]]["body"][0]["bids"][0].update(
            offeredCapacity=3000
        ),
        lambda d: d["fingerprints"].update({"va/virtual-asset": "y"}),
        lambda d: d["target"].update(organisation="other"),
        lambda d: d["summary"].update(create=0),
        lambda d: d.update(selection=["a"]),
    )
    for edit in edits:
        edited = copy.deepcopy(document)
        assert content_digest(edited) == digest
        edit(edited)
        assert content_digest(edited) != digest
