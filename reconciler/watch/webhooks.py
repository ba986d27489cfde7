"""Delivering events to chat webhooks without ever holding up the watch loop.

Each URL gets a bounded queue and a worker thread of its own, so a dead webhook delays nobody
else. A delivery is a ``POST`` of ``{"text": one line, "event": the JSON event}`` (Slack,
Mattermost and most chat relays show ``text``), retried with exponential backoff on a transport
error, a 5xx or a 429. A full queue drops the event; a delivery that fails for good or is dropped
is reported through ``on_failure``, never raised.

URLs are secrets (a chat webhook URL is its own credential): they are registered with the
redaction layer, and messages name a webhook by number and host only.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler import __version__
from reconciler.core.redaction import redact, register_secret
from reconciler.watch.events import Event

QUEUE_SIZE = 1000
ATTEMPTS = 5
BASE_DELAY_S = 0.5
MAX_DELAY_S = 8.0
TIMEOUT_S = 5.0

FailureReport = Callable[[str, str, Event | None], None]
"""Told ``(webhook name, what went wrong, the event or None)``; called on a worker thread."""


class WebhookURLError(ValueError):
    pass


def webhook_name(index: int, url: str) -> str:
    """``webhook 1 (chat.example.com)``: how messages name a webhook (never its path or query)."""
    try:
        host = httpx.URL(url).host or "?"
    except (httpx.InvalidURL, TypeError, ValueError):
        host = "?"
    return f"webhook {index} ({host})"


def check_webhook_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise WebhookURLError("not a URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise WebhookURLError("expected an http:// or https:// URL with a host")
    return parsed


def webhook_body(event: Event) -> dict[str, Any]:
    return {"text": event.line(), "event": event.to_json()}


@dataclass
class _Stats:
    delivered: int = 0
    failed: int = 0


class Webhook:
    """One URL's queue and worker."""

    def __init__(
        self, index: int, url: str, on_failure: FailureReport, transport: httpx.BaseTransport | None
    ):
        register_secret(url)
        self.name = webhook_name(index, url)
        self.url = url
        self.on_failure = on_failure
        self.stats = _Stats()
        self._queue: queue.Queue[Event | None] = queue.Queue(QUEUE_SIZE)
        self._stop = threading.Event()
        self._http = httpx.Client(
            timeout=TIMEOUT_S,
            transport=transport,
            headers={"User-Agent": f"reconciler/{__version__}", "Content-Type": "application/json"},
            follow_redirects=False,
        )
        self._thread = threading.Thread(target=self._work, name=f"reconciler-{self.name}", daemon=True)
        self._thread.start()

    def send(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.stats.failed += 1
            self.on_failure(self.name, f"queue full ({QUEUE_SIZE} events waiting); event dropped", event)

    def close(self, timeout: float) -> None:
        """Let queued deliveries finish for up to ``timeout`` seconds, then stop; the events still
        waiting then are reported as not delivered (never dropped without a word)."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=max(timeout, 0.01))
        self._thread.join(max(0.0, deadline - time.monotonic()))
        self._stop.set()
        self._thread.join(0.5)
        left = self._drain()
        if left:
            self.stats.failed += left
            self.on_failure(
                self.name, f"{left} event(s) not delivered: watch stopped before their turn", None
            )
        self._http.close()

    def _drain(self) -> int:
        left = 0
        while True:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                return left
            left += event is not None

    def _work(self) -> None:
        while not self._stop.is_set():
            event = self._queue.get()
            if event is None:
                return
            problem = self._deliver(event)
            if problem is None:
                self.stats.delivered += 1
            else:
                self.stats.failed += 1
                self.on_failure(self.name, problem, event)

    def _deliver(self, event: Event) -> str | None:
        content = redact(json.dumps(webhook_body(event), ensure_ascii=False)).encode()
        problem = "not sent"
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._http.post(self.url, content=content)
            except httpx.HTTPError as exc:
                problem = redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            else:
                if response.is_success:
                    return None
                problem = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    return problem  # the receiver refuses this body: retrying cannot help
            if attempt < ATTEMPTS and self._stop.wait(min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (attempt - 1))):
                return f"{problem}; stopped before retrying"
        return f"{problem} after {ATTEMPTS} attempts"


class Webhooks:
    """Every ``--webhook``: :meth:`send` queues an event for each and returns at once."""

    def __init__(
        self,
        urls: Sequence[str],
        on_failure: FailureReport,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.hooks: list[Webhook] = []
        self.refused: list[tuple[str, str]] = []  # (name, why) of URLs that cannot be used
        for index, url in enumerate(urls, start=1):
            try:
                check_webhook_url(url)
            except WebhookURLError as exc:
                register_secret(url)
                self.refused.append((webhook_name(index, url), str(exc)))
                continue
            self.hooks.append(Webhook(index, url, on_failure, transport))

    def send(self, event: Event) -> None:
        for hook in self.hooks:
            hook.send(event)

    def close(self, timeout: float) -> None:
        """Give queued deliveries ``timeout`` seconds in all, then stop every worker."""
        deadline = time.monotonic() + timeout
        for hook in self.hooks:
            hook.close(max(0.0, deadline - time.monotonic()))
