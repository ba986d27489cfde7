"""Canonical desired state, as the planner consumes it: kW on UTC quarter-hour starts.

Everything here is already checked and expanded; where a value came from is kept as a
:class:`SourceRef` so later findings (plan diagnostics, drift) can point back into the manifest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from reconciler.core.diagnostics import Diagnostic, has_errors
from reconciler.manifest.selectors import AssetSelector, Resolved, UnresolvedSelector
from reconciler.market import Market, ProductDateCode


@dataclass(frozen=True)
class SourceRef:
    """Where something was declared: a manifest (or CSV) file, 1-based line and column, field path."""

    file: str
    line: int
    column: int = 1
    path: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class LineSources(Mapping[datetime, SourceRef]):
    """Where each period of a CSV schedule was set, kept as its row's line: the
    :class:`SourceRef` is built when asked for (one per row costs more than reading the row)."""

    def __init__(self, file: str, path: str) -> None:
        self.file = file
        self.path = path
        self.lines: dict[datetime, int] = {}

    def at(self, line: int) -> SourceRef:
        return SourceRef(self.file, line, 1, self.path)

    def __getitem__(self, period: datetime) -> SourceRef:
        return self.at(self.lines[period])

    def __contains__(self, period: object) -> bool:
        return period in self.lines

    def __iter__(self) -> Iterator[datetime]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)


class ScheduleMode(StrEnum):
    EXACT = "exact"  # on the days it manages, editable periods not listed go to 0
    PARTIAL = "partial"  # only the listed periods are managed


@dataclass(frozen=True)
class DesiredSchedule:
    """The wholesale schedule: UTC period start -> kW (signed, + discharge), in time order.

    ``days``: the local days (in the manifest's timezone) that ``days:`` lists; with ``mode:
    exact`` they are managed whole, like every day a point lies on (:attr:`exact_days`).
    """

    mode: ScheduleMode
    unit: str
    points: Mapping[datetime, Decimal]
    sources: Mapping[datetime, SourceRef]
    days: frozenset[date] = frozenset()
    point_days: frozenset[date] = frozenset()  # the local days the points lie on
    days_source: SourceRef | None = None  # where ``days:`` is written

    @property
    def exact_days(self) -> tuple[date, ...]:
        """The local days ``mode: exact`` manages whole, in order; none under ``partial``."""
        if self.mode is not ScheduleMode.EXACT:
            return ()
        return tuple(sorted(self.days | self.point_days))


@dataclass(frozen=True)
class DesiredBid:
    """One bid: ``offered_kw`` as declared (before the platform's truncation), prices in EUR."""

    code: ProductDateCode
    offered_kw: Decimal
    capacity_price: Decimal | None  # EUR/MW/h (FCR, aFRR capacity)
    energy_price: Decimal | None  # EUR/MWh (aFRR)
    source: SourceRef

    @property
    def market(self) -> Market:
        return self.code.market


@dataclass(frozen=True)
class BidSection:
    unit: str
    prune: bool
    bids: tuple[DesiredBid, ...]
    source: SourceRef


@dataclass(frozen=True)
class Manifest:
    """One document of kind VirtualAsset, fully checked and expanded.

    ``asset`` is ``spec.virtualAsset`` as declared: a UUID, or a selector that a run resolves
    against the platform (``resolved``) before anything reads :attr:`virtual_asset`.
    """

    name: str
    asset: str | AssetSelector
    organisation: str | None
    timezone: ZoneInfo
    wholesale: DesiredSchedule | None
    fcr: BidSection | None
    afrr: BidSection | None
    source: SourceRef
    fields: Mapping[str, SourceRef] = field(default_factory=dict)  # where some fields were written
    resolved: Resolved | None = None  # what the selector named in this run

    @property
    def selector(self) -> AssetSelector | None:
        return self.asset if isinstance(self.asset, AssetSelector) else None

    @property
    def virtual_asset(self) -> str:
        """The asset's UUID: declared, or resolved from the selector."""
        if isinstance(self.asset, str):
            return self.asset
        if self.resolved is None:
            raise UnresolvedSelector(f"{self.name}: {self.asset.describe()} was not resolved")
        return self.resolved.virtual_asset

    def asset_text(self) -> str:
        """``spec.virtualAsset`` as people read it: ``virtual asset <UUID>`` or the selector."""
        return (
            self.asset.describe() if isinstance(self.asset, AssetSelector) else f"virtual asset {self.asset}"
        )

    def ref(self, path: str) -> SourceRef:
        """Where the field ``path`` (``spec.virtualAsset``) was written, else the document."""
        return self.fields.get(path, self.source)

    @property
    def bids(self) -> tuple[DesiredBid, ...]:
        """FCR then aFRR bids, in declaration order."""
        return (self.fcr.bids if self.fcr else ()) + (self.afrr.bids if self.afrr else ())


@dataclass(frozen=True)
class Rejected:
    """A document that has errors: it is not planned. ``name`` and ``virtual_asset`` when they
    could be read; ``diagnostics`` are its own findings."""

    name: str | None
    virtual_asset: str | None
    source: SourceRef
    diagnostics: tuple[Diagnostic, ...]

    @property
    def label(self) -> str:
        return self.name or f"the document at {self.source}"


@dataclass(frozen=True)
class LoadResult:
    """What reading a set of paths produced.

    ``files`` lists every manifest file read; ``skipped`` the files a directory scan passed over
    because they are not manifests (``reconciler.yaml``, fixtures, other YAML).
    """

    manifests: tuple[Manifest, ...]
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]
    skipped: tuple[str, ...] = field(default=())
    rejected: tuple[Rejected, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    def count(self, severity: str) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)
