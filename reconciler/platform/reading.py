"""Reading live state: what the planner and drift need for the assets the manifests name, no more.

The one read step of a plan (I/O at the edge; the diff itself is pure). Per asset, in two steps
through a :class:`~reconciler.platform.pipeline.Pipeline` (at most ``parallelism`` requests at
once; the second step of an asset starts as soon as its first has landed):

1. the virtual asset;
2. its wholesale block over the lifetime, one operational read (available energy capacity and
   SoC bounds, D4, D6; with bids also the ancillary availability of D15; with a managed schedule
   alive in the next two periods also the cone of flexibility, D19), the latest state of energy,
   the adjustments; and the bids and, once published (D14), the results of the delivery days of
   its :class:`ReadScope` inside the lifetime and the bidding window: through the unified
   ancillary API one read of each for all days and markets (D18), through the legacy routes one
   per route (FCR; both aFRR markets in one) and day (:mod:`reconciler.platform.bid_reads`).

A read that still fails after its retries blocks only its asset (:attr:`LiveState.failed`);
refused credentials, a failed login and the command's time limit stop the whole read.

The reads a plan's writes depend on are fingerprinted (:func:`fingerprinted_reads`: the virtual
asset's fixed terms, the wholesale block, the operational series, the ancillary availability, the
bids read); a saved plan is refused when any of them reads differently at apply time, and
:func:`read_fingerprints` re-reads exactly those objects, named by the keys. The state of energy,
adjustments and results are not: they move with every period on a live platform, and a plan
would be stale within minutes.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from reconciler.market import (
    DEFAULT_MARKET_TIMES,
    PERIOD,
    MarketTimes,
    delivery_day,
    isoformat_z,
    last_bidding_day,
)
from reconciler.platform.bid_reads import RouteDay, RouteDays, bid_reads, bids_rereads
from reconciler.platform.client import PlatformClient
from reconciler.platform.errors import NotFoundError, PlatformError
from reconciler.platform.jsonio import fingerprint
from reconciler.platform.live import LiveAsset, LiveState, delivery_days
from reconciler.platform.models import Block, ProductBids, Series, VirtualAsset
from reconciler.platform.pipeline import Pipeline
from reconciler.platform.retries import ReadRetries
from reconciler.platform.wire.bids import BidRoute
from reconciler.rules.cone import cone_periods
from reconciler.rules.vocabulary import ANCILLARY_AVAILABILITY, Category

ReadProgress = Callable[[int, int], None]

ASSETS_IN_FLIGHT_PER_READ = 2
"""How many assets :func:`read_live` reads at once, per request it may have in flight: enough that
the next asset's reads are queued when one ends, few enough that what has been read and not yet
planned stays a handful of assets (memory does not grow with the portfolio)."""
"""Told ``(reads done, reads known so far)`` after each read; the total grows as reads are planned."""

READ_RETRY_SECONDS = 30.0
"""How long each read keeps retrying (:class:`~reconciler.platform.retries.ReadRetries`): at 30 %
failed answers and the default backoff (waits up to 8 s) about ten attempts, all of which fail
about once in 20 000 reads; a platform that is down fails the step within about this long."""

OPERATIONAL = (Category.ENERGY_CAPACITY_AVAILABLE, Category.SOC_LOWER_BOUND, Category.SOC_UPPER_BOUND)
"""The operational series every plan reads: the SoC denominator and its bounds (D4, D6)."""

CONE = (Category.MAXIMUM_DELIVERABLE_POWER, Category.MINIMUM_DELIVERABLE_POWER)
"""The cone of flexibility (D19), read with them when a managed schedule is alive in its periods."""


@dataclasses.dataclass(frozen=True)
class ReadScope:
    """What of one virtual asset to read beyond what every plan reads.

    ``bid_days``: the delivery days whose bids (FCR and aFRR: capacity checks count them together,
    D15) and published results are read; ``open_days``: also every day still open for bidding
    (``prune: true`` may delete any of them; ``import`` writes them). Days outside the asset's
    lifetime or beyond the bidding window (D14: seven days ahead) are never read. ``schedule``: the
    manifest manages the wholesale schedule, so the cone of flexibility (D19) is read when the
    asset lives in its periods (:meth:`reads_cone`).
    """

    bid_days: frozenset[date] = frozenset()
    open_days: bool = False
    schedule: bool = False

    def reads_cone(self, va: VirtualAsset, now: datetime) -> bool:
        return self.schedule and any(va.start <= period < va.end for period in cone_periods(now))

    def days(self, va: VirtualAsset, now: datetime, times: MarketTimes = DEFAULT_MARKET_TIMES) -> list[date]:
        wanted = set(self.bid_days)
        last = last_bidding_day(now, times)
        if self.open_days:
            today = delivery_day(now)
            wanted.update(today + timedelta(days=i) for i in range((last - today).days + 1))
        return sorted(day for day in set(delivery_days(va.start, va.end)) & wanted if day <= last)


class _ReadCounter:
    """Counts reads for a :data:`ReadProgress` callback; reads finish on the client's worker threads."""

    def __init__(self, report: ReadProgress | None) -> None:
        self._report = report
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0

    def track(self, calls: Sequence[Callable[[], Any]]) -> list[Callable[[], Any]]:
        if self._report is None:
            return list(calls)
        with self._lock:
            self._total += len(calls)
        return [partial(self._run, call) for call in calls]

    def _run(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        finally:
            with self._lock:
                self._done += 1
                if self._report is not None:
                    self._report(self._done, self._total)


_LEAVES = frozenset({Decimal, int, str, bool, type(None)})  # written as they are


def _plain(value: Any) -> Any:
    """Parsed values in a JSON shape for :func:`fingerprint` (times as UTC text)."""
    if type(value) in _LEAVES:
        return value
    if isinstance(value, datetime):
        return isoformat_z(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):  # a series: {datetime: Decimal}, thousands of points
        return {
            isoformat_z(k) if type(k) is datetime else str(_plain(k)): v if type(v) in _LEAVES else _plain(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def digest(value: Any) -> str:
    """Fingerprint of what a read returned: a :class:`Block`, bid list or operational series keeps
    the platform's own."""
    if isinstance(value, Block):
        return value.fingerprint
    if isinstance(value, Mapping) and value and all(isinstance(s, Series) for s in value.values()):
        return ",".join(f"{name}:{series.fingerprint}" for name, series in sorted(value.items()))
    if isinstance(value, list) and all(isinstance(p, ProductBids) for p in value):
        return ",".join(sorted(f"{p.code}:{p.fingerprint}" for p in value))
    return fingerprint(_plain(value))


# What of a virtual asset a plan's writes depend on. Its end-of-life fields (D10) and available
# energy are left out: on a live platform they follow the measured state of energy, and a plan
# would be stale within minutes (available energy is fingerprinted per period, see below).
_VA_FIELDS = (
    "id",
    "start",
    "end",
    "energy_capacity",
    "rated_charge_power",
    "rated_discharge_power",
    "charge_efficiency",
    "discharge_efficiency",
    "dispatch_gate_closure_seconds",
    "blocks",
)


def va_fingerprint(va: VirtualAsset) -> str:
    return fingerprint(_plain({name: getattr(va, name) for name in _VA_FIELDS}))


# -- what is read ------------------------------------------------------------------------------


class _NoWholesaleBlock(Exception):
    def __init__(self, va_id: str) -> None:
        super().__init__(f"virtual asset {va_id} has no wholesale block (its blockMetadata lists none)")


Reads = list[tuple[str, Callable[[], Any]]]


def _fingerprinted_reads(
    client: PlatformClient, va: VirtualAsset, ancillary: bool, cone: bool = False
) -> Reads:
    """The wholesale block and the operational series: read by every plan and every check (the
    plan's read also brings the cone, which moves with the state of energy and is not fingerprinted)."""
    block_id = va.wholesale_block_id
    if block_id is None:
        raise _NoWholesaleBlock(va.id)
    # The whole lifetime, explicitly: the default window moves with the clock, and apply must
    # re-read exactly what the plan read to compare fingerprints. Inclusive end: the last period.
    start, last = va.start, va.end - PERIOD
    categories = OPERATIONAL + (ANCILLARY_AVAILABILITY if ancillary else ()) + (CONE if cone else ())
    return [
        ("wholesale", partial(client.get_block, va.id, block_id, start, last)),
        ("operational", partial(client.get_operational, va.id, categories, start, last)),
    ]


def _plan_reads(
    client: PlatformClient, va: VirtualAsset, scope: ReadScope, now: datetime, times: MarketTimes
) -> Reads:
    days = scope.days(va, now, times)
    reads = _fingerprinted_reads(client, va, ancillary=bool(days), cone=scope.reads_cone(va, now))
    reads += bid_reads(client, va.id, days, now, times)
    reads += [
        ("soe", partial(client.get_state_of_energy, va.id)),
        ("adjustments", partial(client.get_adjustments, va.id, va.start, va.end)),
    ]
    return reads


# Each fingerprint of the one operational read names what it covers, so a stale plan says which.
_OPERATIONAL_KEYS: dict[str, tuple[str, ...]] = {
    "energy-capacity": (Category.ENERGY_CAPACITY_AVAILABLE,),
    "soc-bounds": (Category.SOC_LOWER_BOUND, Category.SOC_UPPER_BOUND),
    "ancillary-availability": ANCILLARY_AVAILABILITY,
}


def _fingerprints(va: VirtualAsset, values: Mapping[str, Any]) -> dict[str, str]:
    """Keys: ``{va}/virtual-asset``, ``{va}/wholesale``, ``{va}/energy-capacity``,
    ``{va}/soc-bounds``, ``{va}/ancillary-availability`` (when read) and ``{va}/{route}/{day}``
    per bids read."""
    key = va.id
    prints = {f"{key}/virtual-asset": va_fingerprint(va), f"{key}/wholesale": digest(values["wholesale"])}
    operational: Mapping[str, Any] = values["operational"]
    for name, categories in _OPERATIONAL_KEYS.items():
        if all(c in operational for c in categories):
            prints[f"{key}/{name}"] = digest({c: operational[c] for c in categories})
    for name, value in values.items():
        if isinstance(value, RouteDay) and value.bids_read:  # the same keys through either API
            prints[f"{key}/{name}"] = digest(value.bids)
    return prints


def _reader(client: PlatformClient, retry_until: float | None) -> PlatformClient:
    return client.retrying_reads(ReadRetries(READ_RETRY_SECONDS, retry_until))


def _read_virtual_assets(
    client: PlatformClient, va_ids: list[str], counter: _ReadCounter
) -> tuple[dict[str, VirtualAsset], dict[str, str], dict[str, PlatformError]]:
    """``(found, missing, failed)``: missing are the 404s (another organisation's look the same)."""
    values = client.gather_settled(
        counter.track([partial(client.get_virtual_asset, va_id) for va_id in va_ids])
    )
    found: dict[str, VirtualAsset] = {}
    missing: dict[str, str] = {}
    failed: dict[str, PlatformError] = {}
    for va_id, value in zip(va_ids, values, strict=True):
        if isinstance(value, NotFoundError):
            missing[va_id] = "not found"
        elif isinstance(value, PlatformError):
            failed[va_id] = value
        else:
            found[va_id] = value
    return found, missing, failed


# -- reading ------------------------------------------------------------------------------------


def read_live(
    client: PlatformClient,
    scopes: Mapping[str, ReadScope],
    now: datetime,
    on_read: ReadProgress | None = None,
    *,
    deadline: datetime | None = None,
    times: MarketTimes = DEFAULT_MARKET_TIMES,
    on_asset: Callable[[str, LiveAsset], None] | None = None,
) -> LiveState:
    """Read what the planner needs of each virtual asset of ``scopes`` (by ID) at platform time
    ``now``, with the target's bid and result times (D14).

    Each read retries for at most :data:`READ_RETRY_SECONDS`, and not past ``deadline`` (platform
    time: the earliest deadline the plan serves, whose write would come too late after it);
    ``on_read`` hears of every finished read (a progress display; it must not raise).

    Reads run through a :class:`~reconciler.platform.pipeline.Pipeline`: an asset's reads start as
    soon as the asset itself is read, and each asset is complete as soon as its own reads are.
    ``on_asset``, when given, is handed each complete asset at once, on this thread, while the
    reads of others go on (the returned state then holds only what is missing or failed);
    without it the returned state holds every asset.
    """
    retry_until = None if deadline is None else time.monotonic() + (deadline - now).total_seconds()
    reader = _reader(client, retry_until)
    counter = _ReadCounter(on_read)
    missing: dict[str, str] = {}
    failed: dict[str, str] = {}
    assets: dict[str, LiveAsset] = {}
    reading: dict[str, _AssetReads] = {}
    first_reads = counter.track([partial(reader.get_virtual_asset, va_id) for va_id in scopes])
    waiting = iter(zip(scopes, first_reads, strict=True))
    with Pipeline[tuple[str, str | None]](client.parallelism) as pipeline:

        def begin_next() -> None:  # the virtual asset itself, then its reads
            for va_id, call in waiting:
                pipeline.add((va_id, None), call)
                return

        for _ in range(ASSETS_IN_FLIGHT_PER_READ * client.parallelism):
            begin_next()
        for (va_id, name), value in pipeline.results():
            if name is None:
                if isinstance(value, NotFoundError):
                    missing[va_id] = "not found"
                elif isinstance(value, PlatformError):
                    failed[va_id] = str(value)
                else:
                    try:
                        reads = _plan_reads(reader, value, scopes[va_id], now, times)
                    except _NoWholesaleBlock as problem:
                        failed[va_id] = str(problem)
                    else:
                        reading[va_id] = _AssetReads(value, [name for name, _ in reads])
                        calls = counter.track([call for _, call in reads])
                        for (read, _), call in zip(reads, calls, strict=True):
                            pipeline.add((va_id, read), call, first=True)
                        continue
                begin_next()
                continue
            done = reading[va_id].land(name, value)
            if done is None:
                continue
            del reading[va_id]
            begin_next()
            if done.failure is not None:
                failed[va_id] = done.failure
            elif on_asset is not None:
                on_asset(va_id, _live_asset(done.va, done.values))
            else:
                assets[va_id] = _live_asset(done.va, done.values)

    def in_order(found: Mapping[str, T]) -> dict[str, T]:  # as asked, whatever order reads landed in
        return {va_id: found[va_id] for va_id in scopes if va_id in found}

    return LiveState(assets=in_order(assets), missing=in_order(missing), failed=in_order(failed))


T = TypeVar("T")


class _AssetReads:
    """The reads of one asset under way: what landed, by name."""

    def __init__(self, va: VirtualAsset, names: list[str]) -> None:
        self.va = va
        self.names = names  # in read order: the first failure in this order is the one reported
        self.landed: dict[str, Any] = {}
        self.values: dict[str, Any] = {}
        self.failure: str | None = None

    def land(self, name: str, value: Any) -> _AssetReads | None:
        """Note one read; the whole once every read has landed (then ``values`` holds each route-day
        of a bid read step under its own key, see :func:`_collect`)."""
        self.landed[name] = value
        if len(self.landed) < len(self.names):
            return None
        failures = (self.landed[n] for n in self.names if isinstance(self.landed[n], PlatformError))
        first = next(failures, None)
        self.failure = None if first is None else str(first)
        for n in self.names:
            _collect(self.values, n, self.landed[n])
        return self


def _collect(values: dict[str, Any], name: str, value: Any) -> None:
    """A read step's value under its name; the route-days of a bid read step under their own keys."""
    if isinstance(value, RouteDays):
        values.update(value)
    else:
        values[name] = value


def _live_asset(va: VirtualAsset, values: Mapping[str, Any]) -> LiveAsset:
    route_days = [value for value in values.values() if isinstance(value, RouteDay)]
    return LiveAsset(
        va=va,
        wholesale=values["wholesale"],
        soe=values["soe"],
        operational=values["operational"],
        adjustments=tuple(values["adjustments"]),
        bids={p.code: p for day in route_days for p in day.bids},
        results={p.code: p for day in route_days for p in day.results},
        fingerprints=_fingerprints(va, values),
    )


def read_fingerprints(
    client: PlatformClient,
    keys: Collection[str],
    on_read: ReadProgress | None = None,
) -> dict[str, str]:
    """Read again the objects a plan fingerprinted (named by its ``keys``, see :func:`_fingerprints`)
    and return their fingerprints now. A read that fails raises: a saved plan is checked whole. An
    asset gone since has no fingerprints now, so a plan that read it is stale."""
    reader = _reader(client, None)
    counter = _ReadCounter(on_read)
    route_days: dict[str, set[tuple[BidRoute, date]]] = {}
    for key in keys:
        va_id, _, what = key.partition("/")
        route, _, day = what.partition("/")
        pairs = route_days.setdefault(va_id, set())
        if route in BidRoute.__members__.values() and day:
            pairs.add((BidRoute(route), date.fromisoformat(day)))
    found, _, failures = _read_virtual_assets(reader, list(route_days), counter)
    for error in failures.values():
        raise error

    owners: list[tuple[str, str]] = []
    calls: list[Callable[[], Any]] = []
    for va_id, va in found.items():
        try:
            reads = _fingerprinted_reads(reader, va, ancillary=f"{va_id}/ancillary-availability" in keys)
        except _NoWholesaleBlock:
            continue  # its wholesale fingerprint cannot match any more
        reads += bids_rereads(reader, va_id, route_days[va_id])
        owners += [(va_id, name) for name, _ in reads]
        calls += [call for _, call in reads]
    values: dict[str, dict[str, Any]] = {}
    for (va_id, name), value in zip(owners, reader.gather(counter.track(calls)), strict=True):
        _collect(values.setdefault(va_id, {}), name, value)
    prints: dict[str, str] = {}
    for va_id, va in found.items():
        prints.update(_fingerprints(va, values[va_id]) if va_id in values else {})
        prints[f"{va_id}/virtual-asset"] = va_fingerprint(va)
    return prints
