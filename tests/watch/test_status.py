"""``reconciler status`` over HTTP against the sandbox: countdowns, results, D21 revenue,
schedule energy, end-of-life SoC and open drift, in three formats; it never writes."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.core.schemas import load_schema
from reconciler.sandbox.server import RunningSandbox
from tests.conftest import MakeSandbox
from tests.support.harness import MUNICH, manifest, run, write_project, writes
from tests.watch.watch_helpers import (
    AFTER_REVALIDATION,
    BIDS_BODY,
    CUT_MANIFEST,
    RESULTS_PUBLISHED,
    docs_example_fixture,
)

SCHEDULE = """\
    wholesale:
      unit: MW
      mode: partial
      schedule:
        - {from: "2026-11-23T12:00", to: "2026-11-23T13:00", power: -2}
        - {from: "2026-11-24T18:00", to: "2026-11-24T19:00", power: 1}
    """
STATUS_SCHEMA = jsonschema.Draft202012Validator(load_schema("status.schema.json"))


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")


def status_json(capsys: pytest.CaptureFixture[str], project: Path) -> dict[str, Any]:
    result = run(capsys, "status", str(project), "--format", "json")
    assert result.exit_code == 0, result.err
    document: dict[str, Any] = result.json()
    STATUS_SCHEMA.validate(document)
    return document


def bids_by_address(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["address"]: b for b in document["assets"][0]["bids"]}


def test_status_shows_countdowns_then_results_with_revenue_per_d21(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = textwrap.dedent(BIDS_BODY) + textwrap.dedent(SCHEDULE)
    project = write_project(tmp_path, sandbox.url, {"m.yaml": manifest("munich-1", MUNICH, body)})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    written = len(writes(sandbox.requests()))

    before = status_json(capsys, project)
    fcr = bids_by_address(before)["munich-1/fcr/2026-11-24_NEGPOS_20_24"]
    assert (fcr["seconds_to_deadline"], fcr["closed"], fcr["result"]) == (
        35 * 60,
        False,
        None,
    )  # 06:55 → 07:30
    asset = before["assets"][0]
    # the fixture charges 2 MW 10:00–12:00 and discharges 2 MW 17:00–19:00; the manifest adds
    # 2 MW of charging 12:00–13:00 today and 1 MW of discharging 18:00–19:00 tomorrow
    assert asset["schedule_energy"] == {
        "today": {"day": "2026-11-23", "charged_mwh": 6, "discharged_mwh": 4},
        "tomorrow": {"day": "2026-11-24", "charged_mwh": 0, "discharged_mwh": 1},
    }
    text = run(capsys, "status", str(project))
    assert "closes in 35 min (2026-11-23 07:30 CET)" in text.out
    # each price with its unit, as the manifest and the plan quote it
    assert "2 000 kW (capacity 100 EUR/MW/h; live 2 000 kW)" in text.out
    assert "1 000 kW (capacity 12.5 EUR/MW/h, energy 80 EUR/MWh; live 1 000 kW)" in text.out

    sandbox.set_clock(RESULTS_PUBLISHED)
    after = bids_by_address(status_json(capsys, project))
    results = {address: bid["result"] for address, bid in after.items()}
    assert results["munich-1/fcr/2026-11-24_NEGPOS_20_24"] == {
        "outcome": "accepted",
        "offered_kw": 2000,
        "accepted_kw": 2000,
        "price": 120,  # the clearing price: FCR is pay-as-clear
        "price_field": "settlementPrice",
        "revenue_eur": 960,  # 120 EUR/MW/h × 2 MW × 4 h
        "revenue_basis": "settlementPrice × accepted MW × 4 h",
    }
    assert results["munich-1/fcr/2026-11-24_NEGPOS_16_20"]["outcome"] == "rejected"  # 130 > 120
    assert results["munich-1/fcr/2026-11-24_NEGPOS_16_20"]["revenue_eur"] == 0
    assert results["munich-1/afrr/2026-11-24_POS_16_20"]["revenue_eur"] == 50  # 12.5 × 1 MW × 4 h, pay-as-bid
    assert after["munich-1/fcr/2026-11-24_NEGPOS_20_24"]["closed"] is True
    assert results["munich-1/afrr/2026-11-24_POS_033"] is None  # published 23 min before 08:00 tomorrow

    text = run(capsys, "status", str(project))
    assert (
        "closed; accepted 2 000 kW of 2 000 kW at 120 EUR/MW/h (settlementPrice); revenue 960.00 EUR"
        in text.out
    )
    assert "open drift: auction_result 1" in text.out
    markdown = run(capsys, "status", str(project), "--format", "markdown")
    assert "### munich-1" in markdown.out and "| bid | offer | deadline | result |" in markdown.out
    assert len(writes(sandbox.requests())) == written  # status only reads


def test_afrr_energy_revenue_is_unknown_and_end_of_life_soc_follows_the_cut(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = make_sandbox(docs_example_fixture())
    energy = """\
        afrr:
          unit: MW
          bids:
            - {day: 2026-11-23, product: POS_033, capacity: 1, energyPrice: 90}
        """
    body = CUT_MANIFEST + textwrap.indent(textwrap.dedent(energy), "  ")
    project = write_project(tmp_path, sandbox.url, {"m.yaml": body})
    assert run(capsys, "apply", str(project), "--auto-approve").exit_code == 0
    sandbox.set_clock(AFTER_REVALIDATION)
    document = status_json(capsys, project)
    [bid] = document["assets"][0]["bids"]
    assert bid["result"]["revenue_eur"] is None and bid["result"]["revenue_basis"] == "paid on activations"
    # 19 000 kWh + 4 000 kW × ¼ h (η 1) = 20 000 kWh of 20 000: full at the end of life
    assert document["assets"][0]["end_of_life"]["projected_soc_percent"] == 100
    assert document["assets"][0]["open_drift"]["revalidation"] == 1
    text = run(capsys, "status", str(project))
    assert "revenue unknown (paid on activations)" in text.out


def test_status_of_an_unknown_asset_is_an_error_naming_the_manifest(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = manifest("ghost", "7c1e0d4e-0000-4000-8000-00000000dead", "wholesale: {unit: kW, schedule: []}\n")
    project = write_project(tmp_path, sandbox.url, {"m.yaml": text})
    result = run(capsys, "status", str(project))
    assert (
        result.exit_code == 1 and "ghost names virtual asset" in result.err and "Traceback" not in result.err
    )
