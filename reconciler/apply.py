"""Apply: the only code that writes to a platform.

It makes exactly the writes of a plan, each asset's in its order (what frees wholesale capacity,
then schedules, then what takes capacity; by deadline within each phase) and different assets in
parallel, each write retried by the client within its own deadline. A failure stops the later
writes of the same asset that may depend on the capacity it would have freed, never other
assets'. Afterwards it re-reads what it wrote and reports any difference.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial

from reconciler.core.errors import ReconcilerError
from reconciler.market import Market, parse_instant, parse_product_date_code
from reconciler.plan.fmt import local
from reconciler.plan.model import Change, ChangeKind, Plan, TargetInfo, write_order
from reconciler.platform.client import PlatformClient
from reconciler.platform.errors import (
    APIError,
    CommandTimeout,
    DeadlineExceeded,
    PlatformError,
    TransportError,
)
from reconciler.platform.reading import READ_RETRY_SECONDS, ReadProgress, read_fingerprints
from reconciler.platform.retries import ReadRetries
from reconciler.rules.bids import accepted_capacity
from reconciler.rules.units import normalize


class Status(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    MISSED = "missed"  # its deadline passed before (or while) it could be written
    NOT_ATTEMPTED = "not attempted"


@dataclass(frozen=True)
class Outcome:
    change: Change
    status: Status
    message: str = ""


@dataclass(frozen=True)
class ApplyReport:
    outcomes: tuple[Outcome, ...]
    mismatches: tuple[str, ...]  # what the re-read found different from what was written

    @property
    def ok(self) -> bool:
        return all(o.status is Status.APPLIED for o in self.outcomes) and not self.mismatches


class StalePlanError(ReconcilerError):
    """The saved plan no longer matches the target or live state; nothing was written."""


def check_saved_plan(
    plan: Plan,
    client: PlatformClient,
    target: TargetInfo,
    now: datetime,
    on_read: ReadProgress | None = None,
) -> None:
    """Refuse a saved plan for another target, past its expiry, or whose live objects changed."""
    if not plan.target.same_target(target):
        made_for = plan.target
        raise StalePlanError(
            f"this plan was made for target {made_for.name!r} ({made_for.api_url}, organisation "
            f"{made_for.organisation}), not {target.name!r} ({target.api_url}, organisation "
            f"{target.organisation}); nothing was written"
        )
    if plan.expires_at is not None and now > plan.expires_at:
        raise StalePlanError(
            f"this plan expired at {local(plan.expires_at)} (now {local(now)}): a deadline it "
            "depends on has passed; make a new plan. Nothing was written"
        )
    current = read_fingerprints(client, plan.fingerprints, on_read)
    changed = sorted(key for key, value in plan.fingerprints.items() if current.get(key) != value)
    if changed:
        names = {change.virtual_asset: change.asset for change in plan.changes}

        def named(key: str) -> str:  # "munich-1/afrr/2026-11-24" rather than the asset's UUID
            va_id, _, what = key.partition("/")
            return f"{names.get(va_id, va_id)}/{what}"

        raise StalePlanError(
            "live state changed since this plan was made, so it is stale: "
            + ", ".join(named(key) for key in changed)
            + ". If this plan was applied already, that is the change (`reconciler plan` shows what is"
            " left); otherwise someone else wrote. Make a new plan. Nothing was written"
        )


def apply_changes(
    changes: Sequence[Change],
    client: PlatformClient,
    now: Callable[[], datetime],
    on_progress: Callable[[Outcome], None] | None = None,
) -> ApplyReport:
    """Write in :func:`write_order`: each asset's writes one after another, different assets in
    parallel (at most the client's ``parallelism``; the most urgent assets start first). A write
    that fails stops only the later writes of the same asset that may depend on the capacity it
    would have freed (:func:`may_need`); aFRR energy bids hold no capacity. Outcomes come back
    in write order."""
    ordered = write_order(changes)
    chains: dict[str, list[Change]] = {}  # per asset; insertion order is urgency order
    for change in ordered:
        chains.setdefault(change.virtual_asset, []).append(change)
    run = _Run(client, _DeadlineClock(now(), time.monotonic()), on_progress)
    with ThreadPoolExecutor(max_workers=max(1, min(client.parallelism, len(chains)))) as pool:
        futures = [pool.submit(run.chain, chain) for chain in chains.values()]
        try:
            wait(futures)
        except BaseException:  # Ctrl-C: the writes in flight end, no new one starts
            run.stop.set()
            raise
    outcome_of = {id(o.change): o for future in futures for o in future.result()}
    outcomes = tuple(outcome_of[id(change)] for change in ordered)
    written = [o.change for o in outcomes if o.status is Status.APPLIED]
    reader = client.retrying_reads(ReadRetries(READ_RETRY_SECONDS))  # re-reads ride out faults
    return ApplyReport(outcomes, tuple(verify(written, reader)))


@dataclass(frozen=True)
class _DeadlineClock:
    """Platform time at the start of apply, and the local monotonic clock that measures from it."""

    platform_start: datetime
    monotonic_start: float

    def seconds_left(self, deadline: datetime) -> float:
        elapsed = time.monotonic() - self.monotonic_start
        return (deadline - self.platform_start).total_seconds() - elapsed


class _Run:
    """What the parallel chains of one apply share."""

    def __init__(
        self, client: PlatformClient, clock: _DeadlineClock, on_progress: Callable[[Outcome], None] | None
    ) -> None:
        self.client, self.clock, self.on_progress = client, clock, on_progress
        self.stop = threading.Event()
        self._report_lock = threading.Lock()

    def chain(self, changes: Sequence[Change]) -> list[Outcome]:
        """One asset's writes, in order."""
        failed: list[Change] = []  # its capacity writes that did not apply
        outcomes: list[Outcome] = []
        for change in changes:
            if self.stop.is_set():
                break
            needed = next((f for f in failed if f.phase < change.phase and may_need(change, f)), None)
            if needed is not None:
                outcome = Outcome(
                    change,
                    Status.NOT_ATTEMPTED,
                    f"it may need capacity that {needed.address} would have freed, and that write failed",
                )
            else:
                outcome = self._write(change)
                if outcome.status is not Status.APPLIED and not _holds_no_capacity(change):
                    failed.append(change)
            outcomes.append(outcome)
            if self.on_progress:
                with self._report_lock:
                    self.on_progress(outcome)
        return outcomes

    def _write(self, change: Change) -> Outcome:
        left = self.clock.seconds_left(change.deadline)
        return _write(change, self.client, time.monotonic() + left) if left >= 0 else _missed(change)


def may_need(later: Change, failed: Change) -> bool:
    """Whether ``later`` (a higher phase of the same asset) may have counted on capacity that
    ``failed`` would have freed. A schedule write frees wholesale capacity for a bid only where
    it lowers a period's charge or discharge inside the bid's product window; one that only adds
    power there took room away, so the bid fits the unchanged schedule too (the platform checks
    it anyway). Anything else is assumed to depend."""
    if failed.kind is not ChangeKind.SCHEDULE or later.kind is ChangeKind.SCHEDULE:
        return True
    start, end = parse_product_date_code(later.address.rsplit("/", 1)[1]).window()
    for stamp, after in failed.after.items():
        if start <= parse_instant(stamp) < end:
            before, now = Decimal(str(failed.before.get(stamp, 0))), Decimal(str(after))
            if before and (abs(now) < abs(before) or (now < 0) != (before < 0)):
                return True
    return False


def _holds_no_capacity(change: Change) -> bool:
    if change.kind is not ChangeKind.AFRR_BID:
        return False
    return parse_product_date_code(change.address.rsplit("/", 1)[1]).market is Market.AFRR_ENERGY


def _missed(change: Change) -> Outcome:
    return Outcome(change, Status.MISSED, f"its deadline {local(change.deadline)} passed; not written")


def _write(change: Change, client: PlatformClient, deadline: float) -> Outcome:
    request = change.request
    try:
        client.send_planned(request.method, request.path, request.body, deadline=deadline)
    except CommandTimeout as exc:  # the command's --timeout, not the write's own deadline
        return Outcome(change, Status.FAILED, str(exc))
    except DeadlineExceeded:
        # No re-read here: it would run past the deadline the write just reached.
        return Outcome(
            change,
            Status.MISSED,
            f"its deadline {local(change.deadline)} passed while retrying; not written",
        )
    except APIError as exc:
        return Outcome(change, Status.FAILED, f"the platform refused it: {exc.status} {exc.message}")
    except TransportError as exc:
        # The request may have been processed with only its answer lost: the re-read decides.
        return _after_lost_answer(change, client, exc)
    except PlatformError as exc:
        return Outcome(change, Status.FAILED, str(exc))
    return Outcome(change, Status.APPLIED)


def _after_lost_answer(change: Change, client: PlatformClient, exc: TransportError) -> Outcome:
    try:
        mismatches = _verify_one(change, client)
    except PlatformError as reread:
        return Outcome(
            change, Status.FAILED, f"{exc}; whether it arrived is unknown: the re-read failed ({reread})"
        )
    if not mismatches:
        return Outcome(change, Status.APPLIED, "the answer was lost, but the re-read shows it arrived")
    return Outcome(change, Status.FAILED, f"{exc}; the re-read shows it did not arrive")


def verify(written: Sequence[Change], client: PlatformClient) -> list[str]:
    """Re-read every written object (in parallel, like a plan's reads); describe each value that
    is not what was written."""

    def check(change: Change) -> list[str]:
        try:
            return _verify_one(change, client)
        except PlatformError as exc:
            return [f"{change.address}: could not re-read it ({exc})"]

    return [line for lines in client.gather([partial(check, change) for change in written]) for line in lines]


def _verify_one(change: Change, client: PlatformClient) -> list[str]:
    if change.kind is ChangeKind.SCHEDULE:
        block_id = change.request.path.rsplit("/", 1)[1]
        times = sorted(parse_instant(t) for t in change.after)
        block = client.get_block(change.virtual_asset, block_id, times[0], times[-1])
        return [
            f"{change.address} {t}: wrote {kw} kW, platform shows {block.schedule.get(parse_instant(t))} kW"
            for t, kw in change.after.items()
            if normalize(block.schedule.get(parse_instant(t), Decimal(0))) != normalize(Decimal(str(kw)))
        ]
    code = parse_product_date_code(change.address.rsplit("/", 1)[1])
    live = {p.code: p for p in client.get_bids(change.virtual_asset, code.market, code.day)}
    have = sorted(int(accepted_capacity(b.offered_capacity)) for b in live[code].bids) if code in live else []
    want = sorted(accepted_capacity(Decimal(str(b["offeredCapacity"]))) for b in change.after)
    if have != want:
        return [f"{change.address}: wrote {want or 'no'} bid(s), platform shows {have or 'none'}"]
    return []
