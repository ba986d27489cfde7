"""Client test helpers: small sandbox fixtures built per test, and reading the sandbox's request log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.platform import PlatformClient, RetryPolicy
from reconciler.sandbox.server import RunningSandbox

ORG = "org-test"
USER = "tester"
PASSWORD = "pw-test-only-7f3a"
VA_ID = "7c1e0d4e-1111-4000-8000-000000000001"
FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05)

MakeClient = Callable[..., PlatformClient]


def asset_spec(**overrides: Any) -> dict[str, Any]:
    """One virtual asset of a fixture: 1 MW / 1 MWh, lossless, 0-100 %, one local day from 00:00."""
    spec: dict[str, Any] = {
        "id": VA_ID,
        "start": "2026-05-30T00:00:00+02:00",
        "end": "2026-05-31T00:00:00+02:00",
        "energyCapacity": 1000,
        "ratedChargePower": 1000,
        "ratedDischargePower": 1000,
        "chargeEfficiency": 1,
        "dischargeEfficiency": 1,
        "initialStateOfEnergy": 500,
        "stateOfChargeBounds": {"lower": 0, "upper": 100},
        "dispatchGateClosureSeconds": 300,
        "dailyCycleLimit": 2,
        "annualCycleLimit": 730,
        "fcrCapacityAvailable": 1000,
        "afrrCapacityPosAvailable": 1000,
        "afrrCapacityNegAvailable": 1000,
        "maxTotalAncillaryCapacityChargeAvailable": 1000,
        "maxTotalAncillaryCapacityDischargeAvailable": 1000,
    }
    spec.update(overrides)
    return spec


def fixture(*assets: dict[str, Any], now: str = "2026-05-28T12:00:00+02:00", **extra: Any) -> dict[str, Any]:
    """A fixture with one organisation and user owning ``assets`` (default: one :func:`asset_spec`)."""
    return {
        "now": now,
        "organisations": [
            {
                "id": ORG,
                "users": [{"username": USER, "password": PASSWORD}],
                "virtualAssets": list(assets) or [asset_spec()],
            }
        ],
        **extra,
    }


def logged(sandbox: RunningSandbox, method: str | None = None, path_suffix: str = "") -> list[dict[str, Any]]:
    """The sandbox's request log, filtered by method and path ending."""
    return [
        entry
        for entry in sandbox.requests()
        if (method is None or entry["method"] == method) and str(entry["path"]).endswith(path_suffix)
    ]
