"""The order apply writes in, at any size: the heap of :func:`write_order` picks exactly what its
definition picks (each asset's writes in capacity order; next, the asset whose remaining writes
hold the earliest deadline)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.market import parse_product_date_code
from reconciler.plan.model import BidChange, Change, ScheduleChange, write_order
from reconciler.platform.models import Bid

START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
PRODUCTS = (
    "2026-11-24_NEGPOS_00_04",
    "2026-11-24_NEGPOS_08_12",
    "2026-11-24_POS_16_20",
    "2026-11-25_NEG_04_08",
)


def by_definition(changes: list[Change]) -> list[Change]:
    """The docstring of :func:`write_order`, literally: quadratic, and obviously right."""
    queues: dict[str, list[Change]] = {}
    for change in sorted(changes, key=lambda c: (c.phase, c.deadline, c.address)):
        queues.setdefault(change.virtual_asset, []).append(change)
    ordered: list[Change] = []
    while queues:
        asset = min(queues, key=lambda a: (min(c.deadline for c in queues[a]), queues[a][0].address))
        ordered.append(queues[asset].pop(0))
        if not queues[asset]:
            del queues[asset]
    return ordered


@st.composite
def changes(draw: st.DrawFn) -> list[Change]:
    found: list[Change] = []
    for asset in range(draw(st.integers(1, 6))):
        name = f"asset-{asset}"
        if draw(st.booleans()):
            found.append(
                ScheduleChange(
                    name,
                    name,
                    "b",
                    {},
                    {START: Decimal(1)},
                    START + timedelta(minutes=draw(st.integers(0, 3000))),
                )
            )
        for code in draw(st.lists(st.sampled_from(PRODUCTS), unique=True, max_size=4)):
            before = (Bid(Decimal(1000 * draw(st.integers(0, 2))), Decimal(1), Decimal(1)),)
            after = (Bid(Decimal(1000 * draw(st.integers(0, 2))), Decimal(1), Decimal(1)),)
            deadline = START + timedelta(minutes=draw(st.integers(0, 3000)))
            found.append(BidChange(name, name, parse_product_date_code(code), before, after, deadline))
    return draw(st.permutations(found))


@settings(max_examples=60, deadline=None)
@given(changes())
def test_write_order_is_its_definition(planned: list[Change]) -> None:
    assert write_order(planned) == by_definition(planned)


def test_a_large_portfolio_is_ordered_by_urgency_across_assets() -> None:
    fleet = []
    for index in range(3000):
        name = f"asset-{index:04d}"
        deadline = START + timedelta(minutes=(index * 7919) % 3000)
        fleet.append(ScheduleChange(name, name, "b", {}, {START: Decimal(1)}, deadline))
    ordered = write_order(fleet)
    assert [c.deadline for c in ordered] == sorted(c.deadline for c in fleet)
