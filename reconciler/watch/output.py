"""Where events go: a JSON line on standard output, a human line on standard error at a
terminal, every webhook, and the event counters of the metrics. Safe to call from any thread
(the loop and the webhook workers both emit)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import TextIO

from reconciler.core.redaction import redact
from reconciler.watch.events import Event, EventKind, webhook_failed
from reconciler.watch.metrics import WatchMetrics
from reconciler.watch.webhooks import Webhooks


class Outputs:
    def __init__(
        self,
        stdout: TextIO,
        stderr: TextIO,
        *,
        human: bool,
        metrics: WatchMetrics | None = None,
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.human = human
        self.metrics = metrics
        self.webhooks: Webhooks | None = None
        self.emitted: list[EventKind] = []
        self.last_now: datetime | None = None  # the target's clock at the last reading
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        line = json.dumps(event.to_json(), ensure_ascii=False)
        with self._lock:
            self.emitted.append(event.kind)
            self.stdout.write(line + "\n")
            self.stdout.flush()
            if self.human:
                self.stderr.write(event.line() + "\n")
                self.stderr.flush()
        if self.metrics is not None:
            self.metrics.count_event(event)
        if self.webhooks is not None and event.kind is not EventKind.WEBHOOK_FAILED:
            self.webhooks.send(event)

    def log(self, text: str) -> None:
        """A line for the operator on standard error (always, terminal or not)."""
        with self._lock:
            self.stderr.write(redact(text) + "\n")
            self.stderr.flush()

    def webhook_failure(self, webhook: str, message: str, about: Event | None) -> None:
        """The webhooks' failure report: an event of its own (never sent to a webhook)."""
        self.emit(webhook_failed(self.last_now or datetime.now(UTC), webhook, message, about))
