"""Minimal reads (issue 12): a plan reads only what its manifests manage, counted per asset in the
sandbox's request log; a read that keeps failing blocks only its asset (issue 17).

Every asset here lives on 2026-05-30 (Europe/Berlin) unless said otherwise; the clock starts at
2026-05-28 12:00, before any deadline or result of that day (D14: FCR results 08:20 and aFRR
capacity results 09:20 on D-1, aFRR energy results 23 minutes before each quarter-hour).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reconciler.market import parse_product_date_code
from reconciler.platform.models import Bid
from reconciler.sandbox.server import RunningSandbox
from tests.platform.client_helpers import (
    FAST_RETRY,
    ORG,
    PASSWORD,
    USER,
    VA_ID,
    MakeClient,
    asset_spec,
    fixture,
)
from tests.support.harness import Result, manifest, run

MakeSandbox = Callable[[dict[str, Any]], RunningSandbox]
OTHER_VA = "7c1e0d4e-1111-4000-8000-000000000002"
SCHEDULE = """\
wholesale:
  mode: partial
  schedule: [{from: "2026-05-30T10:00", to: "2026-05-30T11:00", power: -200}]
"""
BIDS = """\
fcr: {unit: MW, bids: [{day: 2026-05-30, product: NEGPOS_16_20, capacity: 1, capacityPrice: 95}]}
afrr:
  unit: MW
  bids:
    - {day: 2026-05-30, product: POS_00_04, capacity: 1, capacityPrice: 12.5, energyPrice: 80}
    - {day: 2026-05-30, product: NEG_073, capacity: 1, energyPrice: -20}
"""
ALWAYS = ["", "adjustments", "blocks/{block}", "operational", "state-of-energy/latest"]
"""What every plan reads of an asset: itself, its adjustments, wholesale block, one operational
read (available energy capacity and SoC bounds) and latest state of energy; no deprecated route."""


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYR_USERNAME", USER)
    monkeypatch.setenv("LAYR_PASSWORD", PASSWORD)
    monkeypatch.delenv("LAYR_TOKEN", raising=False)
    # clients the CLI makes here wait 5-50 ms between attempts: the same retries on a test's budget
    monkeypatch.setattr("reconciler.platform.client.RetryPolicy", lambda: FAST_RETRY)


def big_asset(**overrides: Any) -> dict[str, Any]:
    """2 MW (80 % of it, 1.6 MW, may go to FCR: D20), 1 MW of each ancillary availability."""
    return asset_spec(ratedChargePower=2000, ratedDischargePower=2000, **overrides)


def project(root: Path, sandbox: RunningSandbox, manifests: dict[str, str], api: str | None = None) -> Path:
    """A project whose default target is ``sandbox``, speaking ``api`` (the default when None)."""
    root.mkdir(parents=True, exist_ok=True)
    flavour = f", ancillaryApi: {api}" if api else ""
    (root / "reconciler.yaml").write_text(
        f"default: local\ntargets:\n  local: {{kind: emulator, apiUrl: '{sandbox.url}', organisation: {ORG}{flavour}}}\n"
    )
    for name, text in manifests.items():
        (root / name).write_text(text)
    return root


def plan(
    capsys: pytest.CaptureFixture[str], sandbox: RunningSandbox, root: Path
) -> tuple[Result, list[tuple[str, str]]]:
    """Run `plan`; return its result and the reads it made of :data:`VA_ID`: (route, query)."""
    before = len(sandbox.requests())
    result = run(capsys, "plan", str(root))
    return result, reads_of(sandbox.requests()[before:], VA_ID)


def reads_of(log: list[dict[str, Any]], va: str) -> list[tuple[str, str]]:
    """GETs below one virtual asset as (route, query), a block's ID written ``{block}``."""
    prefix = f"/organisations/{ORG}/virtual-assets/{va}"
    reads = []
    for entry in log:
        path = str(entry["path"])
        if entry["method"] == "GET" and (path == prefix or path.startswith(prefix + "/")):
            route = path.removeprefix(prefix).lstrip("/")
            route = "blocks/{block}" if route.startswith("blocks/") else route
            reads.append((route, str(entry.get("query", ""))))
    return sorted(reads)


def routes(reads: list[tuple[str, str]]) -> list[str]:
    return sorted(route for route, _ in reads)


def test_a_schedule_only_asset_reads_five_objects_and_no_bids(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = make_sandbox(fixture(big_asset()))
    root = project(tmp_path, sandbox, {"a.yaml": manifest("a", VA_ID, SCHEDULE)})
    result, reads = plan(capsys, sandbox, root)
    assert result.exit_code == 0, result.out + result.err
    assert routes(reads) == ALWAYS
    [operational] = [query for route, query in reads if route == "operational"]
    assert (
        "categories=energyCapacityAvailable%2CstateOfChargeLowerBound%2CstateOfChargeUpperBound&"
        in operational
    )
    assert "Plan: 0 to create, 1 to update" in result.out  # the reduced reads still plan the write


def test_a_month_long_schedule_only_asset_reads_the_same_five_objects(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the count does not grow with the lifetime (benchmarks/reads.py shows a one-year asset)
    month = big_asset(start="2026-05-01T00:00:00+02:00", end="2026-06-01T00:00:00+02:00")
    sandbox = make_sandbox(fixture(month))
    root = project(tmp_path, sandbox, {"a.yaml": manifest("a", VA_ID, SCHEDULE)})
    result, reads = plan(capsys, sandbox, root)
    assert result.exit_code == 0, result.out + result.err
    assert routes(reads) == ALWAYS  # was 6 + 6 per day: bids and results of every day


def day_range(first: str, last: str | None = None) -> str:
    """The unified reads' query for delivery days ``first`` to ``last`` (Europe/Berlin, CEST):
    from the first day's 00:00 to the last quarter-hour of the last (inclusive, D18)."""
    end = date.fromisoformat(last or first)
    return f"start={date.fromisoformat(first) - timedelta(days=1)}T22%3A00%3A00Z&end={end}T21%3A45%3A00Z"


@pytest.mark.parametrize(
    "api, bid_reads",
    [
        ("unified", [("ancillary/bids", day_range("2026-05-30"))]),  # every market in one read
        # one read per route: both aFRR markets in one (no market parameter)
        (
            "legacy",
            [
                ("ancillary/afrr/bids", "deliveryDay=2026-05-30"),
                ("ancillary/fcr/bids", "deliveryDay=2026-05-30"),
            ],
        ),
    ],
)
def test_bids_on_one_day_are_read_once_per_api_read_and_no_results_before_publication(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    api: str,
    bid_reads: list[tuple[str, str]],
) -> None:
    sandbox = make_sandbox(fixture(big_asset()))
    root = project(tmp_path, sandbox, {"a.yaml": manifest("a", VA_ID, SCHEDULE + BIDS)}, api)
    result, reads = plan(capsys, sandbox, root)
    assert result.exit_code == 0, result.out + result.err
    assert "Plan: 3 to create, 1 to update" in result.out
    assert [r for r in reads if r[0].startswith("ancillary")] == bid_reads
    assert routes(reads) == sorted([*ALWAYS, *(route for route, _ in bid_reads)])
    assert len(reads) == {"unified": 6, "legacy": 7}[api]  # issue 12: at most 8 (unified: 7 or fewer)


@pytest.mark.parametrize(
    "api, bid_reads",
    [
        (
            "unified",
            [  # results of every market, then the bids of the aFRR products still open
                ("ancillary/bids", day_range("2026-05-30") + "&markets=AFRRCapacity%2CAFRREnergy"),
                ("ancillary/results", day_range("2026-05-30")),
            ],
        ),
        (
            "legacy",
            [
                ("ancillary/afrr/bids", "deliveryDay=2026-05-30"),  # aFRR energy products are still open
                ("ancillary/afrr/results", "deliveryDay=2026-05-30"),
                ("ancillary/fcr/results", "deliveryDay=2026-05-30"),  # FCR closed and published: no bids read
            ],
        ),
    ],
)
def test_after_publication_results_are_read_and_closed_days_bids_come_from_them(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    api: str,
    bid_reads: list[tuple[str, str]],
) -> None:
    sandbox = make_sandbox(fixture(big_asset()))
    root = project(tmp_path, sandbox, {"a.yaml": manifest("a", VA_ID, SCHEDULE + BIDS)}, api)
    applied = run(capsys, "apply", str(root), "--auto-approve")
    assert applied.exit_code == 0, applied.out + applied.err

    sandbox.set_clock("2026-05-29T10:00:00+02:00")  # FCR and aFRR capacity results are out
    result, reads = plan(capsys, sandbox, root)
    assert result.exit_code == 0, result.out + result.err
    assert "No changes" in result.out  # the FCR bid, known from its result, is the declared one
    assert [r for r in reads if r[0].startswith("ancillary")] == bid_reads
    assert len(reads) == {"unified": 7, "legacy": 8}[api]


@pytest.mark.parametrize("api", ["unified", "legacy"])
def test_bids_are_read_only_for_the_days_the_manifest_mentions(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], api: str
) -> None:
    three_days = big_asset(end="2026-06-02T00:00:00+02:00")
    sandbox = make_sandbox(fixture(three_days))
    one_bid = (
        "fcr: {unit: MW, bids: [{day: 2026-05-31, product: NEGPOS_16_20, capacity: 1, capacityPrice: 95}]}\n"
    )
    root = project(tmp_path, sandbox, {"a.yaml": manifest("a", VA_ID, SCHEDULE + one_bid)}, api)
    result, reads = plan(capsys, sandbox, root)
    assert result.exit_code == 0, result.out + result.err
    asked = {"unified": {day_range("2026-05-31")}, "legacy": {"deliveryDay=2026-05-31"}}[api]
    assert {query for route, query in reads if route.startswith("ancillary")} == asked

    pruning = one_bid.replace("{unit: MW,", "{unit: MW, prune: true,")
    (root / "a.yaml").write_text(manifest("a", VA_ID, SCHEDULE + pruning))
    result, reads = plan(capsys, sandbox, root)
    assert result.exit_code == 0, result.out + result.err
    # prune: true may delete a bid of any day still open for bidding: every day of the lifetime
    pruned = {
        "unified": {day_range("2026-05-30", "2026-06-01"): 1},  # one read for all three days
        "legacy": {"deliveryDay=2026-05-30": 2, "deliveryDay=2026-05-31": 2, "deliveryDay=2026-06-01": 2},
    }[api]
    assert Counter(query for route, query in reads if route.startswith("ancillary")) == pruned


def test_no_bids_are_read_for_a_day_beyond_the_bidding_window(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # bidding for 2026-06-06 opens on 2026-05-30 00:00 (seven days ahead): nothing can be live yet
    later = big_asset(start="2026-06-05T00:00:00+02:00", end="2026-06-07T00:00:00+02:00")
    sandbox = make_sandbox(fixture(later))
    bid = (
        "fcr: {unit: MW, bids: [{day: 2026-06-06, product: NEGPOS_16_20, capacity: 1, capacityPrice: 95}]}\n"
    )
    root = project(tmp_path, sandbox, {"a.yaml": manifest("a", VA_ID, bid)})
    result, reads = plan(capsys, sandbox, root)
    assert "bid-not-open" in result.out + result.err
    assert routes(reads) == ALWAYS


def test_a_read_that_keeps_failing_blocks_only_its_asset(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("reconciler.platform.reading.READ_RETRY_SECONDS", 0.5)
    sandbox = make_sandbox(fixture(big_asset(), big_asset(id=OTHER_VA)))
    root = project(
        tmp_path,
        sandbox,
        {"a.yaml": manifest("a", VA_ID, SCHEDULE), "b.yaml": manifest("b", OTHER_VA, SCHEDULE)},
    )
    broken = f"/organisations/{ORG}/virtual-assets/{OTHER_VA}/adjustments"
    sandbox.set_faults(errorRate=1, statuses=[503], paths=[broken])

    result = run(capsys, "plan", str(root), "--format", "json")
    assert result.exit_code == 1, result.out + result.err
    plan_json = result.json()
    assert [c["address"] for c in plan_json["changes"]] == ["a/wholesale"]  # a is planned
    [failed] = [d for d in plan_json["diagnostics"] if d["code"] == "read-failed"]
    assert failed["severity"] == "error" and failed["address"] == "b" and failed["file"].endswith("b.yaml")
    assert f"b (virtual asset {OTHER_VA}) is not planned" in failed["message"]
    assert f"(GET {broken} -> 503)" in failed["message"]  # names the read that failed
    assert not any(f"{OTHER_VA}/" in key for key in plan_json["fingerprints"])
    retried = [e for e in sandbox.requests() if e["path"] == broken]
    assert len(retried) > 5  # retried within the read budget, not given up after five attempts


@pytest.mark.parametrize("api", ["unified", "legacy"])
def test_a_saved_plan_depends_on_the_bids_of_the_days_it_read_and_no_others(
    make_sandbox: MakeSandbox,
    make_client: MakeClient,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    api: str,
) -> None:
    sandbox = make_sandbox(fixture(big_asset(end="2026-06-02T00:00:00+02:00")))
    one_bid = (
        "fcr: {unit: MW, bids: [{day: 2026-05-31, product: NEGPOS_16_20, capacity: 1, capacityPrice: 95}]}\n"
    )
    root = project(tmp_path, sandbox, {"a.yaml": manifest("a", VA_ID, SCHEDULE + one_bid)}, api)
    client = make_client(sandbox)
    energy_bid = [Bid(Decimal(1000), None, Decimal(-20))]

    saved = tmp_path / "plan.json"
    assert run(capsys, "plan", str(root), "--out", str(saved)).exit_code == 0
    # an aFRR energy bid moves no capacity: on a day the plan did not read, nothing it depends on
    client.put_bids(VA_ID, parse_product_date_code("2026-06-01_NEG_073"), energy_bid)
    applied = run(capsys, "apply", str(saved))
    assert applied.exit_code == 0, applied.out + applied.err

    (root / "a.yaml").write_text(manifest("a", VA_ID, SCHEDULE.replace("-200", "-300") + one_bid))
    assert run(capsys, "plan", str(root), "--out", str(saved)).exit_code == 0
    # on the day of its bid, it may decide the bid's capacity (D15): the plan is stale
    client.put_bids(VA_ID, parse_product_date_code("2026-05-31_NEG_073"), energy_bid)
    stale = run(capsys, "apply", str(saved))
    assert stale.exit_code == 1 and "stale" in stale.err and "a/afrr/2026-05-31" in stale.err, stale.err
