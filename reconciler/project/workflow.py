"""The steps shared by plan, apply and drift: manifests -> target -> live state -> plan.

I/O lives here and in the client; :func:`reconciler.plan.build.make_plan` stays pure.

Errors in the manifests stop the whole run only when they are about the whole run
(:func:`run_wide_errors`): a file that can't be read, a path that does not exist, one asset or
name declared twice (also once selectors are resolved: :func:`resolve_session`). A document with
errors is one asset that is not planned; the others are, and so is a selector that names no asset
or several.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from reconciler.core.diagnostics import Diagnostic, Severity
from reconciler.core.errors import ReconcilerError
from reconciler.manifest import LoadResult, Manifest, load_manifests
from reconciler.plan.build import PlanBuilder, organisation_mismatch
from reconciler.plan.model import Plan, TargetInfo, bid_address, schedule_address
from reconciler.plan.reads import earliest_deadline, read_scopes
from reconciler.plan.resolve import (
    Resolution,
    duplicate_assets,
    listing_window,
    resolve_selectors,
    selector_windows,
)
from reconciler.plan.selection import EVERYTHING, Selection
from reconciler.platform.assets import read_asset_list
from reconciler.platform.live import LiveAsset, LiveState
from reconciler.platform.reading import ReadProgress, read_live
from reconciler.project.config import resolve_target
from reconciler.project.lock import TargetLock, hold_target_lock
from reconciler.project.targets import Connection, connect

RUN_WIDE_CODES = frozenset({"duplicate-virtual-asset", "duplicate-name"})
"""Document errors that are about the whole run: with an asset declared twice, which declaration
is meant is unknown, so nothing is planned."""


NOTHING_READ = "nothing was read from or written to any platform"


class InvalidManifests(ReconcilerError):
    """The manifests have errors that stop the whole run: nothing was written to any platform,
    and nothing read (``outcome`` says so) but, for selectors, the list of virtual assets."""

    def __init__(self, result: LoadResult, outcome: str = NOTHING_READ) -> None:
        self.result = result
        self.outcome = outcome
        errors = sum(d.is_error for d in result.diagnostics)
        super().__init__(f"{errors} error(s) in the manifests; {outcome}")


@dataclass
class Session:
    manifests: tuple[Manifest, ...]  # valid and selected
    load: LoadResult
    connection: Connection
    selection: Selection = field(default_factory=Selection)
    held: tuple[Diagnostic, ...] = ()  # findings of selected documents that have errors: not planned
    lock: TargetLock | None = None  # held for the session when it was asked for (apply)
    resolutions: tuple[Resolution, ...] | None = None  # the selectors resolved; None: not yet

    @property
    def target_info(self) -> TargetInfo:
        return target_info(self.connection)


def target_info(connection: Connection) -> TargetInfo:
    target = connection.target
    config = str(target.config) if target.config else None
    return TargetInfo(
        target.name,
        connection.api_url,
        target.organisation,
        connection.is_embedded,
        target.kind,
        config,
        protected=target.protection is not None,
        ancillary_api=connection.client.ancillary_api,
    )


def run_wide_errors(result: LoadResult) -> list[Diagnostic]:
    """Errors that belong to no single document (unreadable files, missing paths), and those of
    :data:`RUN_WIDE_CODES`."""
    in_documents = {id(d) for r in result.rejected for d in r.diagnostics}
    return [
        d
        for d in result.diagnostics
        if d.is_error and (id(d) not in in_documents or d.code in RUN_WIDE_CODES)
    ]


def held_documents(result: LoadResult, selection: Selection) -> list[Diagnostic]:
    """The findings of each selected document with errors, each error addressed to its asset (its
    name, or where the document starts when it has none): that asset is not planned."""
    held: list[Diagnostic] = []
    for rejected in result.rejected:
        if rejected.name is not None and not selection.touches_asset(rejected.name):
            continue
        held += [replace(d, address=rejected.label) if d.is_error else d for d in rejected.diagnostics]
    return held


def load_valid(
    paths: Sequence[Path], selection: Selection = EVERYTHING
) -> tuple[LoadResult, list[Diagnostic]]:
    """The manifests and the findings of the documents that are held back; raises
    :class:`InvalidManifests` when an error stops the run or nothing selected is left to plan."""
    result = load_manifests(list(paths))
    held = held_documents(result, selection)
    selected = [m for m in result.manifests if selection.touches_asset(m.name)]
    if run_wide_errors(result) or (not selected and any(d.is_error for d in held)):
        raise InvalidManifests(result)
    if not selected and not selection.everything:
        names = ", ".join(m.name for m in result.manifests) or "none"
        raise ReconcilerError(f"{selection.describe()} selects no asset of the manifests (assets: {names})")
    return result, held


@contextmanager
def open_session(
    paths: Sequence[Path],
    *,
    target: str | None,
    api_url: str | None,
    organisation: str | None,
    config: Path | None,
    parallelism: int,
    selection: Selection = EVERYTHING,
    lock_timeout: float | None = None,
    note: Callable[[str], None] = lambda _: None,
    deadline: float | None = None,
) -> Iterator[Session]:
    """Load and check the manifests first (no request on bad input), then connect. With a
    ``lock_timeout`` the target's apply lock is held, before any read, until the session ends."""
    result, held = load_valid(paths, selection)
    resolved = resolve_target(
        list(paths), config=config, target=target, api_url=api_url, organisation=organisation
    )
    manifests = tuple(m for m in result.manifests if selection.touches_asset(m.name))
    with connect(resolved, parallelism=parallelism, deadline=deadline) as connection:
        session = Session(manifests, result, connection, selection, tuple(held))
        if lock_timeout is None:
            yield session
            return
        with hold_target_lock(resolved, timeout=lock_timeout, note=note) as lock:
            session.lock = lock
            yield session


def resolve_session(session: Session, now: datetime) -> None:
    """Resolve the session's asset selectors at ``now`` (platform time) with one read of the
    organisation's assets. A selector that names no asset or several, or whose read failed, holds
    back its manifest (an error in ``held``); two manifests naming one asset stop the run
    (:class:`InvalidManifests`). A selector of a manifest declared for another organisation is
    not resolved: that manifest is held back as it would be in plan."""
    if session.resolutions is not None:
        return
    org = session.connection.target.organisation
    foreign = [m for m in session.manifests if m.selector is not None and organisation_mismatch(m, org)]
    ours = [m for m in session.manifests if m not in foreign]
    window = listing_window(selector_windows(ours, now))
    listing = [] if window is None else read_asset_list(session.connection.client, *window)
    resolved = resolve_selectors(ours, listing, now)
    held = [d for m in foreign if (d := organisation_mismatch(m, org)) is not None]
    session.manifests = resolved.manifests
    session.held = (*session.held, *held, *resolved.diagnostics)
    session.resolutions = resolved.records
    duplicates = duplicate_assets(session.manifests)
    if duplicates:
        result = replace(session.load, diagnostics=(*session.load.diagnostics, *duplicates))
        raise InvalidManifests(result, "only the list of virtual assets was read; nothing was written")


def read_session_live(
    session: Session,
    now: datetime,
    on_read: ReadProgress | None = None,
    on_asset: Callable[[str, LiveAsset], None] | None = None,
) -> LiveState:
    """What the manifests manage (not assets declared for another organisation), read at ``now``
    (platform time), selectors resolved first; reads retry no later than the earliest deadline
    the manifests serve. With ``on_asset``, each asset goes there as soon as it is read, and not
    into the state returned."""
    resolve_session(session, now)
    org, times = session.connection.target.organisation, session.connection.market_times
    manifests = [m for m in session.manifests if organisation_mismatch(m, org) is None]
    return read_live(
        session.connection.client,
        read_scopes(manifests),
        now,
        on_read,
        deadline=earliest_deadline(manifests, now, times),
        times=times,
        on_asset=on_asset,
    )


def plan_session(session: Session, on_read: ReadProgress | None = None) -> Plan:
    """Read and plan: each asset is planned as soon as its reads land, while the others' go on."""
    now = session.connection.now()
    selection = session.selection
    resolve_session(session, now)  # the manifests the builder plans are the resolved ones
    builder = PlanBuilder(
        session.manifests, now, session.target_info, selection, session.connection.market_times
    )
    live = read_session_live(session, now, on_read, on_asset=builder.add)
    in_held_documents = {id(d) for r in session.load.rejected for d in r.diagnostics}
    notes = [  # warnings and notes of the documents that are planned (their errors stopped the run)
        d
        for d in session.load.diagnostics
        if id(d) not in in_held_documents and (d.address is None or selection.selects(d.address))
    ]
    plan = builder.finish(live, extra=[*session.held, *notes])
    unmatched = selection.unmatched(_addresses(session.manifests, plan))
    if unmatched:
        plan = replace(plan, diagnostics=(*plan.diagnostics, _matches_nothing(unmatched)))
    return plan


def _addresses(manifests: Sequence[Manifest], plan: Plan) -> list[str]:
    """Every object a selection could mean: what the manifests declare, and what the plan found."""
    found = [m.name for m in manifests]
    found += [schedule_address(m.name) for m in manifests if m.wholesale is not None]
    found += [bid_address(m.name, b.code) for m in manifests for b in m.bids]
    found += [c.address for c in plan.changes] + [d.address for d in plan.diagnostics if d.address]
    return found


def _matches_nothing(patterns: Sequence[str]) -> Diagnostic:
    listed = ", ".join(patterns)
    return Diagnostic(
        Severity.WARNING,
        "only-matches-nothing",
        f"--only {listed} selects no object of the manifests; check the address "
        "(asset, asset/wholesale, asset/fcr/DAY_PRODUCT, asset/afrr/DAY_PRODUCT)",
        expected="a pattern that selects a declared object",
        found=listed,
    )
