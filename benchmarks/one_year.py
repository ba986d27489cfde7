"""A one-year asset end to end (issue 12.4): ``plan`` of a 35 040-row CSV schedule against the
embedded sandbox, then ``show`` of the saved plan (35 040 changed periods), each in a fresh
process as a user runs them (bytecode cached: one untimed run first); wall time, best and median
of N runs.

The asset lives from 2026-11-24 to 2027-11-24 (both DST changes inside: 92 and 100 quarter-hours),
the clock is the fleet's (2026-11-23 06:55 CET). The schedule alternates 1 000 kW charging and
902.5 kW discharging (= 1 000 × 0.95 × 0.95), which leaves the stored energy where it was, so
every period is a change and none needs correcting. Targets: plan under 3 s, show under 1 s.

    python benchmarks/one_year.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from fleet import ORG, asset_id, fixture_data, machine, stamp

START = datetime(2026, 11, 24, tzinfo=ZoneInfo("Europe/Berlin"))
END = datetime(2027, 11, 24, tzinfo=ZoneInfo("Europe/Berlin"))
TARGET_PLAN_S, TARGET_SHOW_S = 3.0, 1.0


def write_project(root: Path) -> tuple[Path, int]:
    """The project (embedded target, one asset, its CSV); the number of periods."""
    root.mkdir(parents=True, exist_ok=True)
    data = fixture_data(1)
    asset = data["organisations"][0]["virtualAssets"][0]
    asset["start"], asset["end"] = START.isoformat(), END.isoformat()
    (root / "fixture.yaml").write_text(yaml.safe_dump(data, sort_keys=False).replace("'0.95'", "0.95"))
    (root / "reconciler.yaml").write_text(
        f"default: embedded\ntargets:\n  embedded: {{kind: embedded, fixture: fixture.yaml, organisation: {ORG}}}\n"
    )
    utc, end = START.astimezone(ZoneInfo("UTC")), END.astimezone(ZoneInfo("UTC"))
    rows = ["time,power"]
    while utc < end:
        rows.append(f"{utc:%Y-%m-%dT%H:%M}Z,{'-1000' if len(rows) % 2 else '902.5'}")
        utc += timedelta(minutes=15)
    (root / "year.csv").write_text("\n".join(rows) + "\n")
    (root / "year.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: VirtualAsset\nmetadata: {name: one-year}\n"
        f"spec:\n  virtualAsset: {asset_id(1)}\n"
        "  wholesale: {unit: kW, mode: partial, schedule: {csv: year.csv}}\n"
    )
    return root, len(rows) - 1


# As an installed reconciler runs: with its bytecode cached (an environment that forbids writing it,
# as some CI shells do, would have every run compile the modules it imports, about 0.2 s).
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def wall(command: list[str], accept: tuple[int, ...]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=ENV)
    took = time.perf_counter() - started
    if done.returncode not in accept:
        raise SystemExit(
            f"{' '.join(command)} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}"
        )
    return took, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    cli = [sys.executable, "-m", "reconciler"]
    with tempfile.TemporaryDirectory() as scratch:
        project, periods = write_project(Path(scratch) / "project")
        plan_file = Path(scratch) / "plan.json"
        plans, shows = [], []
        summary = "?"
        wall([*cli, "plan", str(project), "--out", str(plan_file)], (0,))  # untimed: caches bytecode
        for _ in range(options.runs):
            took, output = wall(
                [*cli, "plan", str(project), "--out", str(plan_file), "--detailed-exitcode"], (2,)
            )
            plans.append(took)
            summary = next((line for line in output.splitlines() if line.startswith("Plan:")), summary)
        for _ in range(options.runs):
            shows.append(wall([*cli, "show", str(plan_file), "--no-color"], (0,))[0])
    print(f"one-year CSV asset ({periods} periods), embedded sandbox; {machine()}; {stamp()}")
    print(f"  {summary}")
    for name, runs, target in (("plan", plans, TARGET_PLAN_S), ("show", shows, TARGET_SHOW_S)):
        print(
            f"  {name}: best {min(runs):.2f} s, median {statistics.median(runs):.2f} s "
            f"of {len(runs)} (target under {target} s)"
        )


if __name__ == "__main__":
    main()
