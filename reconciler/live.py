"""Reading live state: everything the planner and drift need, for the assets the manifests name.

The one read step of a plan (I/O at the edge; the diff itself is pure). Reads go through
:meth:`PlatformClient.gather`, so at most ``parallelism`` requests run at once: first every
virtual asset, then, for all assets together, their wholesale block, state of energy, SoC bounds,
energy capacity, ancillary availabilities, adjustments, bids and results of every delivery day.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.market import Market, ProductDateCode, delivery_day
from reconciler.platform.client import PlatformClient
from reconciler.platform.errors import NotFoundError
from reconciler.platform.models import (
    Adjustment,
    Block,
    EnergyCapacityPoint,
    ProductBids,
    ProductResults,
    SocPoint,
    StateOfEnergy,
    VirtualAsset,
)

ANCILLARY_CATEGORIES = (
    "fcrCapacityAvailable",
    "afrrCapacityPosAvailable",
    "afrrCapacityNegAvailable",
    "maxTotalAncillaryCapacityChargeAvailable",
    "maxTotalAncillaryCapacityDischargeAvailable",
)

ReadProgress = Callable[[int, int], None]
"""Told ``(reads done, reads known so far)`` after each read; the total grows as reads are planned."""


@dataclass(frozen=True)
class LiveAsset:
    """One virtual asset as the platform sees it now."""

    va: VirtualAsset
    wholesale: Block
    soe: StateOfEnergy
    soc: tuple[SocPoint, ...]
    energy_capacity: tuple[EnergyCapacityPoint, ...]
    operational: Mapping[str, Mapping[datetime, Decimal]]
    adjustments: tuple[Adjustment, ...]
    bids: Mapping[ProductDateCode, ProductBids]
    results: Mapping[ProductDateCode, ProductResults]
    fingerprints: Mapping[str, str] = field(default_factory=dict)

    @property
    def days(self) -> list[date]:
        return delivery_days(self.va.start, self.va.end)


@dataclass(frozen=True)
class LiveState:
    assets: Mapping[str, LiveAsset]  # by virtual asset ID
    missing: Mapping[str, str]  # virtual asset ID -> the platform's message


def delivery_days(start: datetime, end: datetime) -> list[date]:
    """Local delivery days that overlap ``[start, end)``."""
    first, last = delivery_day(start), delivery_day(end - timedelta(microseconds=1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def fingerprint_keys(va_id: str, days: Iterable[date]) -> list[str]:
    """The live objects a plan's writes depend on; apply re-reads exactly these."""
    keys = [f"{va_id}/virtual-asset", f"{va_id}/wholesale"]
    for day in days:
        keys += [f"{va_id}/fcr/{day.isoformat()}", f"{va_id}/afrr/{day.isoformat()}"]
    return keys


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


def read_fingerprints(
    client: PlatformClient, va_ids: Iterable[str], on_read: ReadProgress | None = None
) -> dict[str, str]:
    """Re-read the objects named by :func:`fingerprint_keys` and return their fingerprints now."""
    counter = _ReadCounter(on_read)
    vas = _read_virtual_assets(client, list(va_ids), counter)
    calls: list[tuple[str, Callable[[], Any]]] = []
    for va_id, va in vas.items():
        if va is None:
            continue
        calls.append((f"{va_id}/wholesale", _block_call(client, va)))
        for day in delivery_days(va.start, va.end):
            calls.append((f"{va_id}/fcr/{day.isoformat()}", partial(client.get_bids, va_id, Market.FCR, day)))
            calls.append((f"{va_id}/afrr/{day.isoformat()}", _afrr_bids_call(client, va_id, day)))
    values = client.gather(counter.track([call for _, call in calls]))
    prints = {f"{va_id}/virtual-asset": va.fingerprint for va_id, va in vas.items() if va is not None}
    for (key, _), value in zip(calls, values, strict=True):
        prints[key] = value.fingerprint if isinstance(value, Block) else _bids_fingerprint(value)
    return prints


def read_live(
    client: PlatformClient, va_ids: Iterable[str], on_read: ReadProgress | None = None
) -> LiveState:
    """Read every object the planner needs for the given virtual assets, in parallel.

    ``on_read`` hears of every finished read (a progress display; it must not raise).
    """
    counter = _ReadCounter(on_read)
    vas = _read_virtual_assets(client, list(dict.fromkeys(va_ids)), counter)
    missing = {va_id: "not found" for va_id, va in vas.items() if va is None}
    found = {va_id: va for va_id, va in vas.items() if va is not None}

    calls: list[Callable[[], Any]] = []
    slots: list[tuple[str, str, Any]] = []  # (va_id, what, key)
    for va_id, va in found.items():
        start, end = va.start, va.end
        window = (va_id, start, end)
        per_asset: list[tuple[str, Any, Callable[[], Any]]] = [
            ("wholesale", None, _block_call(client, va)),
            ("soe", None, partial(client.get_state_of_energy, va_id)),
            # only its bounds are used (stateOfChargeBounds): one instant is enough, and the
            # asset's end is always projected (the past before the latest SoE may not be)
            ("soc", None, partial(client.get_projected_soc, va_id, end, end)),
            ("energy", None, partial(client.get_energy_capacity, *window)),
            ("operational", None, partial(client.get_operational, va_id, ANCILLARY_CATEGORIES, start, end)),
            ("adjustments", None, partial(client.get_adjustments, *window)),
        ]
        for day in delivery_days(start, end):
            per_asset += [
                ("bids-fcr", day, partial(client.get_bids, va_id, Market.FCR, day)),
                ("bids-afrr", day, _afrr_bids_call(client, va_id, day)),
                ("results-fcr", day, partial(client.get_results, va_id, Market.FCR, day)),
                ("results-afrr", day, partial(client.get_results, va_id, Market.AFRR_CAPACITY, day)),
                ("results-afrr", day, partial(client.get_results, va_id, Market.AFRR_ENERGY, day)),
            ]
        for what, key, call in per_asset:
            slots.append((va_id, what, key))
            calls.append(call)

    values = client.gather(counter.track(calls))
    parts: dict[str, dict[str, Any]] = {va_id: {"bids": {}, "results": {}, "prints": {}} for va_id in found}
    for (va_id, what, key), value in zip(slots, values, strict=True):
        bucket = parts[va_id]
        if what.startswith("bids-"):
            market = what.removeprefix("bids-")
            bucket["prints"][f"{va_id}/{market}/{key.isoformat()}"] = _bids_fingerprint(value)
            bucket["bids"].update({product.code: product for product in value})
        elif what.startswith("results-"):
            bucket["results"].update({product.code: product for product in value})
        else:
            bucket[what] = value

    assets: dict[str, LiveAsset] = {}
    for va_id, va in found.items():
        bucket = parts[va_id]
        prints = {
            f"{va_id}/virtual-asset": va.fingerprint,
            f"{va_id}/wholesale": bucket["wholesale"].fingerprint,
        }
        prints.update(bucket["prints"])
        assets[va_id] = LiveAsset(
            va=va,
            wholesale=bucket["wholesale"],
            soe=bucket["soe"],
            soc=tuple(bucket["soc"]),
            energy_capacity=tuple(bucket["energy"]),
            operational=bucket["operational"],
            adjustments=tuple(bucket["adjustments"]),
            bids=bucket["bids"],
            results=bucket["results"],
            fingerprints=prints,
        )
    return LiveState(assets=assets, missing=missing)


def _read_virtual_assets(
    client: PlatformClient, va_ids: list[str], counter: _ReadCounter
) -> dict[str, VirtualAsset | None]:
    def read(va_id: str) -> VirtualAsset | None:
        try:
            return client.get_virtual_asset(va_id)
        except NotFoundError:
            return None

    values = client.gather(counter.track([partial(read, va_id) for va_id in va_ids]))
    return dict(zip(va_ids, values, strict=True))


def _block_call(client: PlatformClient, va: VirtualAsset) -> Callable[[], Block]:
    # The whole lifetime, explicitly: the default window moves with the clock, and apply must
    # re-read exactly what the plan read to compare fingerprints. Inclusive end: last period start.
    last = va.end - timedelta(minutes=15)
    block_id = va.wholesale_block_id
    if block_id is None:
        raise ReconcilerError(f"virtual asset {va.id} has no wholesale block")
    return partial(client.get_block, va.id, block_id, va.start, last)


def _bids_call(
    client: PlatformClient, va_id: str, market: Market, day: date
) -> Callable[[], list[ProductBids]]:
    return lambda: client.get_bids(va_id, market, day)


def _afrr_bids_call(client: PlatformClient, va_id: str, day: date) -> Callable[[], list[ProductBids]]:
    """aFRR capacity and energy bids of a day together: one object for fingerprints and diffs."""

    def read() -> list[ProductBids]:
        return client.get_bids(va_id, Market.AFRR_CAPACITY, day) + client.get_bids(
            va_id, Market.AFRR_ENERGY, day
        )

    return read


def _bids_fingerprint(products: list[ProductBids]) -> str:
    return ",".join(sorted(f"{p.code}:{p.fingerprint}" for p in products))
