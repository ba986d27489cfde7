"""Local work on 100 000 periods: validate the manifests and diff them against live state.

35 assets of 30 days each (100 800 quarter-hours) with every period written in the manifests, most
of them different from live. Live state is read once from an in-process sandbox (one asset, then
copied under the other IDs: the reads are not what is measured). Then, with no I/O:

- validate: ``load_manifests`` (YAML, schema, CSV rows or ranges, times, units);
- diff: the pure diff of every asset (schedule and bids) into the writes of a plan;
- the whole planner (``make_plan``: the diff plus capacity checks and the SoC projection), for
  comparison, and the plan's digest (its JSON, read back and hashed: what every rendering prints).

CPU seconds come from ``time.process_time`` (validate and diff: the best of three runs in one
process, and the first run's sum, which also pays one-time costs such as compiling patterns and
loading the schema), peak memory from ``tracemalloc`` (a further pass).
Target (issue 12.4): validate + diff under 0.7 s of CPU.

    python benchmarks/local_work.py
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from fleet import ORG, PASSWORD, USER, asset_id, asset_name, machine, stamp, write_fixture

from reconciler.manifest import LoadResult, load_manifests
from reconciler.market import MARKET_TZ
from reconciler.plan.build import make_plan
from reconciler.plan.changes import diff_bids, diff_schedule, schedule_change
from reconciler.plan.model import Plan, TargetInfo
from reconciler.plan.planfile import plan_digest
from reconciler.plan.requests import requests_for
from reconciler.platform import Credentials, PlatformClient
from reconciler.platform.ancillary import DEFAULT_ANCILLARY_API
from reconciler.platform.live import LiveAsset, LiveState
from reconciler.platform.reading import ReadScope, read_live
from reconciler.sandbox.server import running_sandbox

ASSETS, DAYS = 35, 30
TARGET_CPU_S = 0.7
RUNS = 3  # validate + diff are timed RUNS times in one process; the best is reported (as timeit does)
T = TypeVar("T")


def write_manifests(root: Path, style: str) -> Path:
    """One manifest per asset covering all its periods: ``csv`` (a row per period) or ``ranges``
    (an hourly profile written as one range per block of hours, repeated every day)."""
    root.mkdir(parents=True)
    start = datetime(2026, 11, 23)
    for i in range(1, ASSETS + 1):
        head = (
            "apiVersion: reconciler/v1\nkind: VirtualAsset\n"
            f"metadata: {{name: {asset_name(i)}}}\nspec:\n  virtualAsset: {asset_id(i)}\n"
        )
        if style == "csv":
            rows = ["time,power"]
            for q in range(DAYS * 96):
                moment = start + timedelta(minutes=15 * q)
                rows.append(f"{moment:%Y-%m-%dT%H:%M},{(q % 9 - 4) * 250}")
            (root / f"{asset_name(i)}.csv").write_text("\n".join(rows) + "\n")
            wholesale = f"  wholesale: {{mode: exact, schedule: {{csv: {asset_name(i)}.csv}}}}\n"
        else:
            entries = []
            for day in range(DAYS):
                date = start + timedelta(days=day)
                for hour, kw in ((0, -1000), (6, 500), (10, -750), (14, 0), (17, 1000), (21, -250)):
                    end_hour = {0: 6, 6: 10, 10: 14, 14: 17, 17: 21, 21: 24}[hour]
                    end = date + timedelta(hours=end_hour)
                    entries.append(
                        f'    - {{from: "{date + timedelta(hours=hour):%Y-%m-%dT%H:%M}", '
                        f'to: "{end:%Y-%m-%dT%H:%M}", power: {kw}}}'
                    )
            wholesale = "  wholesale:\n    mode: exact\n    schedule:\n" + "\n".join(entries) + "\n"
        bids = "  fcr: {unit: MW, bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 1, capacityPrice: 95}]}\n"
        (root / f"{asset_name(i)}.yaml").write_text(head + wholesale + bids)
    return root


def read_live_state(root: Path) -> tuple[LiveState, datetime]:
    """One asset read over HTTP from a sandbox, copied under every other ID (same shape)."""
    fixture = write_fixture(root / "fixture.yaml", 1, days=DAYS)
    with running_sandbox(fixture) as sandbox:
        credentials = Credentials(username=USER, password=PASSWORD)
        now = sandbox.now()
        with PlatformClient(sandbox.url, ORG, credentials) as client:
            one = read_live(client, {asset_id(1): ReadScope()}, now).assets[asset_id(1)]
    assets: dict[str, LiveAsset] = {}
    for i in range(1, ASSETS + 1):
        va = dataclasses.replace(one.va, id=asset_id(i))
        assets[va.id] = dataclasses.replace(one, va=va)
    return LiveState(assets=assets, missing={}), now


def cpu(work: Callable[[], T]) -> tuple[T, float]:
    gc.collect()
    started = time.process_time()
    result = work()
    return result, time.process_time() - started


def peak_mb(work: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def diff_all(loaded: LoadResult, live: LiveState, now: datetime) -> int:
    """The pure diff of every manifest: schedule periods and bids -> the changes, and the request
    of each (as the plan's JSON and apply derive them). Returns the number of periods to write."""
    written = 0
    for manifest in loaded.manifests:
        asset = live.assets[manifest.virtual_asset]
        schedule = diff_schedule(manifest, asset, now)
        change = schedule_change(manifest, asset, schedule)
        bids = diff_bids(manifest, asset, now)
        requests_for([*bids.changes, *([change] if change else [])], ORG, DEFAULT_ANCILLARY_API)
        written += len(change.after) if change else 0
    return written


def run(style: str, live: LiveState, now: datetime, root: Path) -> dict[str, Any]:
    folder = write_manifests(root / style, style)
    first_validate = first_diff = 0.0
    validate_s = diff_s = float("inf")
    for attempt in range(RUNS):
        loaded, took = cpu(lambda: load_manifests([folder]))
        if not loaded.ok:
            raise SystemExit("\n".join(d.render() for d in loaded.diagnostics[:10]))
        writes, diffed = cpu(partial(diff_all, loaded, live, now))
        if attempt == 0:
            first_validate, first_diff = took, diffed
        validate_s, diff_s = min(validate_s, took), min(diff_s, diffed)
    periods = sum(len(m.wholesale.points) for m in loaded.manifests if m.wholesale)
    target = TargetInfo("bench", "http://127.0.0.1", ORG)
    plan, plan_s = cpu(lambda: make_plan(loaded.manifests, live, now, target))
    assert isinstance(plan, Plan)
    _, digest_s = cpu(lambda: plan_digest(plan))
    memory = peak_mb(lambda: diff_all(load_manifests([folder]), live, now))
    return {
        "style": style,
        "periods": periods,
        "writes": writes,
        "validate_s": validate_s,
        "diff_s": diff_s,
        "first_s": first_validate + first_diff,
        "make_plan_s": plan_s,
        "digest_s": digest_s,
        "peak_mb": memory,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--style", choices=["csv", "ranges"], nargs="+", default=["csv", "ranges"])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        live, now = read_live_state(root)
        rows = [run(style, live, now, root) for style in options.style]
    print(
        f"local work, {ASSETS} assets x {DAYS} days; {machine()}; {stamp()}; now {now.astimezone(MARKET_TZ):%Y-%m-%d %H:%M %Z}"
    )
    print(f"validate and diff: best of {RUNS} runs; 'first' is the first run's sum (one-time costs included)")
    print(
        f"{'manifests':>9} {'periods':>8} {'writes':>7} | {'validate':>8} {'diff':>6} {'sum':>6} {'first':>6} | {'make_plan':>9} {'digest':>7} | {'peak MB':>7}"
    )
    for r in rows:
        total = r["validate_s"] + r["diff_s"]
        print(
            f"{r['style']:>9} {r['periods']:>8} {r['writes']:>7} | {r['validate_s']:7.2f}s {r['diff_s']:5.2f}s "
            f"{total:5.2f}s {r['first_s']:5.2f}s | {r['make_plan_s']:8.2f}s {r['digest_s']:6.2f}s | {r['peak_mb']:7.0f}"
        )
        verdict = "meets" if total < TARGET_CPU_S else "MISSES"
        print(
            f"target: validate + diff of {r['periods']} periods ({r['style']}) in {total:.2f} s of CPU: {verdict} < {TARGET_CPU_S} s"
        )


if __name__ == "__main__":
    main()
