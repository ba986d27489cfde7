"""Both ancillary APIs give the same answers (issue 11 item 1, D18): plans, drift and import of the
example portfolio read through the unified routes equal those read through the legacy ones, before
and after the auctions, whichever API wrote the bids. Only the requests differ (one POST per market
group and capacity phase, or one PUT per product), and the fingerprints' values (each API answers
in its own shape), never their keys: a saved plan depends on the same objects either way.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.server import RunningSandbox
from tests.conftest import MakeSandbox
from tests.drift.drift_helpers import EXAMPLES, example_fixture
from tests.support.harness import BERLIN, HAMBURG, MUNICH, run, write_project

APIS = ("unified", "legacy")
ASSETS = {"munich-1": MUNICH, "berlin-2": BERLIN, "hamburg-3": HAMBURG}

# After the auctions of 2026-11-24: FCR and aFRR capacity results are out (08:20 and 09:20 on
# D-1, D14), aFRR energy products are still open; then the whole day is over and settled.
AFTER_AUCTIONS = "2026-11-23T12:00:00+01:00"
DAY_OVER = "2026-11-25T06:00:00+01:00"


pytestmark = pytest.mark.usefixtures("demo_credentials")


def auctions(make_sandbox: MakeSandbox) -> RunningSandbox:
    """The example fixture with an auction that accepts one FCR bid only in part and rejects one
    aFRR capacity bid, so results differ from the bids (drift with cause auction_result)."""
    return make_sandbox(
        example_fixture(
            partialAcceptance={"2026-11-24_NEGPOS_00_04": 1000},
            clearingPrices={"FCR": 120, "AFRRCapacity": 13, "AFRREnergy": 100},
        )
    )


def portfolio(root: Path, sandbox: RunningSandbox, api: str) -> Path:
    shutil.copytree(EXAMPLES / "portfolio", root)
    # tomorrow's asset of a portfolio has no bids, and after the fixture's last day none is left
    (root / "leipzig-daily.yaml").unlink()
    return write_project(root, sandbox.url, {}, api)


def plan_answer(document: dict[str, Any]) -> dict[str, Any]:
    """What a plan says, without what depends on the API: requests, digest, fingerprint values."""
    same = {k: v for k, v in document.items() if k not in ("digest", "requests", "target", "fingerprints")}
    same["changes"] = [{k: v for k, v in c.items() if k != "request"} for c in document["changes"]]
    same["summary"] = {k: v for k, v in document["summary"].items() if k != "requests"}
    same["fingerprint_keys"] = sorted(document["fingerprints"])
    return same


def answers(capsys: pytest.CaptureFixture[str], roots: dict[str, Path], scratch: Path) -> dict[str, Any]:
    """Per API: the plan's answer, the drift report and each asset's imported manifest."""
    found: dict[str, Any] = {}
    for api, root in roots.items():
        planned = run(capsys, "plan", str(root), "--format", "json")
        assert planned.exit_code in (0, 1), planned.out + planned.err
        drift = run(capsys, "drift", str(root), "--format", "json")
        assert drift.exit_code in (0, 2), drift.out + drift.err
        imported = {}
        for name, va in ASSETS.items():
            out = scratch / api / f"{name}.yaml"
            out.parent.mkdir(parents=True, exist_ok=True)
            (out.parent / "reconciler.yaml").write_text((root / "reconciler.yaml").read_text())
            result = run(capsys, "import", "--virtual-asset", va, "--out", str(out), "--name", name)
            assert result.exit_code == 0, result.err
            imported[name] = out.read_text()
        document, report = (
            json.loads(text.replace(str(root), "<project>"), parse_float=Decimal)
            for text in (planned.out, drift.out)
        )
        del report["target"]
        found[api] = (plan_answer(document), report, imported)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("writer", APIS)
def test_plans_drift_and_import_read_the_same_through_either_api(
    make_sandbox: MakeSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], writer: str
) -> None:
    sandbox = auctions(make_sandbox)
    roots = {api: portfolio(tmp_path / api, sandbox, api) for api in APIS}
    before = answers(capsys, roots, tmp_path / "import-before")
    assert before["unified"] == before["legacy"]
    assert before["unified"][0]["summary"]["create"] == 10  # nothing live yet: every bid is new

    applied = run(capsys, "apply", str(roots[writer]), "--auto-approve")
    assert applied.exit_code == 0, applied.out + applied.err
    for moment in (AFTER_AUCTIONS, DAY_OVER):
        sandbox.set_clock(moment)
        now = answers(capsys, roots, tmp_path / f"import-{moment[:13]}")
        assert now["unified"] == now["legacy"], moment
        plan, drift, imported = now["unified"]
        assert plan["changes"] == []  # what either API wrote, either API reads back as declared
        causes = {(entry["address"], entry["cause"]) for entry in drift["drift"]}
        assert ("munich-1/fcr/2026-11-24_NEGPOS_00_04", "auction_result") in causes  # 1 of 2 MW
        if moment == AFTER_AUCTIONS:  # import reads the days still open for bidding only
            assert "NEGPOS_00_04, capacity: 2," in imported["munich-1"]  # the bid as placed
