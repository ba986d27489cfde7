"""Apply: the only code that writes to a platform.

Each request is derived from the plan's changes (:func:`reconciler.plan.requests.requests_for`,
with the client's ancillary API: one request per change, or an asset's bids of one market group
and capacity phase in one POST, D18), never taken from a file. It makes exactly the writes of a plan, each asset's in its order (what frees wholesale capacity,
then schedules, then what takes capacity; by deadline within each phase) and different assets in
parallel, each write retried by the client within its own deadline. A failure stops the later
writes of the same asset that may depend on the capacity it would have freed, never other
assets'. Afterwards it re-reads what it wrote and reports any difference.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any

from reconciler.core.errors import ReconcilerError
from reconciler.market import (
    DEFAULT_MARKET_TIMES,
    MarketTimes,
    ProductDateCode,
    bid_deadline,
    editable_until,
    isoformat_z,
)
from reconciler.plan.fmt import fmt_kw, local
from reconciler.plan.model import BidChange, Change, Plan, ScheduleChange, TargetInfo, write_order
from reconciler.plan.requests import Request, requests_for, written_bids, written_block
from reconciler.plan.resolve import changed_resolutions, listing_window, recorded_windows
from reconciler.platform import reading
from reconciler.platform.assets import read_asset_list
from reconciler.platform.client import PlatformClient
from reconciler.platform.errors import (
    APIError,
    CommandTimeout,
    DeadlineExceeded,
    NotFoundError,
    PlatformError,
    TransportError,
)
from reconciler.platform.models import ProductBids, VirtualAsset
from reconciler.platform.reading import ReadProgress, read_fingerprints
from reconciler.platform.retries import ReadRetries
from reconciler.platform.session import Attempts
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
    message: str = ""  # why it was not applied, or how an applied write was confirmed
    attempts: int = 0  # times its request was sent (0: never sent)
    answer: Any = field(default=None, repr=False, compare=False)  # the platform's answer to the write


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
    times: MarketTimes = DEFAULT_MARKET_TIMES,
) -> None:
    """Refuse a plan for another target, one whose changes are not what live state and the market
    calendar give (block, deadlines; ``times`` the target's D14 times), one past its expiry, or
    one whose live objects changed."""
    if not plan.target.same_target(target):
        made_for = plan.target
        raise StalePlanError(
            f"this plan was made for target {made_for.name!r} ({made_for.api_url}, organisation "
            f"{made_for.organisation}), not {target.name!r} ({target.api_url}, organisation "
            f"{target.organisation}); nothing was written"
        )
    _check_resolutions(plan, client, now)
    deadlines = _rederived_deadlines(plan.changes, client, times)
    expires = min(deadlines, default=None)
    if expires is not None and now > expires:
        raise StalePlanError(
            f"this plan expired at {local(expires)} (now {local(now)}): a deadline it "
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


def _check_resolutions(plan: Plan, client: PlatformClient, now: datetime) -> None:
    """Each selector the plan resolved must name the same day and asset now (``today`` after
    midnight is another day, and another asset)."""
    window = listing_window(recorded_windows(plan.resolutions, now))
    if window is None:
        return
    listing = read_asset_list(client, *window)
    if isinstance(listing, str):
        raise StalePlanError(
            f"the list of virtual assets could not be read to check the plan's selectors ({listing}); "
            "nothing was written"
        )
    changed = changed_resolutions(plan.resolutions, listing, now)
    if changed:
        raise StalePlanError(
            "the plan's selectors would now resolve differently, so it is stale: "
            + "; ".join(changed)
            + ". Make a new plan. Nothing was written"
        )


def _rederived_deadlines(
    changes: Sequence[Change], client: PlatformClient, times: MarketTimes
) -> list[datetime]:
    """Each change's deadline from live state and the market calendar, never from the plan: a
    schedule's from its earliest period and the asset's gate closure as read now, a bid's from
    the calendar (D14). A schedule change must write the asset's wholesale block as read now."""
    va_ids = sorted({c.virtual_asset for c in changes if isinstance(c, ScheduleChange)})

    def read(va_id: str) -> VirtualAsset | None:
        try:
            return client.get_virtual_asset(va_id)
        except NotFoundError:
            return None

    vas = dict(zip(va_ids, client.gather([partial(read, va_id) for va_id in va_ids]), strict=True))
    deadlines: list[datetime] = []
    for change in changes:
        if isinstance(change, BidChange):
            deadline = bid_deadline(change.product, times)
        else:
            va = vas[change.virtual_asset]
            if va is None:
                raise StalePlanError(
                    f"{change.address}: virtual asset {change.virtual_asset} no longer exists; nothing was written"
                )
            if change.block != va.wholesale_block_id:
                raise StalePlanError(
                    f"{change.address}: the plan writes block {change.block}, but the asset's wholesale block "
                    f"is {va.wholesale_block_id}; the whole plan is refused and nothing was written"
                )
            deadline = editable_until(min(change.after), va.dispatch_gate_closure_seconds)
        if deadline != change.deadline:
            raise StalePlanError(
                f"{change.address}: the plan records the deadline {local(change.deadline)}, but it is "
                f"{local(deadline)}; the whole plan is refused and nothing was written"
            )
        deadlines.append(deadline)
    return deadlines


def apply_changes(
    changes: Sequence[Change],
    client: PlatformClient,
    now: Callable[[], datetime],
    on_progress: Callable[[Outcome], None] | None = None,
) -> ApplyReport:
    """Write in :func:`write_order`: each asset's writes one after another, different assets in
    parallel (at most the client's ``parallelism``; the most urgent assets start first). Each
    request is derived from its changes (:func:`reconciler.plan.requests.requests_for`). A write
    that fails stops only the later writes of the same asset that may depend on the capacity it
    would have freed (:func:`may_need`); aFRR energy bids hold no capacity. Outcomes come back
    in write order."""
    ordered = write_order(changes)
    chains: dict[str, list[Write]] = {}  # per asset; insertion order is urgency order
    for request, carried in requests_for(ordered, client.organisation, client.ancillary_api):
        chains.setdefault(carried[0].virtual_asset, []).append(Write(request, carried))
    run = _Run(client, _DeadlineClock(now(), time.monotonic()), on_progress)
    with ThreadPoolExecutor(max_workers=max(1, min(client.parallelism, len(chains)))) as pool:
        futures = [pool.submit(run.chain, chain) for chain in chains.values()]
        try:
            wait(futures)
        except BaseException:  # Ctrl-C: the writes in flight end, no new one starts
            run.stop.set()
            raise
    outcome_of = {id(o.change): o for future in futures for o in future.result()}
    outcomes = tuple(outcome_of[id(change)] for change in ordered if id(change) in outcome_of)
    written = [o for o in outcomes if o.status is Status.APPLIED]
    reader = client.retrying_reads(ReadRetries(reading.READ_RETRY_SECONDS))  # re-reads ride out faults
    return ApplyReport(outcomes, tuple(verify(written, reader)))


@dataclass(frozen=True)
class Write:
    """One request and the changes it makes."""

    request: Request
    changes: tuple[Change, ...]

    @property
    def deadline(self) -> datetime:
        return min(c.deadline for c in self.changes)


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

    def chain(self, writes: Sequence[Write]) -> list[Outcome]:
        """One asset's writes, in order."""
        failed: list[Change] = []  # its capacity writes that did not apply
        outcomes: list[Outcome] = []
        for write in writes:
            if self.stop.is_set():
                break
            needed = next(
                (f for f in failed for c in write.changes if f.phase < c.phase and may_need(c, f)), None
            )
            if needed is not None:
                message = (
                    f"it may need capacity that {needed.address} would have freed, and that write failed"
                )
                done = [Outcome(c, Status.NOT_ATTEMPTED, message) for c in write.changes]
            else:
                done = self._write(write)
                failed += [
                    o.change for o in done if o.status is not Status.APPLIED and _holds_capacity(o.change)
                ]
            outcomes += done
            if self.on_progress:
                with self._report_lock:
                    for outcome in done:
                        self.on_progress(outcome)
        return outcomes

    def _write(self, write: Write) -> list[Outcome]:
        left = self.clock.seconds_left(write.deadline)
        if left < 0:
            return [_missed(c) for c in write.changes]
        return _send(write, self.client, time.monotonic() + left)


def may_need(later: Change, failed: Change) -> bool:
    """Whether ``later`` (a higher phase of the same asset) may have counted on capacity that
    ``failed`` would have freed. A schedule write frees wholesale capacity for a bid only where
    it lowers a period's charge or discharge inside the bid's product window; one that only adds
    power there took room away, so the bid fits the unchanged schedule too (the platform checks
    it anyway). Anything else is assumed to depend."""
    if not isinstance(failed, ScheduleChange) or not isinstance(later, BidChange):
        return True
    start, end = later.product.window()
    for period, now in failed.after.items():
        if start <= period < end:
            before = failed.before.get(period, Decimal(0))
            if before and (abs(now) < abs(before) or (now < 0) != (before < 0)):
                return True
    return False


def _holds_capacity(change: Change) -> bool:
    return not isinstance(change, BidChange) or change.holds_capacity


def _missed(change: Change) -> Outcome:
    return Outcome(change, Status.MISSED, f"its deadline {local(change.deadline)} passed; not written")


def _send(write: Write, client: PlatformClient, deadline: float) -> list[Outcome]:
    request = write.request
    attempts = Attempts()

    def each(status: Status, message: str = "") -> list[Outcome]:
        return [Outcome(c, status, message, attempts.count) for c in write.changes]

    try:
        answer = client.send_planned(
            request.method,
            request.path,
            request.body,
            deadline=deadline,
            retryable=request.retryable,
            attempts=attempts,
        )
    except CommandTimeout as exc:  # the command's --timeout, not the write's own deadline
        return each(Status.FAILED, str(exc))
    except DeadlineExceeded:
        # No re-read here: it would run past the deadline the write just reached.
        return [
            Outcome(
                c,
                Status.MISSED,
                f"its deadline {local(c.deadline)} passed while retrying; not written",
                attempts.count,
            )
            for c in write.changes
        ]
    except APIError as exc:
        return each(Status.FAILED, f"the platform refused it: {exc.status} {exc.message}")
    except TransportError as exc:
        # The request may have been processed with only its answer lost: the re-read decides.
        return [replace(_after_lost_answer(c, client, exc), attempts=attempts.count) for c in write.changes]
    except PlatformError as exc:
        return each(Status.FAILED, str(exc))
    return [Outcome(c, Status.APPLIED, "", attempts.count, answer) for c in write.changes]


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


# -- apply --format json (schemas/apply.schema.json) -------------------------------------------

FORMAT_VERSION = "1"


def apply_json(
    report: ApplyReport | None,
    plan: Plan | None,
    target: TargetInfo | None,
    now: datetime | None,
    refused: str | None = None,
) -> dict[str, Any]:
    """What apply did, for scripts: each write with its status, attempts and error, what the
    re-read found different, and what the plan held back and why. ``report`` None: nothing was
    written (nothing to apply, or ``refused`` says why not)."""
    outcomes = report.outcomes if report is not None else ()
    held = plan.not_planned if plan is not None else ()
    counts = {status.name.lower(): sum(o.status is status for o in outcomes) for status in Status}
    return {
        "format_version": FORMAT_VERSION,
        "target": target.to_json() if target is not None else None,
        "plan_digest": plan.digest if plan is not None else None,
        "now": isoformat_z(now) if now is not None else None,
        "refused": refused,
        "ok": refused is None and (report is None or report.ok) and not held,
        "summary": {**counts, "held_back": len(held)},
        "writes": [_outcome_json(o) for o in outcomes],
        "reread_mismatches": list(report.mismatches) if report is not None else [],
        "held_back": [n.to_json() for n in held],
    }


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    change, applied = outcome.change, outcome.status is Status.APPLIED
    return {
        "address": change.address,
        "kind": str(change.kind),
        "action": str(change.action),
        "status": outcome.status.name.lower(),
        "attempts": outcome.attempts,
        "error": None if applied else outcome.message,
        "note": (outcome.message or None) if applied else None,
        "deadline": isoformat_z(change.deadline),
    }


def verify(written: Sequence[Outcome], client: PlatformClient) -> list[str]:
    """Check every written object against the platform's answer to its write where that answer
    holds all of it (a bid write answers with the products' bids; a schedule write with the block
    over its default window), else re-read it (in parallel, like a plan's reads); describe each
    value that is not what was written."""

    def check(outcome: Outcome) -> list[str]:
        change = outcome.change
        try:
            return _verify_one(change, client)
        except PlatformError as exc:
            return [f"{change.address}: could not re-read it ({exc})"]

    answered = [(o, _verify_from_answer(o)) for o in written]
    rereads = [partial(check, o) for o, found in answered if found is None]
    reread = iter(client.gather(rereads))
    return [line for _, found in answered for line in (next(reread) if found is None else found)]


def _verify_from_answer(outcome: Outcome) -> list[str] | None:
    """:func:`_verify_one` against the write's own answer; None when the answer does not show
    all of the change (or is not the documented shape): then it is re-read."""
    change, answer = outcome.change, outcome.answer
    if answer is None:
        return None
    try:
        if isinstance(change, ScheduleChange):
            block = written_block(answer)
            if block.id != change.block or not all(t in block.schedule for t in change.after):
                return None
            return _schedule_mismatches(change, block.schedule)
        live = {p.code: p for p in written_bids(answer)}
    except PlatformError:
        return None
    return _bid_mismatches(change, live) if change.product in live else None


def _verify_one(change: Change, client: PlatformClient) -> list[str]:
    if isinstance(change, ScheduleChange):
        times = sorted(change.after)
        block = client.get_block(change.virtual_asset, change.block, times[0], times[-1])
        return _schedule_mismatches(change, block.schedule)
    code = change.product
    return _bid_mismatches(
        change, {p.code: p for p in client.get_bids(change.virtual_asset, code.market, code.day)}
    )


def _schedule_mismatches(change: ScheduleChange, schedule: Mapping[datetime, Decimal]) -> list[str]:
    return [
        f"{change.address} {isoformat_z(t)}: wrote {fmt_kw(kw)}, platform shows "
        f"{fmt_kw(schedule.get(t, Decimal(0)))}"
        for t, kw in sorted(change.after.items())
        if normalize(schedule.get(t, Decimal(0))) != normalize(kw)
    ]


def _bid_mismatches(change: BidChange, live: Mapping[ProductDateCode, ProductBids]) -> list[str]:
    code = change.product
    have = sorted(accepted_capacity(b.offered_capacity) for b in live[code].bids) if code in live else []
    want = sorted(accepted_capacity(b.offered_capacity) for b in change.after)
    if have != want:
        return [f"{change.address}: wrote {want or 'no'} bid(s), platform shows {have or 'none'}"]
    return []
