"""How soon ``reconciler watch`` tells the desk, for fleets of 10, 50 and 200 assets.

A fleet is applied (a 2-hour charge and an FCR bid per asset), ``reconciler watch`` runs as its
own process against a ``reconciler sandbox`` process, and the sandbox clock is moved past the FCR
result publication: the figure is the wall time from that move until the last of the fleet's
``auction_result`` events is on watch's standard output. Also printed: one ``watch --once``
cycle. The issue's target: a correction reaches the desk within a minute (the test asks 10 s).

    python benchmarks/watch_latency.py                  # 10, 50 and 200 assets
    python benchmarks/watch_latency.py --assets 50
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from fleet import PASSWORD, USER, fixture_data, machine, run_cli, served_sandbox, stamp, write_project

PUBLISHED = "2026-11-23T08:21:00+01:00"  # FCR results for 2026-11-24 are out at 08:20 D-1


def measure(assets: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        data = fixture_data(assets)
        data["clearingPrices"] = {"FCR": 120}  # the fleet bids 95: every bid clears
        fixture = root / "fixture.yaml"
        fixture.write_text(yaml.safe_dump(data, sort_keys=False).replace("'0.95'", "0.95"), encoding="utf-8")
        with served_sandbox(fixture) as sandbox:
            project = write_project(root / "project", sandbox.url, assets)
            code, output = run_cli("apply", str(project), "--auto-approve", "--quiet")
            if code != 0:
                raise SystemExit(f"apply failed ({code}):\n{output}")
            started = time.perf_counter()
            once, _ = run_cli("watch", str(project), "--once")
            one_cycle = time.perf_counter() - started
            if once != 0:
                raise SystemExit(f"watch --once after apply exited {once}")
            env = {**os.environ, "LAYR_USERNAME": USER, "LAYR_PASSWORD": PASSWORD}
            process = subprocess.Popen(
                [sys.executable, "-m", "reconciler", "watch", str(project)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            try:
                assert process.stdout is not None and process.stderr is not None
                for line in process.stderr:
                    if "first reading done" in line:
                        break
                moved = time.perf_counter()
                httpx.post(f"{sandbox.url}/_sandbox/clock", json={"now": PUBLISHED}, timeout=60)
                told = 0
                for line in process.stdout:
                    if json.loads(line)["kind"] == "auction_result":
                        told += 1
                        if told == assets:
                            break
                latency = time.perf_counter() - moved
            finally:
                process.terminate()
                process.wait(10)
    return one_cycle, latency, told


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, action="append", help="fleet size (repeatable)")
    args = parser.parse_args()
    sizes = args.assets or [10, 50, 200]
    print(f"# watch latency, {stamp()}, {machine()}")
    print("| assets | one `watch --once` cycle | clock moved → last auction_result told | events |")
    print("| ---: | ---: | ---: | ---: |")
    for size in sizes:
        one_cycle, latency, told = measure(size)
        print(f"| {size} | {one_cycle:.1f} s | {latency:.1f} s | {told} |", flush=True)


if __name__ == "__main__":
    main()
