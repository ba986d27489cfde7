"""A saved plan's changes read back as domain values, and every field that can be re-derived
offline checked against what the change gives: address, kind, action, phase; and the recorded
requests against those the changes give through the recorded ancillary API
(:func:`reconciler.plan.requests.requests_for`), each change naming the one that carries it. Deadlines depend on the target (its market times,
the asset's gate closure): apply recomputes them (:func:`reconciler.apply.check_saved_plan`). Every object a
change touches must carry a fingerprint, so apply can tell whether it changed since.

A file that differs anywhere is refused whole: it is not the plan that was made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from reconciler.core.errors import ReconcilerError
from reconciler.market import (
    Market,
    ProductDateCode,
    ProductError,
    isoformat_z,
    parse_instant,
    parse_product_date_code,
)
from reconciler.plan.model import BidChange, Change, ScheduleChange, TargetInfo
from reconciler.plan.requests import Request, Requests
from reconciler.platform.models import Bid


class RecordedPlanError(ReconcilerError):
    """A saved plan's change is not what its own fields give."""


def touched_fingerprints(change: Change) -> list[str]:
    """The live objects a change's write depends on, by fingerprint key
    (:func:`reconciler.platform.reading.fingerprinted_reads`): the virtual asset and its wholesale
    block always (capacity moves, D16), and for a bid the bids of its market and delivery day."""
    va = change.virtual_asset
    keys = [f"{va}/virtual-asset", f"{va}/wholesale"]
    if isinstance(change, BidChange):
        family = "fcr" if change.product.market is Market.FCR else "afrr"
        keys.append(f"{va}/{family}/{change.product.day.isoformat()}")
    return keys


def changes_from_json(
    items: Sequence[Mapping[str, Any]], fingerprints: Mapping[str, str]
) -> tuple[Change, ...]:
    changes: list[Change] = []
    for index, item in enumerate(items):
        where = f"changes[{index}] ({item.get('address', '?')})"
        change = _change(item, where)
        _check_derived(change, item, where)
        if f"{change.virtual_asset}/virtual-asset" not in fingerprints:
            raise RecordedPlanError(
                f"{where} writes virtual asset {change.virtual_asset}, which the plan did not read"
            )
        missing = [key for key in touched_fingerprints(change) if key not in fingerprints]
        if missing:
            raise RecordedPlanError(
                f"{where} touches {', '.join(missing)} without a fingerprint, so apply could not tell "
                "whether it changed since the plan"
            )
        changes.append(change)
    return tuple(changes)


def _change(item: Mapping[str, Any], where: str) -> Change:
    kind = item["kind"]
    if kind == "schedule":
        block = item.get("block")
        if not isinstance(block, str) or not block:
            raise RecordedPlanError(f"{where}: a schedule change must name its block")
        checked: dict[str, datetime] = {}  # before and after name the same periods
        before = _schedule(item["before"], where, "before", checked)
        after = _schedule(item["after"], where, "after", checked)
        if not after:
            raise RecordedPlanError(f"{where}: a schedule change must write at least one period")
        return ScheduleChange(
            asset=item["asset"],
            virtual_asset=item["virtual_asset"],
            block=block,
            before=before,
            after=after,
            deadline=parse_instant(item["deadline"]),
        )
    code = _product(item.get("product"), where)
    return BidChange(
        asset=item["asset"],
        virtual_asset=item["virtual_asset"],
        product=code,
        before=_bids(item["before"], where, "before"),
        after=_bids(item["after"], where, "after"),
        deadline=parse_instant(item["deadline"]),
    )


def _schedule(value: Any, where: str, field: str, checked: dict[str, datetime]) -> dict[datetime, Decimal]:
    """Powers by period start; ``checked`` holds the period texts already read (and found canonical)."""
    if not isinstance(value, Mapping):
        raise RecordedPlanError(f"{where}: {field} of a schedule change must map period starts to kW")
    points: dict[datetime, Decimal] = {}
    for stamp, kw in value.items():
        moment = checked.get(stamp)
        if moment is None:
            try:
                moment = parse_instant(stamp)
            except ValueError:
                raise RecordedPlanError(f"{where}: {field} has {stamp!r}, not a UTC period start") from None
            if isoformat_z(moment) != stamp:
                raise RecordedPlanError(f"{where}: {field} has {stamp!r}; expected {isoformat_z(moment)}")
            checked[stamp] = moment
        points[moment] = kw if type(kw) is Decimal else Decimal(kw)
    return points


def _product(value: Any, where: str) -> ProductDateCode:
    if not isinstance(value, str):
        raise RecordedPlanError(f"{where}: a bid change must name its product")
    try:
        return parse_product_date_code(value)
    except ProductError as exc:
        raise RecordedPlanError(f"{where}: {exc}") from None


def _bids(value: Any, where: str, field: str) -> tuple[Bid, ...]:
    if not isinstance(value, list):
        raise RecordedPlanError(f"{where}: {field} of a bid change must be a list of bids")

    def price(entry: Mapping[str, Any], key: str) -> Decimal | None:
        return None if entry.get(key) is None else Decimal(entry[key])

    return tuple(
        Bid(Decimal(b["offeredCapacity"]), price(b, "capacityPrice"), price(b, "energyPrice")) for b in value
    )


def _check_derived(change: Change, item: Mapping[str, Any], where: str) -> None:
    recorded: dict[str, Any] = {
        "address": item["address"],
        "kind": item["kind"],
        "action": item["action"],
        "phase": item.get("phase"),
    }
    derived: dict[str, Any] = {
        "address": change.address,
        "kind": str(change.kind),
        "action": str(change.action),
        "phase": change.phase,
    }
    for key, value in derived.items():
        if recorded[key] != value:
            raise RecordedPlanError(
                f"{where}: {key} {recorded[key]!r} is not the one its change gives ({value!r})"
            )


def check_requests(
    changes: Sequence[Change],
    derived: Requests,
    items: Sequence[Mapping[str, Any]],
    recorded: Sequence[Mapping[str, Any]],
    target: TargetInfo,
) -> None:
    """The recorded requests are ``derived``, the ones ``changes`` give through the target's
    ancillary API (:func:`~reconciler.plan.requests.requests_for`), in the same order, and each
    change (``items``, as recorded) names the one that carries it."""
    if len(recorded) != len(derived):
        raise RecordedPlanError(
            f"the plan records {len(recorded)} request(s), but its changes give {len(derived)} "
            f"({target.ancillary_api} ancillary API)"
        )
    carrier: dict[int, int] = {}
    for index, ((request, carried), stored) in enumerate(zip(derived, recorded, strict=True)):
        _check_request(request, stored, f"requests[{index}]")
        carrier.update((id(change), index) for change in carried)
    for index, (change, item) in enumerate(zip(changes, items, strict=True)):
        if item["request"] != carrier[id(change)]:
            raise RecordedPlanError(
                f"changes[{index}] ({change.address}) names request {item['request']}, but it is "
                f"carried by request {carrier[id(change)]}"
            )


def _check_request(derived: Request, recorded: Mapping[str, Any], where: str) -> None:
    stored = Request(recorded["method"], recorded["path"], recorded["body"])
    if stored.same_as(derived):
        return
    differs = [
        part
        for part, a, b in (
            ("method", stored.method, derived.method),
            ("path", stored.path, derived.path),
        )
        if a != b
    ] or ["body"]
    raise RecordedPlanError(
        f"{where}: the recorded request's {' and '.join(differs)} is not what the plan's changes give "
        f"({derived.method} {derived.path} with their `after` values)"
    )
