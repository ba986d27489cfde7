"""The plan: what a run will write, what it found, what the platform will do afterwards.

Plain frozen dataclasses with a JSON form that is also the saved plan file
(``schemas/plan.schema.json``, ``format_version`` "1").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from reconciler.core.diagnostics import Diagnostic, Severity
from reconciler.market import isoformat_z, parse_instant
from reconciler.plan.causes import DriftEntry

FORMAT_VERSION = "1"


class ChangeKind(StrEnum):
    SCHEDULE = "schedule"
    FCR_BID = "fcr_bid"
    AFRR_BID = "afrr_bid"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class Request:
    """One HTTP request exactly as apply will send it (path relative to the API base URL)."""

    method: str
    path: str
    body: Any

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body}


@dataclass(frozen=True)
class Change:
    """One write: a PUT of one block's changed periods, or of one product's bids.

    ``before``/``after`` are JSON values: for a schedule ``{time: kW}`` of the changed periods,
    for bids the list of bids. ``phase`` orders writes that depend on each other's capacity
    (0 frees wholesale capacity, 1 schedules, 2 takes capacity); ``deadline`` is when the write
    stops being accepted (earliest gate closure, or the bid deadline).
    """

    address: str
    kind: ChangeKind
    action: Action
    asset: str  # manifest name
    virtual_asset: str
    before: Any
    after: Any
    request: Request
    deadline: datetime
    phase: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": str(self.kind),
            "action": str(self.action),
            "asset": self.asset,
            "virtual_asset": self.virtual_asset,
            "before": self.before,
            "after": self.after,
            "request": self.request.to_json(),
            "deadline": isoformat_z(self.deadline),
            "phase": self.phase,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        req = data["request"]
        return cls(
            address=data["address"],
            kind=ChangeKind(data["kind"]),
            action=Action(data["action"]),
            asset=data["asset"],
            virtual_asset=data["virtual_asset"],
            before=data["before"],
            after=data["after"],
            request=Request(req["method"], req["path"], req["body"]),
            deadline=parse_instant(data["deadline"]),
            phase=int(data.get("phase", 1)),
        )


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
    ordered: list[Change] = []
    while queues:
        asset = min(queues, key=lambda a: (min(c.deadline for c in queues[a]), queues[a][0].address))
        ordered.append(queues[asset].pop(0))
        if not queues[asset]:
            del queues[asset]
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

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "api_url": self.api_url,
            "organisation": self.organisation,
            "embedded": self.embedded,
            "kind": self.kind,
            "config": self.config,
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

    @property
    def expires_at(self) -> datetime | None:
        """The earliest deadline among the changes: after it the plan can't be applied whole."""
        return min((c.deadline for c in self.changes), default=None)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def summary(self) -> dict[str, int]:
        counts = {str(a): 0 for a in Action}
        for change in self.changes:
            counts[str(change.action)] += 1
        return {
            "create": counts["create"],
            "update": counts["update"],
            "delete": counts["delete"],
            "requests": len(self.changes),
            "errors": sum(d.severity is Severity.ERROR for d in self.diagnostics),
            "warnings": sum(d.severity is Severity.WARNING for d in self.diagnostics),
            "predictions": len(self.predictions),
        }
