"""CPU and memory per asset: ``plan`` of a fleet whose every asset has a full-day schedule and two
bids (an FCR and an aFRR capacity bid), against a sandbox in a process of its own.

``plan`` runs as a user runs it, in a fresh process (``python -m reconciler plan``), and its own
CPU time (user + system) and peak resident memory come from the operating system (``wait4``);
the sandbox's CPU is read from ``/proc`` for comparison. Targets (issue 12): at most 15 ms of
client CPU per asset and 150 MB peak RSS at 500 assets, growing linearly (the 2 000-asset row).

    python benchmarks/scale.py                      # 500 and 2 000 assets (a few minutes)
    python benchmarks/scale.py --assets 100 --profile prof.out   # cProfile the client's main thread
    python benchmarks/scale.py --assets 500 --py-spy stacks.txt  # sample every thread (pip install py-spy)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fleet import ORG, Timed, asset_id, asset_name, machine, served_sandbox, stamp, timed, write_fixture

TARGET_CPU_MS = 15.0
TARGET_RSS_MB = 150.0
DAY = "2026-11-24"
# An hourly profile over the whole day (96 periods): charge at night, discharge in the evening.
PROFILE = (-1, -1, -1, -1, -2, -2, 0, 1, 1, 0, 0, 0, -1, -1, 0, 0, 1, 1, 2, 2, 1, 0, 0, 0)


def manifest(index: int) -> str:
    lines = [
        "apiVersion: reconciler/v1",
        "kind: VirtualAsset",
        f"metadata: {{name: {asset_name(index)}}}",
        "spec:",
        f"  virtualAsset: {asset_id(index)}",
        "  wholesale:",
        "    unit: MW",
        "    mode: partial",
        "    schedule:",
    ]
    for hour, mw in enumerate(PROFILE):
        end = f"{DAY}T{hour + 1:02d}:00" if hour < 23 else "2026-11-25T00:00"
        lines.append(f'      - {{from: "{DAY}T{hour:02d}:00", to: "{end}", power: {mw}}}')
    lines += [
        f"  fcr: {{unit: MW, bids: [{{day: {DAY}, product: NEGPOS_08_12, capacity: 1, capacityPrice: 95}}]}}",
        "  afrr:",
        "    unit: MW",
        f"    bids: [{{day: {DAY}, product: POS_00_04, capacity: 1, capacityPrice: 12.5, energyPrice: 80}}]",
    ]
    return "\n".join(lines) + "\n"


def write_project(root: Path, url: str, count: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(
        f"default: local\ntargets:\n  local: {{kind: emulator, apiUrl: '{url}', organisation: {ORG}}}\n"
    )
    for i in range(1, count + 1):
        (root / f"{asset_name(i)}.yaml").write_text(manifest(i))
    return root


@dataclass
class Run:
    assets: int
    measured: Timed

    @property
    def changes_line(self) -> str:
        return next((line for line in self.measured.output.splitlines() if line.startswith("Plan:")), "?")


def run_plan(count: int, parallelism: int, profile: str | None, sampler: str | None = None) -> Run:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        fixture = write_fixture(root / "fixture.yaml", count)
        with served_sandbox(fixture) as sandbox:
            project = write_project(root / "project", sandbox.url, count)
            command = [sys.executable]
            if sampler:  # collapsed stacks of every thread, sampled (py-spy's "raw" format)
                command = [
                    "py-spy",
                    "record",
                    "--gil",
                    "--threads",
                    "--format",
                    "raw",
                    "-r",
                    "250",
                    "-o",
                    sampler,
                    "--",
                    *command,
                ]
            if profile:
                command += ["-m", "cProfile", "-o", profile]
            command += ["-m", "reconciler", "plan", str(project), "--parallelism", str(parallelism)]
            return Run(count, timed(sandbox, command))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument("--profile", help="write the client's cProfile statistics to this file")
    parser.add_argument("--py-spy", dest="sampler", help="write py-spy's collapsed stacks of the client here")
    options = parser.parse_args()
    print(f"plan of full-day schedules with 2 bids per asset; {machine()}; {stamp()}")
    print(
        f"{'assets':>6} | {'wall s':>7} {'client CPU s':>12} {'ms/asset':>8} {'peak RSS MB':>11} "
        f"{'KB/asset':>8} | {'sandbox CPU s':>13} {'requests':>8}"
    )
    runs = [
        run_plan(count, options.parallelism, options.profile, options.sampler) for count in options.assets
    ]
    for r in runs:
        print(
            f"{r.assets:>6} | {r.measured.wall_s:7.2f} {r.measured.cpu_s:12.2f} {r.measured.cpu_s / r.assets * 1000:8.2f} "
            f"{r.measured.rss_mb:11.0f} {r.measured.rss_mb * 1024 / r.assets:8.0f} | {r.measured.sandbox_cpu_s:13.2f} {r.measured.requests:>8}"
        )
    for r in runs:
        print(f"  {r.assets} assets: {r.changes_line}")
    for r in runs:
        if r.assets == 500:
            ms = r.measured.cpu_s / r.assets * 1000
            print(
                f"target at 500 assets: {ms:.1f} ms of client CPU per asset (≤ {TARGET_CPU_MS:g}: "
                f"{'meets' if ms <= TARGET_CPU_MS else 'MISSES'}), peak RSS {r.measured.rss_mb:.0f} MB "
                f"(≤ {TARGET_RSS_MB:g}: {'meets' if r.measured.rss_mb <= TARGET_RSS_MB else 'MISSES'})"
            )
    if len(runs) >= 2:
        small, large = runs[0], runs[-1]
        scale = large.assets / small.assets
        print(
            f"growth {small.assets} -> {large.assets} assets (x{scale:g}): client CPU x{large.measured.cpu_s / small.measured.cpu_s:.2f}, "
            f"peak RSS x{large.measured.rss_mb / small.measured.rss_mb:.2f}"
        )


if __name__ == "__main__":
    main()
