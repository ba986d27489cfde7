"""From one reading of live state to the events it implies: a pure function of the manifests,
the live state, the plan made from them and ``now``.

Schedule differences are found per period (one identity each) and, once the loop has dropped
those already told, merged into runs of equal values: a re-validation that cuts one period is one
``correction``; an out-of-band write of two hours is one ``out_of_band``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from reconciler.drift.find import find_drift
from reconciler.manifest import Manifest
from reconciler.market import DEADLINE_MARGIN, PERIOD, Market, bid_deadline, isoformat_z, period_state
from reconciler.plan.causes import Cause, DriftEntry, state_name
from reconciler.plan.fmt import Run, fmt_energy, fmt_kw, local
from reconciler.plan.model import Plan
from reconciler.plan.results import summarise_result
from reconciler.platform.live import LiveAsset, LiveState
from reconciler.platform.models import ProductResults
from reconciler.rules.units import json_number
from reconciler.watch.events import Event, EventKind

CAUSE_WORDS = {
    Cause.REVALIDATION: "re-validation",
    Cause.UNAVAILABILITY: "an unavailability",
}


@dataclass(frozen=True)
class PeriodFinding:
    """One wholesale period whose live power differs from the manifest."""

    kind: EventKind  # correction or out_of_band
    entry: DriftEntry
    state: str  # editable, soft_locked or frozen at the time it was seen (drift's names)

    @property
    def key(self) -> tuple[str, ...]:
        e = self.entry
        return (str(self.kind), e.address, isoformat_z(e.time), str(e.desired), str(e.live), e.reason)

    def joins(self, other: PeriodFinding) -> bool:
        """``other`` is the next period of the same run (same address, values, cause and state)."""
        a, b = self.entry, other.entry
        return (
            self.kind == other.kind
            and a.address == b.address
            and a.time + PERIOD == b.time
            and (a.desired, a.live, a.reason, self.state) == (b.desired, b.live, b.reason, other.state)
        )


@dataclass(frozen=True)
class Observation:
    periods: list[PeriodFinding]
    events: list[Event]  # bids, results, deadlines: one event each
    open_drift: dict[str, dict[str, int]]  # asset -> cause -> differences
    next_deadline: dict[str, datetime]  # asset -> earliest deadline still open


def observe(manifests: Sequence[Manifest], live: LiveState, now: datetime, plan: Plan) -> Observation:
    drift = find_drift(manifests, live, now)
    periods: list[PeriodFinding] = []
    events: list[Event] = []
    open_drift: dict[str, dict[str, int]] = {m.name: {} for m in manifests if m.virtual_asset in live.assets}
    by_name = {m.name: m for m in manifests}
    for entry in drift:
        counts = open_drift.setdefault(entry.asset, {})
        counts[str(entry.cause)] = counts.get(str(entry.cause), 0) + 1
        if entry.cause is Cause.AUCTION_RESULT:
            continue  # told from the results themselves, below
        if entry.address.endswith("/wholesale"):
            gate = live.assets[by_name[entry.asset].virtual_asset].va.dispatch_gate_closure_seconds
            kind = EventKind.OUT_OF_BAND if entry.cause is Cause.OUT_OF_BAND else EventKind.CORRECTION
            state = state_name(period_state(entry.time, now, gate))
            periods.append(PeriodFinding(kind, entry, state))
        else:
            events.append(_bid_out_of_band(entry, now))
    for manifest in manifests:
        if (found := live.assets.get(manifest.virtual_asset)) is not None:
            events += _results(manifest, found, now)
    events += _deadlines(plan, now)
    return Observation(periods, events, open_drift, _next_deadlines(manifests, live, plan, now))


def period_events(findings: Iterable[PeriodFinding], now: datetime) -> list[Event]:
    """Merge findings (already filtered to the new ones) into runs, one event per run."""
    ordered = sorted(findings, key=lambda f: (f.entry.address, f.kind, f.entry.time))
    runs: list[list[PeriodFinding]] = []
    for finding in ordered:
        if runs and runs[-1][-1].joins(finding):
            runs[-1].append(finding)
        else:
            runs.append([finding])
    return [_period_event(run, now) for run in runs]


def _period_event(run: list[PeriodFinding], now: datetime) -> Event:
    first = run[0]
    e = first.entry
    span = Run(e.time, run[-1].entry.time + PERIOD, Decimal(str(e.desired)), Decimal(str(e.live)))
    writable = first.state == "editable"
    details = {
        "period": isoformat_z(span.start),
        "period_end": isoformat_z(span.end),
        "periods": len(run),
        "requested_kw": e.desired,
        "live_kw": e.live,
        "energy_delta_kwh": json_number(span.energy_delta_kwh),
        "cause": str(e.cause),
        "reason": e.reason,
        "period_state": first.state,
        "writable": writable,
    }
    signed = ("+" if span.energy_delta_kwh > 0 else "") + fmt_energy(span.energy_delta_kwh)
    if first.kind is EventKind.CORRECTION:
        details["corrected_kw"] = e.live
        tail = (
            "still editable"
            if writable
            else f"{first.state}: it can no longer be written; close the position or accept the imbalance"
        )
        text = (
            f"{e.address} {span.label()}: {CAUSE_WORDS.get(e.cause, str(e.cause))} cut "
            f"{fmt_kw(e.desired)} to {fmt_kw(e.live)} ({signed}); {tail}"
        )
    else:
        text = (
            f"{e.address} {span.label()}: live {fmt_kw(e.live)}, manifest {fmt_kw(e.desired)} ({signed}); "
            f"{e.detail}"
        )
    return Event(first.kind, now, text, e.asset, e.address, details, first.key)


def _bid_out_of_band(entry: DriftEntry, now: datetime) -> Event:
    details = {
        "period": isoformat_z(entry.time),
        "requested_kw": entry.desired,
        "live_kw": entry.live,
        "cause": str(entry.cause),
        "reason": entry.reason,
    }
    text = f"{entry.address}: live {fmt_kw(entry.live)}, manifest {fmt_kw(entry.desired)}; {entry.detail}"
    key = (str(EventKind.OUT_OF_BAND), entry.address, str(entry.desired), str(entry.live), entry.reason)
    return Event(EventKind.OUT_OF_BAND, now, text, entry.asset, entry.address, details, key)


def _results(manifest: Manifest, asset: LiveAsset, now: datetime) -> list[Event]:
    events = []
    for bid in manifest.bids:
        published = asset.results.get(bid.code)
        if published is not None and published.results:
            events.append(_result_event(manifest, published, now))
    return events


def _result_event(manifest: Manifest, published: ProductResults, now: datetime) -> Event:
    result = summarise_result(published)
    code = result.code
    address = f"{manifest.name}/{'fcr' if code.market is Market.FCR else 'afrr'}/{code}"
    revenue = result.revenue
    price = (
        f" at {result.price_field} {json_number(result.price)} {result.price_unit}"
        if result.price is not None
        else ""
    )
    money = (
        f"revenue {json_number(revenue.eur)} EUR" if revenue.eur is not None else f"revenue {revenue.basis}"
    )
    text = (
        f"{address}: {result.outcome.replace('_', ' ')}, {fmt_kw(result.accepted_kw)} of "
        f"{fmt_kw(result.offered_kw)}{price}; {money}"
    )
    details = {
        "product_date_code": str(code),
        "market": str(code.market),
        "outcome": result.outcome,
        "offered_kw": result.offered_kw,
        "accepted_kw": result.accepted_kw,
        "price": json_number(result.price) if result.price is not None else None,
        "price_field": result.price_field,
        "revenue_eur": json_number(revenue.eur) if revenue.eur is not None else None,
        "revenue_basis": revenue.basis,
    }
    key = (str(EventKind.AUCTION_RESULT), address, str(result.accepted_kw), str(result.price))
    return Event(EventKind.AUCTION_RESULT, now, text, manifest.name, address, details, key)


def _deadlines(plan: Plan, now: datetime) -> list[Event]:
    events = []
    for change in plan.changes:
        left = change.deadline - now
        if left < timedelta(0) or left > DEADLINE_MARGIN:
            continue
        minutes = int(left.total_seconds() // 60)
        text = (
            f"{change.address}: a planned {change.action} is not applied yet; its deadline "
            f"{local(change.deadline)} is in {minutes} min (run reconciler apply)"
        )
        details = {
            "change_kind": str(change.kind),
            "action": str(change.action),
            "deadline": isoformat_z(change.deadline),
            "seconds_left": int(left.total_seconds()),
        }
        key = (str(EventKind.DEADLINE_NEAR), change.address, isoformat_z(change.deadline))
        events.append(Event(EventKind.DEADLINE_NEAR, now, text, change.asset, change.address, details, key))
    return events


def _next_deadlines(
    manifests: Sequence[Manifest], live: LiveState, plan: Plan, now: datetime
) -> dict[str, datetime]:
    """Per asset: the earliest deadline of a change not applied yet, or of a managed bid still open."""
    found: dict[str, datetime] = {}

    def consider(asset: str, moment: datetime) -> None:
        if moment >= now and (asset not in found or moment < found[asset]):
            found[asset] = moment

    for change in plan.changes:
        consider(change.asset, change.deadline)
    for manifest in manifests:
        if manifest.virtual_asset in live.assets:
            for bid in manifest.bids:
                consider(manifest.name, bid_deadline(bid.code))
    return found
