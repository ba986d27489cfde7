"""The plan: what a run will write, what it found, what the platform will do afterwards.

Changes are domain objects (which asset, which block or product, the values before and after);
the HTTP requests are derived from them in :mod:`reconciler.plan.requests` (with the target's
ancillary API, D18, several bid changes may travel in one request). The JSON form is also the
saved plan file (``schemas/plan.schema.json``, ``format_version`` "3").
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from reconciler.core.diagnostics import Diagnostic, Severity
from reconciler.market import Market, ProductDateCode, isoformat_z, parse_instant
from reconciler.plan.causes import DriftEntry
from reconciler.plan.resolve import Resolution
from reconciler.platform.ancillary import DEFAULT_ANCILLARY_API, AncillaryApi
from reconciler.platform.models import Bid
from reconciler.rules.bids import accepted_capacity
from reconciler.rules.units import json_number

if TYPE_CHECKING:
    from reconciler.plan.requests import Requests

FORMAT_VERSION = "3"  # 3: requests listed once, changes name theirs; the target's ancillary API


class ChangeKind(StrEnum):
    SCHEDULE = "schedule"
    FCR_BID = "fcr_bid"
    AFRR_BID = "afrr_bid"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class Phase:
    """The capacity order of one asset's writes (D16): what frees wholesale capacity first, then
    the schedule, then what takes capacity."""

    FREES = 0
    SCHEDULE = 1
    TAKES = 2


def schedule_address(asset: str) -> str:
    return f"{asset}/wholesale"


def bid_address(asset: str, code: ProductDateCode) -> str:
    return f"{asset}/{'fcr' if code.market is Market.FCR else 'afrr'}/{code}"


@dataclass(frozen=True)
class ScheduleChange:
    """Write the changed editable periods of one wholesale block (D1).

    ``before``/``after``: kW per period start, only the periods that change. ``deadline`` is when
    the earliest of them stops being writable.
    """

    asset: str  # manifest name
    virtual_asset: str
    block: str
    before: Mapping[datetime, Decimal]
    after: Mapping[datetime, Decimal]
    deadline: datetime

    kind: ClassVar[ChangeKind] = ChangeKind.SCHEDULE
    action: ClassVar[Action] = Action.UPDATE
    phase: ClassVar[int] = Phase.SCHEDULE

    @property
    def address(self) -> str:
        return schedule_address(self.asset)

    def to_json(self) -> dict[str, Any]:
        # a schedule repeats a few powers over many periods: convert each distinct one once
        number = {kw: json_number(kw) for kw in {*self.before.values(), *self.after.values()}}
        return {
            "address": self.address,
            "kind": str(self.kind),
            "action": str(self.action),
            "asset": self.asset,
            "virtual_asset": self.virtual_asset,
            "block": self.block,
            "before": {isoformat_z(t): number[kw] for t, kw in sorted(self.before.items())},
            "after": {isoformat_z(t): number[kw] for t, kw in sorted(self.after.items())},
            "deadline": isoformat_z(self.deadline),
            "phase": self.phase,
        }


@dataclass(frozen=True)
class BidChange:
    """Create, replace or delete the bids of one product (D12): ``after`` empty deletes."""

    asset: str
    virtual_asset: str
    product: ProductDateCode
    before: tuple[Bid, ...]
    after: tuple[Bid, ...]
    deadline: datetime  # the product's bid deadline (D14)

    @property
    def address(self) -> str:
        return bid_address(self.asset, self.product)

    @property
    def kind(self) -> ChangeKind:
        return ChangeKind.FCR_BID if self.product.market is Market.FCR else ChangeKind.AFRR_BID

    @property
    def action(self) -> Action:
        return Action.CREATE if not self.before else Action.DELETE if not self.after else Action.UPDATE

    @property
    def holds_capacity(self) -> bool:
        """aFRR energy bids move no capacity (D16)."""
        return self.product.market is not Market.AFRR_ENERGY

    @property
    def phase(self) -> int:
        """A bid that keeps or lowers its capacity frees wholesale capacity; one that raises it takes."""
        live = sum(accepted_capacity(b.offered_capacity) for b in self.before)
        wanted = sum(accepted_capacity(b.offered_capacity) for b in self.after)
        return Phase.FREES if not self.holds_capacity or wanted <= live else Phase.TAKES

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": str(self.kind),
            "action": str(self.action),
            "asset": self.asset,
            "virtual_asset": self.virtual_asset,
            "product": str(self.product),
            "before": [bid_json(self.product, b) for b in self.before],
            "after": [bid_json(self.product, b) for b in self.after],
            "deadline": isoformat_z(self.deadline),
            "phase": self.phase,
        }


Change = ScheduleChange | BidChange


def bid_json(code: ProductDateCode, bid: Bid) -> dict[str, Any]:
    """A bid as plans show it: kW and EUR; FCR bids have no energy price, absent prices are left out."""
    entry: dict[str, Any] = {"offeredCapacity": json_number(bid.offered_capacity)}
    if bid.capacity_price is not None:
        entry["capacityPrice"] = json_number(bid.capacity_price)
    if code.market is not Market.FCR and bid.energy_price is not None:
        entry["energyPrice"] = json_number(bid.energy_price)
    return entry


def write_order(changes: Sequence[Change]) -> list[Change]:
    """The order apply writes in.

    Within one asset, by capacity phase (what frees wholesale capacity, then the schedule, then
    what takes capacity; D16), then by deadline. Across assets, by urgency: the next write is
    the head of the asset whose remaining writes hold the earliest deadline, so an FCR bid due at
    07:30 is not kept waiting behind other assets' schedules (its own prerequisites go first).
    """
    queues: dict[str, list[Change]] = {}
    for change in sorted(changes, key=lambda c: (c.phase, c.deadline, c.address)):
        queues.setdefault(change.virtual_asset, []).append(change)
    # A heap of the assets by (earliest deadline left, next address, first seen): n log n, where
    # picking the minimum over every asset for every write was quadratic in the assets.
    heap: list[tuple[datetime, str, int, int]] = []
    soonest: list[list[datetime]] = []  # per asset: the earliest deadline from each position on
    chains = list(queues.values())
    for index, chain in enumerate(chains):
        suffix = [c.deadline for c in chain]
        for i in range(len(suffix) - 2, -1, -1):
            suffix[i] = min(suffix[i], suffix[i + 1])
        soonest.append(suffix)
        heap.append((suffix[0], chain[0].address, index, 0))
    heapq.heapify(heap)
    ordered: list[Change] = []
    while heap:
        _, _, index, position = heapq.heappop(heap)
        chain = chains[index]
        ordered.append(chain[position])
        if position + 1 < len(chain):
            heapq.heappush(
                heap, (soonest[index][position + 1], chain[position + 1].address, index, position + 1)
            )
    return ordered


class PredictionReason(StrEnum):
    REVALIDATION = "revalidation"  # D7: the platform will cut this period 7 minutes before delivery
    BID_TRUNCATION = "bid_truncation"  # D13: fractional kW are cut off
    CAPACITY_MOVE = "capacity_move"  # D16: a bid moves capacity out of the wholesale block


@dataclass(frozen=True)
class Prediction:
    """What the platform will do to a value later: ``requested`` kW becomes ``predicted`` kW."""

    address: str
    time: datetime
    requested: int | float
    predicted: int | float
    reason: PredictionReason
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "time": isoformat_z(self.time),
            "requested": self.requested,
            "predicted": self.predicted,
            "reason": str(self.reason),
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Prediction:
        return cls(
            address=data["address"],
            time=parse_instant(data["time"]),
            requested=data["requested"],
            predicted=data["predicted"],
            reason=PredictionReason(data["reason"]),
            detail=data.get("detail", ""),
        )


@dataclass(frozen=True)
class TargetInfo:
    """Which target a plan was made for. ``config`` is the reconciler.yaml that named it, so
    ``apply PLANFILE`` finds the same target from any folder."""

    name: str
    api_url: str
    organisation: str
    embedded: bool = False
    kind: str = ""
    config: str | None = None
    protected: bool = False  # recorded so apply keeps it; apply never lets the file lift it
    ancillary_api: AncillaryApi = DEFAULT_ANCILLARY_API  # the bid routes its requests use (D18)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "api_url": self.api_url,
            "organisation": self.organisation,
            "embedded": self.embedded,
            "kind": self.kind,
            "config": self.config,
            "protected": self.protected,
            "ancillary_api": str(self.ancillary_api),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TargetInfo:
        return cls(
            data["name"],
            data["api_url"],
            data["organisation"],
            bool(data.get("embedded", False)),
            str(data.get("kind", "")),
            data.get("config"),
            data.get("protected") is True,
            AncillaryApi(data.get("ancillary_api", DEFAULT_ANCILLARY_API)),
        )

    def same_target(self, other: TargetInfo) -> bool:
        """The embedded sandbox lives on a new loopback port each run: it is the same target when
        it has the same name and organisation. Every other target is named by its URL."""
        if self.embedded or other.embedded:
            return (self.embedded, self.name, self.organisation) == (
                other.embedded,
                other.name,
                other.organisation,
            )
        return (self.api_url.rstrip("/"), self.organisation) == (
            other.api_url.rstrip("/"),
            other.organisation,
        )


def day_ranges(days: Sequence[date]) -> list[str]:
    """Days in order, runs of consecutive ones joined: ``2026-11-24–2026-11-26``."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] + timedelta(days=1) == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return [run[0].isoformat() if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs]


WHOLE_RUN = "*"  # the address of errors about the whole run: nothing was planned


@dataclass(frozen=True)
class NotPlanned:
    """An object the plan holds back (an asset, its schedule, one bid product), and why."""

    address: str
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Plan:
    target: TargetInfo
    now: datetime
    changes: tuple[Change, ...]
    diagnostics: tuple[Diagnostic, ...]
    predictions: tuple[Prediction, ...]
    fingerprints: dict[str, str] = field(default_factory=dict)
    drift: tuple[DriftEntry, ...] = ()
    soc: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)  # projected SoC % per asset
    soc_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)  # (lower, upper) % per asset
    selection: tuple[str, ...] = ()  # --only patterns; empty: everything the manifests declare
    recorded_digest: str | None = None  # a saved plan's digest, checked when it was read
    resolutions: tuple[Resolution, ...] = ()  # the selectors resolved, by manifest
    exact_scope: dict[str, tuple[date, ...]] = field(default_factory=dict)  # asset -> days managed whole

    def resolution(self, asset: str) -> Resolution | None:
        return next((r for r in self.resolutions if r.asset == asset), None)

    def scope_text(self, asset: str) -> str | None:
        """``exact on 2026-11-24`` for a schedule in mode exact, else None."""
        days = self.exact_scope.get(asset)
        if days is None:
            return None
        if not days:
            return "exact on no day"
        return "exact on " + ", ".join(day_ranges(days))

    @property
    def expires_at(self) -> datetime | None:
        """The earliest deadline among the changes: after it the plan can't be applied whole."""
        return min((c.deadline for c in self.changes), default=None)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    @property
    def not_planned(self) -> list[NotPlanned]:
        """Every object an error is about, with its messages: the plan holds each back (and
        whatever depends on it); an error about no object holds back everything (:data:`WHOLE_RUN`)."""
        reasons: dict[str, list[str]] = {}
        for d in self.diagnostics:
            if d.is_error:
                reasons.setdefault(d.address or WHOLE_RUN, []).append(d.message)
        return [NotPlanned(address, tuple(found)) for address, found in sorted(reasons.items())]

    @cached_property
    def requests(self) -> Requests:
        """The requests apply sends for :attr:`changes`, each with the changes it carries
        (:func:`reconciler.plan.requests.requests_for`, with the target's ancillary API)."""
        from reconciler.plan.requests import requests_for  # requests builds on this model

        return requests_for(self.changes, self.target.organisation, self.target.ancillary_api)

    @cached_property
    def digest(self) -> str:
        """``sha256:<hex>`` over the plan's canonical JSON (:func:`reconciler.plan.planfile.plan_digest`)."""
        if self.recorded_digest is not None:
            return self.recorded_digest
        from reconciler.plan.planfile import plan_digest  # planfile renders this model

        return plan_digest(self)

    def summary(self) -> dict[str, int]:
        counts = {str(a): 0 for a in Action}
        for change in self.changes:
            counts[str(change.action)] += 1
        return {
            "create": counts["create"],
            "update": counts["update"],
            "delete": counts["delete"],
            "requests": len(self.requests),
            "not_planned": len(self.not_planned),
            "errors": sum(d.severity is Severity.ERROR for d in self.diagnostics),
            "warnings": sum(d.severity is Severity.WARNING for d in self.diagnostics),
            "predictions": len(self.predictions),
        }
