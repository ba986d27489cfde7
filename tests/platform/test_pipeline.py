"""The read pipeline: every call's answer comes back once, calls added by an answer included,
never more than ``parallelism`` at once; failures settle as ``gather_settled`` settles them."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from reconciler.platform.errors import AuthError, NotFoundError
from reconciler.platform.pipeline import Pipeline


class Gauge:
    """Counts calls running at once (the most seen), without timing anything."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def call(self, value: int, gate: threading.Event | None = None) -> Callable[[], int]:
        def run() -> int:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            if gate is not None:
                gate.wait(10)
            with self.lock:
                self.now -= 1
            return value

        return run


def test_every_answer_comes_back_once_including_calls_added_by_answers() -> None:
    gauge = Gauge()
    seen: dict[str, int] = {}
    with Pipeline[str](3) as pipeline:
        for n in range(20):
            pipeline.add(f"first/{n}", gauge.call(n))
        for key, value in pipeline.results():
            assert key not in seen
            seen[key] = value
            if key.startswith("first/"):  # an asset's second step, started from its first answer
                pipeline.add(f"second/{value}", gauge.call(value * 10), first=True)
    assert seen == {**{f"first/{n}": n for n in range(20)}, **{f"second/{n}": n * 10 for n in range(20)}}


def test_never_more_calls_at_once_than_the_parallelism() -> None:
    gauge = Gauge()
    gate = threading.Event()
    with Pipeline[int](4) as pipeline:
        for n in range(12):
            pipeline.add(n, gauge.call(n, gate))
        gate.set()
        values = sorted(value for _, value in pipeline.results())
    assert values == list(range(12))
    assert 1 <= gauge.most <= 4


def test_a_call_s_platform_error_comes_back_in_its_place() -> None:
    def missing() -> int:
        raise NotFoundError(404, "GET", "/x", "not found")

    with Pipeline[str](2) as pipeline:
        pipeline.add("ok", lambda: 1)
        pipeline.add("missing", missing)
        answers = dict(pipeline.results())
    assert answers["ok"] == 1
    assert isinstance(answers["missing"], NotFoundError)


@pytest.mark.parametrize("error", [AuthError(401, "GET", "/x", "refused"), RuntimeError("a bug")])
def test_a_run_wide_error_or_a_bug_stops_the_run_and_is_raised(error: Exception) -> None:
    started: list[int] = []

    def fails() -> int:
        raise error

    def later(n: int) -> Callable[[], int]:
        def run() -> int:
            started.append(n)
            return n

        return run

    with pytest.raises(type(error)), Pipeline[int](1) as pipeline:
        pipeline.add(0, fails)
        for n in range(1, 5):
            pipeline.add(n, later(n))
        list(pipeline.results())
    assert started == []  # one at a time: nothing queued behind the failure started


def test_parallelism_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Pipeline[int](0)
