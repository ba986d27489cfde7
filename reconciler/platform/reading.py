"""Reading live state: everything the planner and drift need, for the assets the manifests name.

The one read step of a plan (I/O at the edge; the diff itself is pure). Reads go through
:meth:`PlatformClient.gather`, so at most ``parallelism`` requests run at once: first every
virtual asset, then, for all assets together, their wholesale block, state of energy, SoC bounds,
energy capacity, ancillary availabilities, adjustments, bids and results of every delivery day.

The reads a plan's writes depend on are fingerprinted (:func:`va_fingerprint` and
:func:`fingerprinted_reads`: the virtual asset's fixed terms, the wholesale block, energy capacity, ancillary availability, the bids of every day); a
saved plan is refused when any of them reads differently at apply time. The state of energy,
adjustments and results are not: they move with every period on a live platform, and a plan
would be stale within minutes.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from reconciler.core.errors import ReconcilerError
from reconciler.market import Market, isoformat_z
from reconciler.platform.client import PlatformClient
from reconciler.platform.errors import NotFoundError
from reconciler.platform.jsonio import fingerprint
from reconciler.platform.live import LiveAsset, LiveState, delivery_days
from reconciler.platform.models import Block, ProductBids, VirtualAsset
from reconciler.rules.vocabulary import ANCILLARY_AVAILABILITY

ReadProgress = Callable[[int, int], None]
"""Told ``(reads done, reads known so far)`` after each read; the total grows as reads are planned."""


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


def _plain(value: Any) -> Any:
    """Parsed values in a JSON shape for :func:`fingerprint` (times as UTC text)."""
    if isinstance(value, datetime):
        return isoformat_z(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def digest(value: Any) -> str:
    """Fingerprint of what a read returned: a :class:`Block` or bid list keeps the platform's own."""
    if isinstance(value, Block):
        return value.fingerprint
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


def fingerprinted_reads(client: PlatformClient, va: VirtualAsset) -> list[tuple[str, Callable[[], Any]]]:
    """``(key, read)`` of every object a plan's writes depend on, besides the virtual asset."""
    key, start, end = va.id, va.start, va.end
    reads: list[tuple[str, Callable[[], Any]]] = [
        (f"{key}/wholesale", _block_call(client, va)),
        (f"{key}/energy-capacity", partial(client.get_energy_capacity, key, start, end)),
        (f"{key}/operational", partial(client.get_operational, key, ANCILLARY_AVAILABILITY, start, end)),
    ]
    for day in delivery_days(start, end):
        reads.append((f"{key}/fcr/{day.isoformat()}", partial(client.get_bids, key, Market.FCR, day)))
        reads.append((f"{key}/afrr/{day.isoformat()}", _afrr_bids_call(client, key, day)))
    return reads


def read_fingerprints(
    client: PlatformClient, va_ids: Iterable[str], on_read: ReadProgress | None = None
) -> dict[str, str]:
    """Read the objects of :func:`fingerprinted_reads` again and return their fingerprints now."""
    counter = _ReadCounter(on_read)
    vas = _read_virtual_assets(client, list(va_ids), counter)
    reads = [read for va in vas.values() if va is not None for read in fingerprinted_reads(client, va)]
    values = client.gather(counter.track([call for _, call in reads]))
    prints = {f"{va_id}/virtual-asset": va_fingerprint(va) for va_id, va in vas.items() if va is not None}
    prints.update({key: digest(value) for (key, _), value in zip(reads, values, strict=True)})
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

    keys: list[tuple[str, str]] = []  # (va_id, key)
    calls: list[Callable[[], Any]] = []
    for va_id, va in found.items():
        start, end = va.start, va.end
        reads: list[tuple[str, Callable[[], Any]]] = [
            *fingerprinted_reads(client, va),
            (f"{va_id}/soe", partial(client.get_state_of_energy, va_id)),
            # only its bounds are used (stateOfChargeBounds): one instant is enough, and the
            # asset's end is always projected (the past before the latest SoE may not be)
            (f"{va_id}/soc", partial(client.get_projected_soc, va_id, end, end)),
            (f"{va_id}/adjustments", partial(client.get_adjustments, va_id, start, end)),
        ]
        for day in delivery_days(start, end):
            for market in (Market.FCR, Market.AFRR_CAPACITY, Market.AFRR_ENERGY):
                reads.append(
                    (f"{va_id}/results/{market}/{day}", partial(client.get_results, va_id, market, day))
                )
        keys += [(va_id, key) for key, _ in reads]
        calls += [call for _, call in reads]

    values = dict(zip(keys, client.gather(counter.track(calls)), strict=True))
    assets: dict[str, LiveAsset] = {}
    for va_id, va in found.items():
        mine = {key: value for (owner, key), value in values.items() if owner == va_id}
        prints = {f"{va_id}/virtual-asset": va_fingerprint(va)}
        prints.update({key: digest(mine[key]) for key, _ in fingerprinted_reads(client, va)})
        bids = {p.code: p for key, value in mine.items() if _is_bids(key, va_id) for p in value}
        results = {
            p.code: p for key, value in mine.items() if key.startswith(f"{va_id}/results/") for p in value
        }
        assets[va_id] = LiveAsset(
            va=va,
            wholesale=mine[f"{va_id}/wholesale"],
            soe=mine[f"{va_id}/soe"],
            soc=tuple(mine[f"{va_id}/soc"]),
            energy_capacity=tuple(mine[f"{va_id}/energy-capacity"]),
            operational=mine[f"{va_id}/operational"],
            adjustments=tuple(mine[f"{va_id}/adjustments"]),
            bids=bids,
            results=results,
            fingerprints=prints,
        )
    return LiveState(assets=assets, missing=missing)


def _is_bids(key: str, va_id: str) -> bool:
    return key.startswith((f"{va_id}/fcr/", f"{va_id}/afrr/"))


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


def _afrr_bids_call(client: PlatformClient, va_id: str, day: date) -> Callable[[], list[ProductBids]]:
    """aFRR capacity and energy bids of a day together: one object for fingerprints and diffs."""

    def read() -> list[ProductBids]:
        return client.get_bids(va_id, Market.AFRR_CAPACITY, day) + client.get_bids(
            va_id, Market.AFRR_ENERGY, day
        )

    return read
