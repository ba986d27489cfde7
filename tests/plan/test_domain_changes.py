"""Plan changes are domain objects: the diff builds no HTTP, and one place turns a change into its
request, for the plan's JSON and for apply alike (issue 15, principle 2)."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from reconciler.market import parse_product_date_code
from reconciler.plan.model import BidChange, ScheduleChange
from reconciler.plan.requests import requests_for
from reconciler.platform.ancillary import AncillaryApi
from reconciler.platform.models import Bid

PACKAGE = Path(__file__).resolve().parents[2] / "reconciler"


def imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_only_plan_requests_reaches_the_wire_adapters() -> None:
    above = ("plan", "render", "drift", "project", "cli")
    files = [PACKAGE / "apply.py", *(p for folder in above for p in (PACKAGE / folder).rglob("*.py"))]
    reaching = {
        str(p.relative_to(PACKAGE))
        for p in files
        if any(m.startswith("reconciler.platform.wire") for m in imported(p))
    }
    assert reaching == {"plan/requests.py"}


def test_requests_are_derived_from_the_domain_values() -> None:
    nine = datetime(2026, 11, 24, 9, tzinfo=UTC)
    schedule = ScheduleChange("m", "va-1", "blk/1", {nine: Decimal(0)}, {nine: Decimal("-2500.50")}, nine)
    code = parse_product_date_code("2026-11-24_POS_16_20")
    bid = BidChange("m", "va-1", code, (), (Bid(Decimal("2000.0"), Decimal("12.5"), Decimal(80)),), nine)

    [(put, carried)] = requests_for([schedule], "org 1", AncillaryApi.UNIFIED)
    assert carried == (schedule,)
    assert (put.method, put.path) == ("PUT", "/organisations/org%201/virtual-assets/va-1/blocks/blk%2F1")
    assert put.body == {
        "schedule": [{"time": "2026-11-24T09:00:00Z", "power": Decimal("2500.5").copy_negate()}]
    }
    [(bids, _), (again, _)] = requests_for([bid, schedule], "org", AncillaryApi.LEGACY)
    assert bids.path == "/organisations/org/virtual-assets/va-1/ancillary/afrr/bids/2026-11-24_POS_16_20"
    assert bids.body == [{"offeredCapacity": 2000, "capacityPrice": Decimal("12.5"), "energyPrice": 80}]
    assert again.same_as(requests_for([schedule], "org", AncillaryApi.LEGACY)[0][0])
    [(posted, _), _] = requests_for([bid, schedule], "org", AncillaryApi.UNIFIED)
    assert (posted.method, posted.path) == ("POST", "/organisations/org/virtual-assets/va-1/ancillary/bids")
    assert posted.body == [
        {
            "market": "AFRRCapacity",
            "product": "POS_16_20",
            "deliveryDay": "2026-11-24",
            "bids": [{"offeredCapacity": 2000, "capacityPrice": Decimal("12.5"), "energyPrice": 80}],
        }
    ]
