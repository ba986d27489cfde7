"""Asset selectors resolved against the organisation's list of virtual assets. Pure.

A selector ``{portfolio, day}`` names the asset of that portfolio whose lifetime covers the
local delivery day (the manifest's timezone; relative days count from the target's clock). One
listing read serves every selector of a run (:func:`listing_window` says which range to ask V1
for). Exactly one asset must match: none is an error on that asset alone that says when the
day's assets are created if that is still ahead (:func:`assets_created`), several is an error
listing them. A saved plan records each resolution (:class:`Resolution`), and apply refuses the
plan when a selector would now name another asset (:func:`changed_resolutions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.core.diagnostics import Diagnostic, Severity, located
from reconciler.manifest import Manifest, SourceRef
from reconciler.manifest.selectors import AssetSelector, Resolved, parse_selector_day
from reconciler.manifest.values import ValueProblem
from reconciler.market import MARKET_TZ, day_bounds
from reconciler.plan.fmt import local
from reconciler.platform.models import VirtualAsset

ASSETS_CREATED_DAYS_BEFORE = 2
ASSETS_CREATED_AT = time(17, 0)
"""API.md §1: virtual assets are created for the organisation at about 17:00 CET/CEST two days
before delivery (D−2). "About": the error for a day with no asset yet names this time as the
earliest, never as a promise."""


def assets_created(day: date) -> datetime:
    """When the assets for delivery ``day`` are created: about 17:00 Europe/Berlin on D−2."""
    created = day - timedelta(days=ASSETS_CREATED_DAYS_BEFORE)
    return datetime.combine(created, ASSETS_CREATED_AT, tzinfo=MARKET_TZ)


def day_window(selector: AssetSelector, tz: ZoneInfo, now: datetime) -> tuple[date, datetime, datetime]:
    """The day a selector names at ``now`` and its ``[start, end)`` (23, 24 or 25 hours)."""
    day = selector.day.on(now, tz)
    return (day, *day_bounds(day, tz))


def covering(
    listing: Iterable[VirtualAsset], portfolio: str, start: datetime, end: datetime
) -> list[VirtualAsset]:
    """The assets of ``portfolio`` whose lifetime covers ``[start, end)`` whole, by ID."""
    found = [va for va in listing if va.portfolio_id == portfolio and va.start <= start and va.end >= end]
    return sorted(found, key=lambda va: va.id)


def listing_window(windows: Iterable[tuple[datetime, datetime]]) -> tuple[datetime, datetime] | None:
    """The one range to list assets over (V1 ``start``/``end``, inclusive): every day asked for."""
    spans = list(windows)
    if not spans:
        return None
    return min(s for s, _ in spans), max(e for _, e in spans)


def selector_windows(manifests: Iterable[Manifest], now: datetime) -> list[tuple[datetime, datetime]]:
    return [day_window(m.selector, m.timezone, now)[1:] for m in manifests if m.selector is not None]


@dataclass(frozen=True)
class Resolution:
    """One selector as a run resolved it; a saved plan records it (``resolved_assets``)."""

    asset: str  # the manifest's name
    portfolio: str
    day: str  # as written: "tomorrow"
    timezone: str
    resolved_day: date
    virtual_asset: str

    def selector(self) -> AssetSelector:
        return AssetSelector(self.portfolio, parse_selector_day(self.day))

    def describe(self) -> str:
        said = self.day if self.day == self.resolved_day.isoformat() else f"{self.day} = {self.resolved_day}"
        return f"{self.asset} is virtual asset {self.virtual_asset} (portfolio {self.portfolio}, day {said})"

    def to_json(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "portfolio": self.portfolio,
            "day": self.day,
            "timezone": self.timezone,
            "resolved_day": self.resolved_day.isoformat(),
            "virtual_asset": self.virtual_asset,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Resolution:
        """A recorded resolution; raises ``ValueError`` for one that can't be (the schema checked its shape)."""
        try:
            parse_selector_day(data["day"])
        except ValueProblem as problem:
            raise ValueError(f"day {data['day']!r}: {problem.message}") from None
        try:
            ZoneInfo(data["timezone"])
        except (ValueError, KeyError, OSError):
            raise ValueError(f"timezone {data['timezone']!r} is not a time zone") from None
        return cls(
            data["asset"],
            data["portfolio"],
            data["day"],
            data["timezone"],
            date.fromisoformat(data["resolved_day"]),
            data["virtual_asset"],
        )


@dataclass(frozen=True)
class Resolutions:
    """``manifests``: every manifest given, selectors resolved, those that could not be left out;
    ``diagnostics``: one error per manifest left out (its address is its name)."""

    manifests: tuple[Manifest, ...]
    diagnostics: tuple[Diagnostic, ...]
    records: tuple[Resolution, ...]


@dataclass(frozen=True)
class Mismatch:
    """Why a selector names no single asset: a diagnostic's code, sentence, expected and found."""

    code: str  # selector-no-match, selector-ambiguous
    message: str
    expected: str
    found: str


def match_selector(
    selector: AssetSelector, tz: ZoneInfo, listing: Sequence[VirtualAsset], now: datetime
) -> tuple[date, VirtualAsset | Mismatch]:
    """The day ``selector`` names at ``now`` and its one asset in ``listing``, or why there is none."""
    day, start, end = day_window(selector, tz, now)
    matches = covering(listing, selector.portfolio, start, end)
    if len(matches) == 1:
        return day, matches[0]
    named = f"day {selector.day.text}" + ("" if not selector.day.relative else f" ({day.isoformat()})")
    what = f"portfolio {selector.portfolio}, {named} in {tz.key}"
    if matches:
        listed = "; ".join(_lifetime(va) for va in matches)
        return day, Mismatch(
            "selector-ambiguous",
            f"{len(matches)} virtual assets match {what}: {listed}; name one by its UUID in spec.virtualAsset",
            "exactly one virtual asset",
            ", ".join(va.id for va in matches),
        )
    created = assets_created(day)
    if now < created:
        why = (
            f"the assets for {day.isoformat()} are created at about {local(created)} (17:00 two days "
            "before), which is still ahead"
        )
    else:
        partly = [
            va
            for va in listing
            if va.portfolio_id == selector.portfolio and va.start < end and va.end > start
        ]
        why = (
            "it has assets that cover only part of that day: " + "; ".join(_lifetime(va) for va in partly)
            if partly
            else _portfolios_that_day(listing, start, end)
        )
    return day, Mismatch(
        "selector-no-match",
        f"no virtual asset matches {what} (one whose lifetime covers {local(start)} – {local(end)}): {why}",
        f"one virtual asset of portfolio {selector.portfolio} covering {day.isoformat()}",
        "none",
    )


def _lifetime(va: VirtualAsset) -> str:
    return f"{va.id} ({local(va.start)} – {local(va.end)})"


def resolve_selectors(
    manifests: Sequence[Manifest], listing: Sequence[VirtualAsset] | str, now: datetime
) -> Resolutions:
    """Each selector against ``listing`` (V1 over :func:`listing_window`), or the message of a
    listing read that failed."""
    kept: list[Manifest] = []
    found: list[Diagnostic] = []
    records: list[Resolution] = []
    for manifest in manifests:
        selector = manifest.selector
        if selector is None:
            kept.append(manifest)
            continue
        if isinstance(listing, str):
            found.append(_listing_failed(manifest, listing))
            continue
        day, match = match_selector(selector, manifest.timezone, listing, now)
        if isinstance(match, Mismatch):
            found.append(
                located(
                    Severity.ERROR,
                    match.code,
                    f"{manifest.name}: {match.message}",
                    _where(manifest),
                    manifest.name,
                    expected=match.expected,
                    found=match.found,
                )
            )
            continue
        kept.append(replace(manifest, resolved=Resolved(day, match.id)))
        records.append(
            Resolution(
                manifest.name, selector.portfolio, selector.day.text, manifest.timezone.key, day, match.id
            )
        )
    return Resolutions(tuple(kept), tuple(found), tuple(records))


def _where(manifest: Manifest) -> SourceRef:
    return manifest.ref("spec.virtualAsset")


def _listing_failed(manifest: Manifest, failure: str) -> Diagnostic:
    return located(
        Severity.ERROR,
        "read-failed",
        f"{manifest.name} is not planned: its selector ({manifest.asset_text()}) needs the list of "
        f"virtual assets, which could not be read: {failure}",
        _where(manifest),
        manifest.name,
    )


def _portfolios_that_day(listing: Sequence[VirtualAsset], start: datetime, end: datetime) -> str:
    others = sorted(
        {va.portfolio_id for va in listing if va.portfolio_id and va.start <= start and va.end >= end}
    )
    if not others:
        return "the organisation has no asset that covers that day"
    return f"the portfolios with an asset that day are {', '.join(others)}"


def duplicate_assets(manifests: Sequence[Manifest]) -> list[Diagnostic]:
    """Two manifests that name one virtual asset once resolved (a selector and a UUID, or two
    selectors), one error at the later one (addressed to it); which is meant is unknown, so a run
    stops on them. Two UUIDs alike are the loader's ``duplicate-virtual-asset`` already."""
    first: dict[str, Manifest] = {}
    found: list[Diagnostic] = []
    for manifest in manifests:
        earlier = first.setdefault(manifest.virtual_asset, manifest)
        if earlier is manifest or (earlier.selector is None and manifest.selector is None):
            continue
        found.append(
            located(
                Severity.ERROR,
                "duplicate-virtual-asset",
                f"virtual asset {manifest.virtual_asset} is named by {manifest.name} "
                f"({manifest.asset_text()}) and already by {earlier.name} ({earlier.asset_text()}) at "
                f"{_where(earlier)}; one document per virtual asset",
                _where(manifest),
                manifest.name,
                expected="a virtual asset declared once",
                found=f"{manifest.virtual_asset} again",
            )
        )
    return found


def changed_resolutions(
    records: Sequence[Resolution], listing: Sequence[VirtualAsset], now: datetime
) -> list[str]:
    """Each recorded resolution the selector no longer gives at ``now``, said in a sentence."""
    changed: list[str] = []
    for record in records:
        tz = ZoneInfo(record.timezone)
        day, start, end = day_window(record.selector(), tz, now)
        matches = covering(listing, record.portfolio, start, end)
        if len(matches) == 1 and matches[0].id == record.virtual_asset and day == record.resolved_day:
            continue
        now_names = (
            f"virtual asset {matches[0].id}"
            if len(matches) == 1
            else "no virtual asset"
            if not matches
            else f"{len(matches)} virtual assets"
        )
        changed.append(
            f"{record.asset}: portfolio {record.portfolio}, day {record.day} now means {day.isoformat()} "
            f"and {now_names}; the plan resolved it to {record.resolved_day.isoformat()} and virtual "
            f"asset {record.virtual_asset}"
        )
    return changed


def recorded_windows(records: Iterable[Resolution], now: datetime) -> list[tuple[datetime, datetime]]:
    return [day_window(r.selector(), ZoneInfo(r.timezone), now)[1:] for r in records]
