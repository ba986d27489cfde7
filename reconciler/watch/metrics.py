"""Prometheus series of ``reconciler watch --metrics-port N``, served at ``/metrics`` on loopback.

A registry of its own (no process or platform collectors: only what the README documents).
Label values are asset names, event kinds and drift causes, each passed through
:func:`reconciler.core.redaction.redact`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics, start_http_server

from reconciler.core.redaction import redact
from reconciler.plan.causes import Cause
from reconciler.watch.events import Event, EventKind

LOOPBACK = "127.0.0.1"
PREFIX = "reconciler_watch"


class WatchMetrics:
    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series: the README documents what is served
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.last_read = Gauge(
            f"{PREFIX}_last_successful_read_timestamp_seconds",
            "Unix time (wall clock) of the last successful read of an asset's live state",
            ["asset"],
            registry=r,
        )
        self.events = Counter(f"{PREFIX}_events", "Events emitted, by kind", ["kind"], registry=r)
        self.corrected = Counter(
            f"{PREFIX}_corrected_kw",
            "kW the platform cut from the manifests' schedule, summed over correction events",
            ["asset"],
            registry=r,
        )
        self.open_drift = Gauge(
            f"{PREFIX}_open_drift",
            "Differences between the manifests and live state at the last read, by cause",
            ["asset", "cause"],
            registry=r,
        )
        self.next_deadline = Gauge(
            f"{PREFIX}_next_deadline_timestamp_seconds",
            "Unix time of the earliest open deadline: a change not applied yet, or a managed bid",
            ["asset"],
            registry=r,
        )
        self.cycles = Counter(f"{PREFIX}_cycles", "Read cycles run, by outcome", ["outcome"], registry=r)
        for kind in EventKind:
            self.events.labels(kind=str(kind))
        for outcome in ("ok", "failed"):
            self.cycles.labels(outcome=outcome)
        self._lock = threading.Lock()
        self._server: Any = None

    def serve(self, port: int) -> str:
        """Start serving on loopback; returns the URL of ``/metrics``."""
        server, _ = start_http_server(port, addr=LOOPBACK, registry=self.registry)
        self._server = server
        return f"http://{LOOPBACK}:{server.server_port}/metrics"

    def shutdown(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def count_event(self, event: Event) -> None:
        with self._lock:
            self.events.labels(kind=str(event.kind)).inc()
            if event.kind is EventKind.CORRECTION and event.asset is not None:
                requested = event.details.get("requested_kw", 0)
                corrected = event.details.get("corrected_kw", 0)
                periods = event.details.get("periods", 1)
                self.corrected.labels(asset=redact(event.asset)).inc(abs(requested - corrected) * periods)

    def count_cycle(self, ok: bool) -> None:
        self.cycles.labels(outcome="ok" if ok else "failed").inc()

    def record_reads(self, assets: Iterable[str], wall_time: float) -> None:
        with self._lock:
            for asset in assets:
                self.last_read.labels(asset=redact(asset)).set(wall_time)

    def record_state(
        self, open_drift: Mapping[str, Mapping[str, int]], next_deadline: Mapping[str, datetime]
    ) -> None:
        """Replace the drift and deadline series with the last reading's (stale labels go)."""
        with self._lock:
            self.open_drift.clear()
            for asset, causes in open_drift.items():
                for cause in Cause:
                    self.open_drift.labels(asset=redact(asset), cause=str(cause)).set(
                        causes.get(str(cause), 0)
                    )
            self.next_deadline.clear()
            for asset, moment in next_deadline.items():
                self.next_deadline.labels(asset=redact(asset)).set(moment.timestamp())
