"""Drift for people: grouped by cause and asset, runs of periods merged, what it means for the trader."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from reconciler.market import PERIOD, Market, PeriodState, ProductDateCode
from reconciler.plan.causes import Cause, DriftEntry, state_name
from reconciler.plan.fmt import fmt_kw, local

MEANING = {
    Cause.REVALIDATION: "The platform cut these periods at re-validation (7 minutes before delivery) to keep the "
    "state of charge within its bounds; it nominates the live value.",
    Cause.UNAVAILABILITY: "An unavailability left less power than scheduled, so the platform clipped these periods "
    "(you are compensated); it nominates the live value.",
    Cause.AUCTION_RESULT: "The auction accepted less than offered; for FCR and aFRR capacity products the rest "
    "went back to the wholesale block and can be traded there.",
    Cause.OUT_OF_BAND: "Nothing on the platform explains these: they were changed outside reconciler, or the "
    "manifests were never applied. Each line says whether `reconciler apply` can still write it.",
}
TITLES = {
    Cause.REVALIDATION: "Re-validation corrections",
    Cause.UNAVAILABILITY: "Unavailability clipping",
    Cause.AUCTION_RESULT: "Auction results",
    Cause.OUT_OF_BAND: "Changed outside reconciler, or not applied",
}


@dataclass(frozen=True)
class DriftRun:
    address: str
    start: datetime
    end: datetime
    desired: int | float
    live: int | float
    cause: Cause
    detail: str
    product: ProductDateCode | None  # None: a run of schedule periods
    state: PeriodState
    writable: bool

    @property
    def is_schedule(self) -> bool:
        return self.product is None

    def describe(self) -> str:
        if not self.is_schedule:
            return self._describe_bid()
        single = self.end - self.start == PERIOD
        when = local(self.start) if single else f"{local(self.start)}–{local(self.end, with_date=False)}"
        times = local(self.start, with_date=False)
        if not single:
            times = f"every quarter-hour {times}–{local(self.end, with_date=False)}"
        nominate = f"the platform will nominate {fmt_kw(self.live)} for {times}"
        if self.cause is not Cause.OUT_OF_BAND:
            then = f"{nominate}; close your position or accept the imbalance"
        elif self.writable:
            then = (
                f"{nominate} unless `reconciler apply` writes {fmt_kw(self.desired)} back before gate closure"
            )
        elif self.state is PeriodState.FROZEN:
            then = f"the platform nominates {fmt_kw(self.live)} for {times}: frozen since its gate closure, no write can change it"
        else:
            then = (
                f"{nominate}: soft-locked since its re-validation, so apply no longer writes it; close your "
                "position or accept the imbalance"
            )
        return f"{self.address} {when}: desired {fmt_kw(self.desired)}, live {fmt_kw(self.live)} — {self.detail}; {then}"

    def _describe_bid(self) -> str:
        code = self.product
        assert code is not None
        head = f"{self.address}: offered {fmt_kw(self.desired)}"
        if self.cause is not Cause.AUCTION_RESULT:
            can = "`reconciler apply` can still write it" if self.writable else "apply will not write it"
            return f"{head}, live {fmt_kw(self.live)} — {self.detail}; {can} ({state_name(self.state)})"
        if code.market is Market.AFRR_ENERGY:
            return f"{head}, accepted {fmt_kw(self.live)} — {self.detail}"
        start, end = code.window()
        returned = Decimal(str(self.desired)) - Decimal(str(self.live))
        window = f"{local(start)}–{local(end, with_date=False)}"
        return (
            f"{head}, accepted {fmt_kw(self.live)} — {self.detail}; {fmt_kw(returned)} of wholesale capacity "
            f"is free again {window}: trade it or leave it idle"
        )


def merge_runs(entries: Sequence[DriftEntry]) -> list[DriftRun]:
    runs: list[DriftRun] = []
    for e in sorted(entries, key=lambda e: (e.address, e.time)):
        schedule = e.product is None
        last = runs[-1] if runs else None
        if (
            schedule
            and last is not None
            and last.is_schedule
            and last.address == e.address
            and last.end == e.time
            and (last.desired, last.live, last.cause, last.detail, last.state, last.writable)
            == (e.desired, e.live, e.cause, e.detail, e.state, e.writable)
        ):
            runs[-1] = replace(last, end=e.time + PERIOD)
        else:
            runs.append(
                DriftRun(
                    e.address,
                    e.time,
                    e.time + PERIOD,
                    e.desired,
                    e.live,
                    e.cause,
                    e.detail,
                    e.product,
                    e.state,
                    e.writable,
                )
            )
    return runs


def grouped(entries: Sequence[DriftEntry]) -> dict[Cause, dict[str, list[DriftRun]]]:
    by_cause: dict[Cause, dict[str, list[DriftEntry]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        by_cause[entry.cause][entry.asset].append(entry)
    return {
        cause: {asset: merge_runs(items) for asset, items in sorted(by_cause[cause].items())}
        for cause in Cause
        if cause in by_cause
    }


def render_drift_text(entries: Sequence[DriftEntry], heading: str = "Drift") -> list[str]:
    if not entries:
        return []
    lines = [f"{heading} ({len(entries)} difference{'s' if len(entries) != 1 else ''}):"]
    for cause, assets in grouped(entries).items():
        lines.append(f"  {TITLES[cause]} [{cause}]: {MEANING[cause]}")
        for runs in assets.values():
            lines += [f"    {run.describe()}" for run in runs]
    return lines


def render_drift_markdown(entries: Sequence[DriftEntry], heading: str = "Drift") -> list[str]:
    if not entries:
        return []
    lines = [f"#### {heading}", ""]
    for cause, assets in grouped(entries).items():
        lines += [f"**{TITLES[cause]}** (`{cause}`): {MEANING[cause]}", ""]
        for asset, runs in assets.items():
            lines.append(f"- **{asset}**")
            lines += [f"  - {run.describe()}" for run in runs]
        lines.append("")
    return lines
