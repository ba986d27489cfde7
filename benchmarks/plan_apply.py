"""Plan and apply against the sandbox for fleets of 10, 50 and 200 assets, at 0 and 50 ms latency.

For each run it prints the wall time, the requests made, and for plan the lower bound a client
with this parallelism could reach: the reads it needs ÷ parallelism × latency, plus the time of
the same plan at 0 ms (the work that is not waiting). Targets: plan ≤ 1.5 × the bound at 50 assets,
parallelism 10, 50 ms; apply makes exactly one write per changed object.

    python benchmarks/plan_apply.py                 # the full table (a few minutes)
    python benchmarks/plan_apply.py --assets 50 --latency 50
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleet import ServedSandbox, machine, run_cli, served_sandbox, stamp, write_fixture, write_project

TARGET_RATIO = 1.5


@dataclass
class Run:
    wall: float
    requests: int
    reads: int
    writes: int
    write_paths: int


def _run(sandbox: ServedSandbox, *args: str) -> tuple[Run, str]:
    before = len(sandbox.requests())
    started = time.perf_counter()
    code, output = run_cli(*args)
    wall = time.perf_counter() - started
    if code not in (0, 2):
        raise SystemExit(f"reconciler {' '.join(args)} failed ({code}):\n{output}")
    log = sandbox.requests()[before:]
    methods = Counter(entry["method"] for entry in log)
    puts = [entry["path"] for entry in log if entry["method"] == "PUT"]
    return Run(wall, len(log), methods["GET"], len(puts), len(set(puts))), output


def measure(assets: int, latencies: list[int], parallelism: int) -> list[dict[str, Any]]:
    """Plan and apply once per latency, each on a fresh sandbox of ``assets`` assets."""
    rows: list[dict[str, Any]] = []
    base_plan: float | None = None
    for latency in sorted(latencies):
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            fixture = write_fixture(root / "fixture.yaml", assets)
            with served_sandbox(fixture) as sandbox:
                project = write_project(root / "project", sandbox.url, assets)
                if latency:
                    sandbox.set_faults(latencyMs=latency)
                common = ("--parallelism", str(parallelism))
                plan, output = _run(sandbox, "plan", str(project), "--format", "json", *common)
                changes = len(json.loads(output)["changes"])
                apply, _ = _run(sandbox, "apply", str(project), "--auto-approve", *common)
        if latency == 0:
            base_plan = plan.wall
        bound = None if base_plan is None else base_plan + plan.reads / parallelism * latency / 1000
        rows.append(
            {
                "assets": assets,
                "latency_ms": latency,
                "plan_s": plan.wall,
                "plan_requests": plan.requests,
                "plan_reads": plan.reads,
                "bound_s": bound,
                "ratio": None if bound is None else plan.wall / bound,
                "changes": changes,
                "apply_s": apply.wall,
                "apply_requests": apply.requests,
                "apply_writes": apply.writes,
                "one_write_per_change": apply.writes == apply.write_paths == changes,
            }
        )
    return rows


def show(rows: list[dict[str, Any]], parallelism: int) -> None:
    print(f"plan and apply, parallelism {parallelism}; {machine()}; {stamp()}")
    print(
        f"{'assets':>6} {'latency':>7} | {'plan s':>7} {'requests':>8} {'reads':>6} {'bound s':>7} {'ratio':>5}"
        f" | {'apply s':>7} {'requests':>8} {'writes':>6} {'changes':>7} {'1 write/change':>14}"
    )
    for r in rows:
        bound = f"{r['bound_s']:7.2f}" if r["bound_s"] is not None else f"{'-':>7}"
        ratio = f"{r['ratio']:5.2f}" if r["ratio"] is not None else f"{'-':>5}"
        print(
            f"{r['assets']:>6} {r['latency_ms']:>5}ms | {r['plan_s']:7.2f} {r['plan_requests']:>8} "
            f"{r['plan_reads']:>6} {bound} {ratio} | {r['apply_s']:7.2f} {r['apply_requests']:>8} "
            f"{r['apply_writes']:>6} {r['changes']:>7} {'yes' if r['one_write_per_change'] else 'NO':>14}"
        )
    for r in rows:
        if r["assets"] == 50 and r["latency_ms"] == 50 and r["ratio"] is not None and parallelism == 10:
            verdict = "meets" if r["ratio"] <= TARGET_RATIO else "MISSES"
            print(
                f"target: plan at 50 assets, 50 ms, parallelism 10 is {r['ratio']:.2f} x the bound: {verdict} ≤ {TARGET_RATIO}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--latency", type=int, nargs="+", default=[0, 50], help="ms; 0 is always run first")
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    options = parser.parse_args()
    latencies = sorted({0, *options.latency})  # the bound needs the 0 ms time
    rows = [row for assets in options.assets for row in measure(assets, latencies, options.parallelism)]
    if options.json:
        print(json.dumps(rows, indent=2))
    else:
        show(rows, options.parallelism)


if __name__ == "__main__":
    main()
