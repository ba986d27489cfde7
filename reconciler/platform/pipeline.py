"""Reads that run at most ``parallelism`` at a time and hand each answer back as it lands.

:meth:`PlatformClient.gather_settled` waits for a whole batch; a plan of many assets would wait
for every asset's first read before any second read starts, and for every read before planning
anything. A :class:`Pipeline` instead runs reads on worker threads, starts the next queued read
the moment one ends (reads added by an answer go first, so an asset already begun finishes before
new ones start), and yields each answer to the calling thread as it lands: that thread plans an
asset while the workers wait on the network for the next ones.

Failures are settled like :meth:`~PlatformClient.gather_settled` settles them: a call's
:class:`PlatformError` comes back in its place; a run-wide one
(:data:`~reconciler.platform.errors.RUN_WIDE_ERRORS`) starts no further call and is raised once
the calls in flight have ended; any other exception (a bug) is raised the same way.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from reconciler.platform.errors import RUN_WIDE_ERRORS, PlatformError

Call = Callable[[], Any]
K = TypeVar("K", bound=Hashable)


class Pipeline(Generic[K]):
    """Calls keyed by the caller, run ``parallelism`` at a time; see the module docstring.

    Usage::

        with Pipeline(10) as pipeline:
            pipeline.add(key, call)
            for key, value in pipeline.results():   # value: the call's result or its PlatformError
                ...pipeline.add(other_key, other_call, first=True)...
    """

    def __init__(self, parallelism: int) -> None:
        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        self._limit = parallelism
        self._pool = ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="read")
        self._lock = threading.Lock()
        self._waiting: deque[tuple[K, Call]] = deque()
        self._running = 0
        self._outstanding = 0  # added and not yet handed back (nor dropped after a stop)
        self._stopped: BaseException | None = None
        self._answers: queue.SimpleQueue[tuple[K, Any]] = queue.SimpleQueue()

    def __enter__(self) -> Pipeline[K]:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._outstanding -= len(self._waiting)
            self._waiting.clear()
        self._pool.shutdown(wait=True)

    def add(self, key: K, call: Call, *, first: bool = False) -> None:
        """Queue ``call``; ``first``: ahead of everything queued (the rest of a begun asset)."""
        with self._lock:
            if self._stopped is not None:
                return
            self._outstanding += 1
            if first:
                self._waiting.appendleft((key, call))
            else:
                self._waiting.append((key, call))
            self._start_more()

    def results(self) -> Iterator[tuple[K, Any]]:
        """Each call's key and value (or :class:`PlatformError`) as it lands, until none is left
        (calls added meanwhile included); then the run-wide error or bug that stopped it, if any."""
        while True:
            with self._lock:
                if self._outstanding == 0:
                    break
            key, value = self._answers.get()
            with self._lock:
                self._outstanding -= 1
            if self._stopped is None:
                yield key, value
        if self._stopped is not None:
            raise self._stopped

    def _start_more(self) -> None:  # with the lock held
        while self._running < self._limit and self._waiting and self._stopped is None:
            key, call = self._waiting.popleft()
            self._running += 1
            self._pool.submit(self._run, key, call)

    def _run(self, key: K, call: Call) -> None:
        try:
            value: Any = call()
        except PlatformError as error:
            value = error
            if isinstance(error, RUN_WIDE_ERRORS):
                self._stop(error)
        except BaseException as error:  # a bug: raised in the calling thread
            value = error
            self._stop(error)
        self._answers.put((key, value))
        with self._lock:
            self._running -= 1
            self._start_more()

    def _stop(self, error: BaseException) -> None:
        with self._lock:
            if self._stopped is None:
                self._stopped = error
            self._outstanding -= len(self._waiting)
            self._waiting.clear()
