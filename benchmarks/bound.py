"""``plan`` and ``apply`` at 50 ms latency against the network lower bound, and ``apply`` against
the naive script (issue 12.3), every ratio from one run.

Each fleet (the assets of ``benchmarks/scale.py``: a full-day schedule, an FCR and an aFRR bid
each) gets a fresh sandbox in its own process with the fault plan ``latencyMs``; ``plan`` then
``apply --auto-approve`` run as a user runs them, each in a fresh process (parallelism 10). The
bound of a command is what a perfect client with that parallelism could do: its requests ÷
parallelism × latency, plus its own CPU time (``wait4``). The naive script
(``benchmarks/naive_apply.py``: four sequential requests per asset) runs on another fresh sandbox
with the same latency; a ``plan`` afterwards shows it left nothing to do. Targets: each command
≤ 1.3 × its bound; apply of 50 assets ≤ 0.5 × the naive script.

    python benchmarks/bound.py                       # 50, 200 and 500 assets (about 10 minutes)
    python benchmarks/bound.py --assets 50           # one row; --naive 0 skips the naive script
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from fleet import Timed, machine, served_sandbox, stamp, timed, write_fixture
from scale import write_project

TARGET_BOUND = 1.3
TARGET_NAIVE = 0.5
HERE = Path(__file__).resolve().parent


def reconciler(*args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *args]


def bound(run: Timed, parallelism: int, latency_ms: int) -> float:
    return run.requests / parallelism * latency_ms / 1000 + run.cpu_s


def changes(run: Timed) -> str:
    return next((line for line in run.output.splitlines() if line.startswith(("Plan:", "No changes"))), "?")


def measure(count: int, latency_ms: int, parallelism: int, naive: bool) -> list[str]:
    rows = []
    common = ("--parallelism", str(parallelism))
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        fixture = write_fixture(root / "fixture.yaml", count)
        with served_sandbox(fixture) as sandbox:
            project = write_project(root / "project", sandbox.url, count)
            sandbox.set_faults(latencyMs=latency_ms)
            plan = timed(sandbox, reconciler("plan", str(project), *common))
            apply = timed(sandbox, reconciler("apply", str(project), "--auto-approve", *common))
        for name, run in (("plan", plan), ("apply", apply)):
            b = bound(run, parallelism, latency_ms)
            rows.append(
                f"{count:>6} {name:>5} | {run.wall_s:7.2f} {run.requests:>8} {run.cpu_s:7.2f} "
                f"{run.sandbox_cpu_s:8.2f} {b:7.2f} {run.wall_s / b:6.2f}"
            )
        if naive:
            with served_sandbox(fixture) as sandbox:
                project = write_project(root / "naive", sandbox.url, count)
                sandbox.set_faults(latencyMs=latency_ms)
                script = timed(
                    sandbox, [sys.executable, str(HERE / "naive_apply.py"), sandbox.url, str(count)], (0,)
                )
                sandbox.set_faults(latencyMs=0)
                after = timed(sandbox, reconciler("plan", str(project), *common))
            rows.append(
                f"{count:>6} naive | {script.wall_s:7.2f} {script.requests:>8} {script.cpu_s:7.2f} "
                f"{script.sandbox_cpu_s:8.2f}   apply ÷ naive {apply.wall_s / script.wall_s:.2f} "
                f"(target ≤ {TARGET_NAIVE}); plan after it: {changes(after)}"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--latency", type=int, default=50, help="ms per request (the sandbox's latencyMs)")
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument(
        "--naive", type=int, nargs="*", default=[50], help="fleets the naive script also runs"
    )
    options = parser.parse_args()
    print(
        f"plan and apply at {options.latency} ms, parallelism {options.parallelism}; "
        f"bound = requests ÷ parallelism × latency + client CPU; targets ≤ {TARGET_BOUND} × bound; "
        f"{machine()}; {stamp()}"
    )
    print(
        f"{'assets':>6} {'':>5} | {'wall s':>7} {'requests':>8} {'CPU s':>7} {'sandbox':>8} {'bound s':>7} {'ratio':>6}"
    )
    for count in options.assets:
        for row in measure(count, options.latency, options.parallelism, count in options.naive):
            print(row, flush=True)


if __name__ == "__main__":
    main()
