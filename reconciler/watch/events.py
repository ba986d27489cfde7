"""What ``reconciler watch`` tells the desk: one :class:`Event` per new fact, as a JSON line.

The JSON shape is published as ``schemas/watch-event.schema.json``. Every event carries a
one-line ``text`` for people (chat webhooks show it) and the structured fields of its kind.
Each string passes through :func:`reconciler.core.redaction.redact` on its way out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from reconciler.core.redaction import redact
from reconciler.market import isoformat_z

FORMAT_VERSION = "2"  # 2: period_state soft_locked (was soft-locked), as drift names it


class EventKind(StrEnum):
    CORRECTION = "correction"  # the platform cut a period: re-validation (D7) or unavailability (D9)
    AUCTION_RESULT = "auction_result"  # a managed bid's result was published (D14, D17)
    OUT_OF_BAND = "out_of_band"  # live differs and nothing on the platform explains it
    DEADLINE_NEAR = "deadline_near"  # a planned change is not applied and its deadline is close
    READ_FAILED = "read_failed"  # live state could not be read (the loop retries with backoff)
    MANIFEST_INVALID = "manifest_invalid"  # the manifests stopped validating; the last good ones stay
    WEBHOOK_FAILED = "webhook_failed"  # an event could not be delivered to a webhook


ERROR_KINDS = frozenset({EventKind.READ_FAILED, EventKind.MANIFEST_INVALID})
"""Kinds that mean watch could not do its job (``--once`` exits 1 on them)."""


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: datetime  # the target's "now" when it was observed
    text: str  # one line for people
    asset: str | None = None  # manifest name
    address: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)  # JSON-ready fields of the kind
    key: tuple[str, ...] = ()  # identity: an event with a key already emitted is not emitted again

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "kind": str(self.kind),
            "at": isoformat_z(self.at),
            "asset": self.asset,
            "address": self.address,
            "text": self.text,
            **self.details,
        }
        redacted: dict[str, Any] = _redacted(document)
        return redacted

    def line(self) -> str:
        """The human line: what a terminal and a chat message show."""
        return redact(f"{self.kind}: {self.text}")


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(str(k)): _redacted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def read_failed(at: datetime, asset: str | None, message: str, retry_in: float | None) -> Event:
    where = asset or "live state"
    retry = f"; retrying in {retry_in:.0f} s" if retry_in is not None else ""
    return Event(
        EventKind.READ_FAILED,
        at,
        f"{where}: cannot read live state: {message}{retry}",
        asset=asset,
        details={"message": message, "retry_in_seconds": retry_in},
        key=(str(EventKind.READ_FAILED), asset or "*", message),
    )


def manifest_invalid(at: datetime, diagnostics: Sequence[str]) -> Event:
    first = diagnostics[0] if diagnostics else "unknown error"
    more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
    return Event(
        EventKind.MANIFEST_INVALID,
        at,
        f"the manifests no longer validate: {first}{more}; watching with the last valid manifests",
        details={"diagnostics": list(diagnostics)},
        key=(str(EventKind.MANIFEST_INVALID), *diagnostics),
    )


def webhook_failed(at: datetime, webhook: str, message: str, about: Event | None) -> Event:
    what = f"the {about.kind} event" if about is not None else "events"
    return Event(
        EventKind.WEBHOOK_FAILED,
        at,
        f"{webhook}: could not deliver {what}: {message}",
        asset=about.asset if about is not None else None,
        address=about.address if about is not None else None,
        details={"webhook": webhook, "message": message, "event_kind": str(about.kind) if about else None},
    )
