"""Reads per asset: how many GETs `plan` sends for one virtual asset, by what the manifest manages,
through each ancillary API (D18: ``unified``, the default, and ``legacy``).

Each scenario is a fleet of identical assets in a sandbox of its own process; `plan` runs once per
API in this process and the sandbox's request log is counted per asset (the login is not a read).
Targets (issue 12): at most 6 reads for a schedule-only asset of any length, at most 8 for a
schedule with FCR and aFRR bids on one day (7 or fewer with the unified API).

    python benchmarks/reads.py            # every scenario, about two minutes
    python benchmarks/reads.py --assets 3
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fleet import (
    ORG,
    asset_id,
    asset_name,
    fixture_data,
    machine,
    run_cli,
    served_sandbox,
    stamp,
)

DAY = "2026-11-24"  # the delivery day the bids are for; the clock starts on the day before
BEFORE_RESULTS = "2026-11-23T06:55:00+01:00"  # before the FCR deadline (07:30 D-1)
AFTER_RESULTS = "2026-11-23T10:00:00+01:00"  # FCR (08:20) and aFRR capacity (09:20) results are out

SCHEDULE = '  wholesale: {unit: MW, mode: partial, schedule: [{from: "2026-11-24T02:00", to: "2026-11-24T04:00", power: -2}]}\n'
FCR = "  fcr: {unit: MW, bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 1, capacityPrice: 95}]}\n"
BIDS = (
    FCR + "  afrr:\n    unit: MW\n    bids:\n"
    "      - {day: 2026-11-24, product: POS_16_20, capacity: 1, capacityPrice: 12.5, energyPrice: 80}\n"
    "      - {day: 2026-11-24, product: NEG_073, capacity: 1, energyPrice: -20}\n"
)


@dataclass(frozen=True)
class Scenario:
    name: str
    lifetime: tuple[str, str]  # local start and end days of every asset
    body: str  # the manifest's spec below virtualAsset
    target: int
    results: bool = False  # apply first, then move the clock past the result publications
    most: int | None = None  # at most this many assets (a sandbox serves a year's block in seconds)


SCENARIOS = (
    Scenario("schedule only, 1 day", (DAY, "2026-11-25"), SCHEDULE, 6),
    Scenario("schedule only, 1 year", ("2026-01-01", "2027-01-01"), SCHEDULE, 6, most=1),
    Scenario("schedule + FCR + aFRR, 1 day, before results", (DAY, "2026-11-25"), SCHEDULE + BIDS, 8),
    Scenario("schedule + FCR + aFRR, 1 day, after results", (DAY, "2026-11-25"), SCHEDULE + BIDS, 8, True),
    Scenario(
        "schedule + FCR, 3 days (the plan_apply.py fleet)", ("2026-11-23", "2026-11-26"), SCHEDULE + FCR, 8
    ),
)


def _fixture(path: Path, scenario: Scenario, count: int) -> Path:
    data: dict[str, Any] = fixture_data(count, days=1)
    data["now"] = BEFORE_RESULTS
    start, end = scenario.lifetime
    for asset in data["organisations"][0]["virtualAssets"]:
        asset["start"], asset["end"] = f"{start}T00:00:00+01:00", f"{end}T00:00:00+01:00"
    text = yaml.safe_dump(data, sort_keys=False)
    path.write_text(text.replace("'0.95'", "0.95"), encoding="utf-8")
    return path


APIS = ("unified", "legacy")


def _project(root: Path, url: str, scenario: Scenario, count: int, api: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(
        "default: local\ntargets:\n"
        f"  local: {{kind: emulator, apiUrl: '{url}', organisation: {ORG}, ancillaryApi: {api}}}\n"
    )
    for i in range(1, count + 1):
        (root / f"{asset_name(i)}.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: VirtualAsset\n"
            f"metadata: {{name: {asset_name(i)}}}\nspec:\n  virtualAsset: {asset_id(i)}\n" + scenario.body
        )
    return root


def _route(path: str) -> str:
    """``blocks/{block}``, ``ancillary/fcr/bids``, ``{asset}``: a read's route below the asset."""
    below = path.split("/virtual-assets/", 1)[-1].partition("/")[2]
    if not below:
        return "{asset}"
    return "blocks/{block}" if below.startswith("blocks/") else below


def _reads_per_asset(log: list[dict[str, Any]], count: int) -> tuple[float, Counter[str]]:
    """GETs per asset, and what they were for."""
    kinds = Counter(_route(str(entry["path"])) for entry in log if entry["method"] == "GET")
    return sum(kinds.values()) / count, kinds


def measure(scenario: Scenario, count: int, api: str) -> tuple[float, Counter[str]]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        with served_sandbox(_fixture(root / "fixture.yaml", scenario, count)) as sandbox:
            project = _project(root / "project", sandbox.url, scenario, count, api)
            if scenario.results:
                _check(run_cli("apply", str(project), "--auto-approve"), "apply")
                sandbox.set_clock(AFTER_RESULTS)
            before = len(sandbox.requests())
            _check(run_cli("plan", str(project)), "plan")
            return _reads_per_asset(sandbox.requests()[before:], count)


def _check(result: tuple[int, str], what: str) -> None:
    code, output = result
    if code not in (0, 2):
        raise SystemExit(f"{what} failed ({code}):\n{output}")


def main(argv: list[str] | None = None, printer: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--assets", type=int, default=5, help="assets per scenario (default 5)")
    args = parser.parse_args(argv)
    printer(f"Reads per asset, {stamp()}, {machine()}; {args.assets} assets per scenario\n")
    printer("| scenario | API | reads per asset | target | what was read (per asset) |")
    printer("| --- | --- | ---: | ---: | --- |")
    for scenario in SCENARIOS:
        count = min(args.assets, scenario.most or args.assets)
        for api in APIS:
            per_asset, kinds = measure(scenario, count, api)
            detail = ", ".join(f"{name} {n / count:g}" for name, n in sorted(kinds.items()))
            verdict = "met" if per_asset <= scenario.target else "missed"
            printer(
                f"| {scenario.name} | {api} | {per_asset:g} | ≤ {scenario.target} ({verdict}) | {detail} |"
            )


if __name__ == "__main__":
    main()
