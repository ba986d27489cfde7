"""Bid templates and CSV bids, planned over real HTTP against the sandbox: a template plans the
same concrete bids as writing them out, with the market calendar's windows on DST days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import MakeSandbox
from tests.sandbox.sandbox_helpers import asset as sandbox_asset
from tests.support.harness import MUNICH, ORG, manifest, run, write_project

pytestmark = pytest.mark.usefixtures("demo_credentials")


def _fixture(now: str, start: str, end: str) -> dict[str, Any]:
    """One 10 MWh / 5 MW asset living ``[start, end)``, the clock at ``now``."""
    asset = sandbox_asset(id=MUNICH, name="munich-1", start=start, end=end)
    return {
        "now": now,
        "tokenExpiresIn": 86400,
        "organisations": [
            {
                "id": ORG,
                "users": [{"username": "demo", "password": "demo-password"}],
                "virtualAssets": [asset],
            }
        ],
    }


QUARTER = timedelta(minutes=15)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# The six FCR windows (UTC start, real hours), by hand from the calendar: on 2026-03-29 Berlin
# moves from CET (UTC+1) to CEST (UTC+2) at 02:00 local, so 00:00-04:00 lasts 3 hours; on
# 2026-10-25 from CEST back to CET at 03:00 local, so it lasts 5.
SPRING = [("2026-03-28T23:00Z", 3), ("2026-03-29T02:00Z", 4), ("2026-03-29T06:00Z", 4),
          ("2026-03-29T10:00Z", 4), ("2026-03-29T14:00Z", 4), ("2026-03-29T18:00Z", 4)]  # fmt: skip
AUTUMN = [("2026-10-24T22:00Z", 5), ("2026-10-25T03:00Z", 4), ("2026-10-25T07:00Z", 4),
          ("2026-10-25T11:00Z", 4), ("2026-10-25T15:00Z", 4), ("2026-10-25T19:00Z", 4)]  # fmt: skip


@pytest.mark.parametrize(
    ("day", "now", "life", "windows"),
    [
        ("2026-03-29", "2026-03-27T12:00:00+01:00", ("2026-03-28T00:00:00+01:00", "2026-03-31T00:00:00+02:00"), SPRING),
        ("2026-10-25", "2026-10-23T12:00:00+02:00", ("2026-10-24T00:00:00+02:00", "2026-10-27T00:00:00+01:00"), AUTUMN),
    ],
)  # fmt: skip
def test_products_all_on_a_dst_day_plans_six_bids_with_the_calendars_windows(
    make_sandbox: MakeSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    day: str,
    now: str,
    life: tuple[str, str],
    windows: list[tuple[str, int]],
) -> None:
    sandbox = make_sandbox(_fixture(now, *life))
    body = f"fcr:\n  unit: MW\n  bids:\n    - {{day: {day}, products: all, capacity: 1, capacityPrice: 90}}\n"
    project = write_project(
        tmp_path / "unified", sandbox.url, {"munich.yaml": manifest("munich-1", MUNICH, body)}
    )
    plan = run(capsys, "plan", "--format", "json", str(project))
    assert plan.exit_code == 0, plan.out + plan.err
    changes = plan.json()["changes"]
    products = [
        "NEGPOS_00_04",
        "NEGPOS_04_08",
        "NEGPOS_08_12",
        "NEGPOS_12_16",
        "NEGPOS_16_20",
        "NEGPOS_20_24",
    ]
    assert [(c["address"], c["kind"], c["action"], c["after"]) for c in changes] == [
        (f"munich-1/fcr/{day}_{p}", "fcr_bid", "create", [{"offeredCapacity": 1000, "capacityPrice": 90}])
        for p in products
    ]
    # unified (the default): the six products in one POST; legacy: one PUT per product (D18)
    [posted] = plan.json()["requests"]
    assert (posted["method"], posted["path"].rsplit("/", 2)[-2:]) == ("POST", ["ancillary", "bids"])
    assert [(item["market"], item["product"], item["deliveryDay"]) for item in posted["body"]] == [
        ("FCR", p, day) for p in products
    ]
    legacy = write_project(
        tmp_path / "legacy", sandbox.url, {"munich.yaml": manifest("munich-1", MUNICH, body)}, "legacy"
    )
    legacy_plan = run(capsys, "plan", "--format", "json", str(legacy))
    assert legacy_plan.exit_code == 0, legacy_plan.out + legacy_plan.err
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in legacy_plan.json()["requests"]] == [
        ("PUT", f"{day}_{p}") for p in products
    ]
    # Applying writes each bid; the sandbox then reserves 1 MW of FCR over each window (D16).
    applied = run(capsys, "apply", "--auto-approve", str(project))
    assert applied.exit_code == 0, applied.out + applied.err
    reserved = _fcr_reserved(sandbox.url, life)
    expected: dict[datetime, int] = {}
    for start, hours in windows:
        first = _utc(start)
        expected.update({first + i * QUARTER: 1000 for i in range(hours * 4)})
    assert {t: kw for t, kw in reserved.items() if kw} == expected


def _fcr_reserved(url: str, life: tuple[str, str]) -> dict[datetime, int]:
    """The FCR block's capacity per quarter-hour, as the sandbox serves it (API.md B2)."""
    token = httpx.post(
        f"{url}/auth/public/authenticate", json={"username": "demo", "password": "demo-password"}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    asset_url = f"{url}/organisations/{ORG}/virtual-assets/{MUNICH}"
    metadata = httpx.get(asset_url, headers=headers).json()["blockMetadata"]
    (fcr,) = [block["id"] for block in metadata if block["market"] == "FCR"]
    block = httpx.get(
        f"{asset_url}/blocks/{fcr}", params={"start": life[0], "end": life[1]}, headers=headers
    ).json()
    return {_utc(point["time"]): int(point["ratedChargePowerCapacity"]) for point in block["powerCapacity"]}


YAML_BIDS = """\
fcr:
  unit: MW
  bids:
    - {day: 2026-11-24, product: NEGPOS_00_04, capacity: 2, capacityPrice: 95.5}
    - {day: 2026-11-24, product: NEGPOS_20_24, capacity: 1, capacityPrice: 88}
afrr:
  unit: MW
  bids:
    - {day: 2026-11-24, product: POS_16_20, capacity: 1, capacityPrice: 12.5, energyPrice: 80}
    - {day: 2026-11-24, product: NEG_073, capacity: 1, energyPrice: -20}
"""
CSV_BIDS = "fcr:\n  unit: MW\n  bids: {csv: fcr.csv}\nafrr:\n  unit: MW\n  bids: {csv: afrr.csv}\n"
FCR_CSV = "day,product,capacity,capacityPrice\n2026-11-24,NEGPOS_00_04,2,95.5\n2026-11-24,NEGPOS_20_24,1,88\n"
AFRR_CSV = (
    "product,day,capacity,energyPrice,capacityPrice\n"
    "POS_16_20,2026-11-24,1,80,12.5\n"
    "NEG_073,2026-11-24,1,-20,\n"
)


def test_a_csv_of_bids_plans_the_same_changes_as_the_same_bids_in_yaml(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plans = []
    for name, body in (("yaml", YAML_BIDS), ("csv", CSV_BIDS)):
        project = write_project(
            tmp_path / name, sandbox.url, {"munich.yaml": manifest("munich-1", MUNICH, body)}
        )
        (project / "fcr.csv").write_text(FCR_CSV, encoding="utf-8")
        (project / "afrr.csv").write_text(AFRR_CSV, encoding="utf-8")
        plan = run(capsys, "plan", "--format", "json", str(project))
        assert plan.exit_code == 0, plan.out + plan.err
        plans.append(plan.json())
    from_yaml, from_csv = (
        [{k: c[k] for k in ("address", "kind", "action", "after", "request")} for c in p["changes"]]
        for p in plans
    )
    assert from_csv == from_yaml
    assert {c["address"] for c in from_csv} == {
        "munich-1/fcr/2026-11-24_NEGPOS_00_04",
        "munich-1/fcr/2026-11-24_NEGPOS_20_24",
        "munich-1/afrr/2026-11-24_POS_16_20",
        "munich-1/afrr/2026-11-24_NEG_073",
    }
    energy = next(c for c in from_csv if c["address"].endswith("NEG_073"))
    assert energy["after"] == [{"offeredCapacity": 1000, "energyPrice": -20}]
