"""The steps shared by plan, apply and drift: manifests -> target -> live state -> plan.

I/O lives here and in the client; :func:`reconciler.plan.build.make_plan` stays pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler.core.diagnostics import Diagnostic, Severity
from reconciler.core.errors import ReconcilerError
from reconciler.manifest import LoadResult, Manifest, load_manifests
from reconciler.plan.build import make_plan
from reconciler.plan.model import Plan, TargetInfo
from reconciler.plan.reads import earliest_deadline, read_scopes
from reconciler.platform.live import LiveState
from reconciler.platform.reading import ReadProgress, read_live
from reconciler.project.config import resolve_target
from reconciler.project.lock import TargetLock, hold_target_lock
from reconciler.project.targets import Connection, connect


class InvalidManifests(ReconcilerError):
    """The manifests have errors: nothing was read from or written to any platform."""

    def __init__(self, result: LoadResult) -> None:
        self.result = result
        errors = sum(d.is_error for d in result.diagnostics)
        super().__init__(f"{errors} error(s) in the manifests; no request was made")


@dataclass
class Session:
    manifests: tuple[Manifest, ...]
    load: LoadResult
    connection: Connection
    lock: TargetLock | None = None  # held for the session when it was asked for (apply)

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
    )


def load_valid(paths: Sequence[Path]) -> LoadResult:
    result = load_manifests(list(paths))
    if not result.ok:
        raise InvalidManifests(result)
    return result


@contextmanager
def open_session(
    paths: Sequence[Path],
    *,
    target: str | None,
    api_url: str | None,
    organisation: str | None,
    config: Path | None,
    parallelism: int,
    lock_timeout: float | None = None,
    note: Callable[[str], None] = lambda _: None,
    deadline: float | None = None,
) -> Iterator[Session]:
    """Load and check the manifests first (no request on bad input), then connect. With a
    ``lock_timeout`` the target's apply lock is held, before any read, until the session ends."""
    result = load_valid(paths)
    resolved = resolve_target(
        list(paths), config=config, target=target, api_url=api_url, organisation=organisation
    )
    with connect(resolved, parallelism=parallelism, deadline=deadline) as connection:
        if lock_timeout is None:
            yield Session(result.manifests, result, connection)
            return
        with hold_target_lock(resolved, timeout=lock_timeout, note=note) as lock:
            yield Session(result.manifests, result, connection, lock)


def organisation_mismatches(session: Session) -> list[Diagnostic]:
    org = session.connection.target.organisation
    return [
        Diagnostic(
            Severity.ERROR,
            "organisation-mismatch",
            f"{m.name} declares organisation {m.organisation!r} but the target is organisation {org!r}",
            file=m.source.file,
            line=m.source.line,
            path="spec.organisation",
            expected=org,
            found=m.organisation,
        )
        for m in session.manifests
        if m.organisation is not None and m.organisation != org
    ]


def read_session_live(session: Session, now: datetime, on_read: ReadProgress | None = None) -> LiveState:
    """What the manifests manage, read at ``now`` (platform time); reads retry no later than the
    earliest deadline the manifests serve."""
    manifests, times = session.manifests, session.connection.market_times
    return read_live(
        session.connection.client,
        read_scopes(manifests),
        now,
        on_read,
        deadline=earliest_deadline(manifests, now, times),
        times=times,
    )


def plan_session(session: Session, on_read: ReadProgress | None = None) -> tuple[Plan, LiveState]:
    now = session.connection.now()
    live = read_session_live(session, now, on_read)
    plan = make_plan(
        session.manifests,
        live,
        now,
        session.target_info,
        extra=organisation_mismatches(session) + list(session.load.diagnostics),
        market_times=session.connection.market_times,
    )
    return plan, live
