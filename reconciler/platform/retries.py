"""How long the reads of one step (a plan's reads, a saved plan's check, apply's re-reads) retry.

Each read retries as often as fits within ``seconds`` of its own first attempt (so a read late in
a long portfolio has the same chance as the first), never past ``until`` (the earliest deadline
the step serves). When reads keep exhausting their time (at least :data:`TRIP_COUNT` of them, and
more than :data:`TRIP_SHARE` of the reads finished so far) the platform is down rather than
flaky: the step's later reads get one attempt each, so it fails within about ``seconds`` instead
of ``seconds`` per read.
"""

from __future__ import annotations

import threading
import time

from reconciler.platform.session import Budget

TRIP_COUNT = 5
TRIP_SHARE = 0.1


class ReadRetries:
    """Shared by the reads of one step; safe between threads."""

    def __init__(self, seconds: float, until: float | None = None) -> None:
        self.seconds = seconds
        self.until = until
        self._lock = threading.Lock()
        self._finished = 0
        self._gave_up = 0

    def budget(self) -> Budget:
        """The budget of a read whose first attempt starts now."""
        now = time.monotonic()
        if self.tripped:
            return Budget(retry_until=now)
        end = now + self.seconds
        return Budget(retry_until=end if self.until is None else min(end, self.until))

    def finished(self, gave_up: bool) -> None:
        with self._lock:
            self._finished += 1
            self._gave_up += gave_up

    @property
    def tripped(self) -> bool:
        with self._lock:
            return self._gave_up >= TRIP_COUNT and self._gave_up > TRIP_SHARE * self._finished
