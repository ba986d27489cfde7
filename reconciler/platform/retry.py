"""When to try a request again, and how long to wait first.

Only GET and PUT are retried: both are idempotent here (a schedule PUT is a per-point upsert,
D1; a bid PUT replaces one product's bids, D12). POST never is. Retried: 5xx, 429 (waiting at
least its ``Retry-After``), connection errors, resets and timeouts. The wait grows
exponentially with "equal jitter" (half fixed, half random) so parallel clients spread out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRYABLE_METHODS = frozenset({"GET", "PUT"})
TOO_MANY_REQUESTS = 429

# Failures where no HTTP answer came back; LocalProtocolError/UnsupportedProtocol are our bugs.
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 0.25  # seconds before the second attempt (before jitter)
    max_delay: float = 8.0  # cap of one wait
    max_retry_after: float = 60.0  # a longer Retry-After is not waited for: the error is raised

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * float(2 ** (attempt - 1)))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def should_retry_status(method: str, status: int) -> bool:
    return method in RETRYABLE_METHODS and (status >= 500 or status == TOO_MANY_REQUESTS)


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date); None if absent/invalid."""
    if header is None:
        return None
    value = header.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
