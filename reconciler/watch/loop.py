"""The watch loop: read live state at every moment that can change it, emit what is new.

One :meth:`Watcher.cycle` reloads the manifests (keeping the last valid ones), reads live state
with the same reads as ``plan``, plans (to know what is not applied yet), observes, and emits each
event whose identity it has not emitted before. :meth:`Watcher.run` repeats cycles until told to
stop: just after each wake moment (:mod:`reconciler.watch.moments`) by the target's clock, and
otherwise every ``interval`` seconds of wall time; after a failed cycle it waits a backoff that
doubles up to :data:`MAX_BACKOFF_S`. watch never writes to the platform.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reconciler.core.diagnostics import sort_key
from reconciler.core.errors import ReconcilerError
from reconciler.manifest import Manifest, load_manifests
from reconciler.plan.build import make_plan
from reconciler.plan.fmt import local
from reconciler.plan.model import TargetInfo
from reconciler.plan.reads import read_scopes
from reconciler.plan.resolve import duplicate_assets, listing_window, resolve_selectors, selector_windows
from reconciler.platform.assets import read_asset_list
from reconciler.platform.errors import PlatformError
from reconciler.platform.reading import read_live
from reconciler.project.targets import Connection
from reconciler.watch.events import Event, manifest_invalid, read_failed
from reconciler.watch.moments import WAKE_LAG, next_wake
from reconciler.watch.observe import observe, period_events
from reconciler.watch.output import Outputs

CLOCK_POLL_S = 0.25  # how often an emulator's clock is read: tests and rehearsals move it by jumps
MAX_BACKOFF_S = 60.0
MAX_PAUSE_S = 30.0  # a real platform's clock is the system's: the loop sleeps, but wakes this often


@dataclass
class Cycle:
    ok: bool  # live state was read (an asset that is missing does not make it fail)
    events: list[Event] = field(default_factory=list)
    next_wake: datetime | None = None


class Watcher:
    def __init__(
        self,
        paths: Sequence[Path],
        manifests: Sequence[Manifest],
        connection: Connection,
        target: TargetInfo,
        outputs: Outputs,
        *,
        interval: float,
        emulated: bool,
    ) -> None:
        self.paths = list(paths)
        self.manifests = tuple(manifests)
        self.connection = connection
        self.target = target
        self.outputs = outputs
        self.interval = interval
        self.emulated = emulated  # the target's clock is not the system's: poll it
        self.failures = 0  # consecutive failed cycles
        self._seen: set[tuple[str, ...]] = set()
        self._failing: dict[str, str] = {}  # asset or "*" -> the message already told
        self._invalid: tuple[str, ...] | None = None

    # -- one cycle ------------------------------------------------------------------------------

    def cycle(self) -> Cycle:
        try:
            now = self.connection.now()
        except PlatformError as exc:
            return self._failed(datetime.now(UTC), exc.message)
        self.outputs.last_now = now
        events = self._reload(now)
        try:
            manifests = self._resolve(now, events)
            times = self.connection.market_times
            live = read_live(self.connection.client, read_scopes(manifests), now, times=times)
        except ReconcilerError as exc:
            return self._failed(now, str(exc), events)
        if live.failed and not live.assets and not live.missing:  # nothing could be read: the platform
            return self._failed(now, next(iter(live.failed.values())), events)
        self.failures = 0
        self._failing.pop("*", None)
        by_id = {m.virtual_asset: m.name for m in manifests}
        for va_id, message in live.missing.items():
            self._tell_failing(
                now,
                by_id[va_id],
                f"virtual asset {va_id} {message} in organisation {self.target.organisation}",
                events,
            )
        for va_id, message in live.failed.items():  # a read that kept failing blocks only its asset
            self._tell_failing(
                now, by_id[va_id], f"live state of virtual asset {va_id} could not be read: {message}", events
            )
        read_ok = [by_id[va_id] for va_id in live.assets]
        for asset in read_ok:
            self._failing.pop(asset, None)

        plan = make_plan(manifests, live, now, self.target)
        observation = observe(manifests, live, now, plan)
        new_periods = [p for p in observation.periods if p.key not in self._seen]
        self._seen.update(p.key for p in new_periods)
        events += period_events(new_periods, now)
        for event in observation.events:
            if event.key not in self._seen:
                self._seen.add(event.key)
                events.append(event)

        metrics = self.outputs.metrics
        if metrics is not None:
            metrics.count_cycle(True)
            metrics.record_reads(read_ok, time.time())
            metrics.record_state(observation.open_drift, observation.next_deadline)
        for event in events:
            self.outputs.emit(event)
        return Cycle(True, events, next_wake(manifests, live, now))

    def _tell_failing(self, now: datetime, asset: str, text: str, events: list[Event]) -> None:
        """A ``read_failed`` event for one asset, once per message."""
        if self._failing.get(asset) != text:
            self._failing[asset] = text
            events.append(read_failed(now, asset, text, None))

    def _resolve(self, now: datetime, events: list[Event]) -> tuple[Manifest, ...]:
        """The manifests with their selectors resolved at ``now`` (one read of the asset list);
        one that names no asset or several, or another manifest's asset, is left out of this
        cycle with a ``read_failed`` event."""
        window = listing_window(selector_windows(self.manifests, now))
        listing = [] if window is None else read_asset_list(self.connection.client, *window)
        resolved = resolve_selectors(self.manifests, listing, now)
        duplicates = duplicate_assets(resolved.manifests)
        for diagnostic in [*resolved.diagnostics, *duplicates]:
            self._tell_failing(now, diagnostic.address or "*", diagnostic.message, events)
        left_out = {d.address for d in duplicates}
        return tuple(m for m in resolved.manifests if m.name not in left_out)

    def _reload(self, now: datetime) -> list[Event]:
        """Load the manifests again; on errors keep the last valid ones and say what is wrong."""
        try:
            result = load_manifests(self.paths)
        except ReconcilerError as exc:
            problems: tuple[str, ...] = (str(exc),)
        else:
            if result.ok and result.manifests:
                self.manifests = result.manifests
                self._invalid = None
                return []
            errors = sorted((d for d in result.diagnostics if d.is_error), key=sort_key)
            problems = tuple(d.render().replace("\n    ", "; ") for d in errors) or ("no manifest found",)
        if problems == self._invalid:
            return []
        self._invalid = problems
        return [manifest_invalid(now, problems)]

    def _failed(self, now: datetime, message: str, events: list[Event] | None = None) -> Cycle:
        self.failures += 1
        told = list(events or [])
        retry = self.backoff()
        if "*" not in self._failing:  # the first failure of a streak is an event; the rest are logged
            told.append(read_failed(now, None, message, retry))
        else:
            self.outputs.log(f"live state still cannot be read ({self.failures} tries): {message}")
        self._failing["*"] = message
        if self.outputs.metrics is not None:
            self.outputs.metrics.count_cycle(False)
        for event in told:
            self.outputs.emit(event)
        return Cycle(False, told)

    def backoff(self) -> float:
        """Seconds before the next try after ``failures`` failed cycles: 1, 2, 4 … up to the cap."""
        return float(min(MAX_BACKOFF_S, self.interval, 2 ** max(0, self.failures - 1)))

    # -- the loop -------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        due = 0.0  # time.monotonic() of the next cycle by the interval (or the backoff)
        wake: datetime | None = None  # target time of the next moment that can change live state
        first = True
        while not stop.is_set():
            if time.monotonic() >= due or self._passed(wake):
                cycle = self.cycle()
                wake = cycle.next_wake if cycle.ok else None
                due = time.monotonic() + (self.interval if cycle.ok else self.backoff())
                if first and cycle.ok:
                    first = False
                    after = f"next at {local(wake)}" if wake else "no moment ahead"
                    self.outputs.log(
                        f"first reading done: {len(cycle.events)} event(s); wakes at each moment ({after}) "
                        f"and every {self.interval:g} s"
                    )
            stop.wait(self._pause(due, wake))

    def _passed(self, wake: datetime | None) -> bool:
        if wake is None:
            return False
        if not self.emulated:
            return datetime.now(UTC) >= wake + WAKE_LAG
        try:
            return self.connection.now() >= wake
        except PlatformError:
            return True  # the cycle reports it (and backs off)

    def _pause(self, due: float, wake: datetime | None) -> float:
        until_due = due - time.monotonic()
        if self.emulated:
            return max(0.0, min(CLOCK_POLL_S, until_due))
        pause = until_due
        if wake is not None:
            pause = min(pause, (wake + WAKE_LAG - datetime.now(UTC)).total_seconds())
        return max(0.05, min(MAX_PAUSE_S, pause))
