"""Bid drift agrees with the plan: prices count, undeclared live bids show, closed history stays quiet."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reconciler.market import parse_product_date_code
from reconciler.platform.client import PlatformClient
from reconciler.platform.credentials import Credentials
from reconciler.platform.models import Bid
from tests.support.harness import MUNICH, ORG, manifest, run, write_project

FCR = "fcr:\n  bids: [{day: 2026-11-24, product: NEGPOS_08_12, capacity: 2000, capacityPrice: 95.5}]\n"


def _client(url: str) -> PlatformClient:
    return PlatformClient(
        url, ORG, Credentials.from_env({"LAYR_USERNAME": "demo", "LAYR_PASSWORD": "demo-password"})
    )


def test_a_price_changed_outside_reconciler_is_drift(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, FCR)})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    with _client(sandbox.url) as client:  # same capacity, another price
        code = parse_product_date_code("2026-11-24_NEGPOS_08_12")
        client.put_bids(MUNICH, code, [Bid(Decimal(2000), Decimal(300), None)])

    result = run(capsys, "drift", str(project), "--format", "json", "--detailed-exitcode")
    assert result.exit_code == 2
    [entry] = result.json()["drift"]
    assert entry["cause"] == "out_of_band" and "2026-11-24_NEGPOS_08_12" in entry["address"]
    assert "prices differ" in entry["detail"]


def test_a_live_bid_nobody_declared_is_drift(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, FCR)})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    with _client(sandbox.url) as client:
        code = parse_product_date_code("2026-11-24_POS_16_20")
        client.put_bids(MUNICH, code, [Bid(Decimal(1000), Decimal(10), Decimal(50))])

    result = run(capsys, "drift", str(project), "--format", "json")
    [entry] = result.json()["drift"]
    assert entry["reason"] == "UNMANAGED" and entry["address"] == "munich-1/afrr/2026-11-24_POS_16_20"
    assert (entry["desired"], entry["live"]) == (0, 1000)


def test_prune_leaves_closed_products_alone(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    placed = write_project(tmp_path / "a", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, FCR)})
    assert run(capsys, "apply", str(placed), "--auto-approve").exit_code == 0
    sandbox.set_clock("2026-11-23T07:45:00+01:00")  # the FCR deadline (07:30) has passed

    pruned = "fcr:\n  prune: true\n  bids: []\nwholesale: {mode: partial, schedule: [{at: '2026-11-24T10:00', power: -500}]}\n"
    project = write_project(tmp_path / "b", sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, pruned)})
    result = run(capsys, "plan", str(project), "--format", "json")
    assert result.exit_code == 0, result.out + result.err  # no deadline error for yesterday's bid
    plan = result.json()
    assert [c["kind"] for c in plan["changes"]] == ["schedule"]  # the unrelated write still goes
