"""Helpers for the sandbox tests: fixture dicts and a thin authenticated httpx wrapper.

Plain httpx on purpose: these tests pin the wire behaviour the typed client relies on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from reconciler.sandbox.server import RunningSandbox

MakeSandbox = Callable[[dict[str, Any] | Path | str], RunningSandbox]

ORG = "org-test"
USER, PASSWORD = "trader", "s3cret-test-password"
VA_ID = "va-1"
START = "2026-11-23T00:00:00Z"
END = "2026-11-26T00:00:00Z"


def asset(**overrides: Any) -> dict[str, Any]:
    """A plain virtual asset: 10 MWh, 5 MW both ways, η 1, half full, 5-minute gate closure."""
    base: dict[str, Any] = {
        "id": VA_ID,
        "start": START,
        "end": END,
        "energyCapacity": 10000,
        "ratedChargePower": 5000,
        "ratedDischargePower": 5000,
        "chargeEfficiency": 1,
        "dischargeEfficiency": 1,
        "initialStateOfEnergy": 5000,
        "stateOfChargeBounds": {"lower": 0, "upper": 100},
        "dispatchGateClosureSeconds": 300,
        "dailyCycleLimit": 2,
        "annualCycleLimit": 730,
        "fcrCapacityAvailable": 4000,
        "afrrCapacityPosAvailable": 5000,
        "afrrCapacityNegAvailable": 5000,
        "maxTotalAncillaryCapacityChargeAvailable": 5000,
        "maxTotalAncillaryCapacityDischargeAvailable": 5000,
    }
    base.update(overrides)
    return base


def fixture(*assets: dict[str, Any], now: str = "2026-11-23T06:00:00Z", **top: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "now": now,
        "tokenExpiresIn": 30 * 86400,  # tests move the clock by days; expiry has its own test
        "organisations": [
            {"id": ORG, "users": [{"username": USER, "password": PASSWORD}], "virtualAssets": list(assets)},
            {"id": "org-other", "users": [{"username": "other", "password": "other-password"}]},
        ],
    }
    data.update(top)
    return data


def parse(response: httpx.Response) -> Any:
    """Response JSON with exact numbers, as the project reads the platform."""
    return json.loads(response.content, parse_float=Decimal)


class Api:
    """An authenticated session against one sandbox organisation."""

    def __init__(self, url: str, username: str = USER, password: str = PASSWORD, org: str = ORG) -> None:
        # verify=False: plain HTTP on loopback, so skip building a certificate store (~100 ms).
        self.client = httpx.Client(base_url=url, timeout=30, verify=False)
        self.org = org
        login = self.client.post(
            "/auth/public/authenticate", json={"username": username, "password": password}
        )
        assert login.status_code == 200, login.text
        self.token = login.json()["access_token"]
        self.client.headers["Authorization"] = f"Bearer {self.token}"

    def path(self, va: str = VA_ID, suffix: str = "") -> str:
        return f"/organisations/{self.org}/virtual-assets/{va}{suffix}"

    def get(self, suffix: str = "", va: str = VA_ID, **params: Any) -> httpx.Response:
        return self.client.get(self.path(va, suffix), params=params)

    def put(self, suffix: str, body: Any, va: str = VA_ID) -> httpx.Response:
        return self.client.put(self.path(va, suffix), content=json.dumps(body, default=str))

    def post(self, suffix: str, body: Any, va: str = VA_ID) -> httpx.Response:
        return self.client.post(self.path(va, suffix), content=json.dumps(body, default=str))

    def wholesale_block(self, va: str = VA_ID) -> str:
        metadata = parse(self.get(va=va))["blockMetadata"]
        return str(next(b["id"] for b in metadata if b["market"] == "WHOLESALE"))

    def block_id(self, market: str, va: str = VA_ID) -> str:
        metadata = parse(self.get(va=va))["blockMetadata"]
        return str(next(b["id"] for b in metadata if b["market"] == market))

    def schedule(self, start: str, end: str, va: str = VA_ID) -> dict[str, Decimal]:
        block = parse(self.get(f"/blocks/{self.wholesale_block(va)}", va=va, start=start, end=end))
        return {p["time"]: p["power"] for p in block["schedule"]}

    def capacity(
        self, market: str, start: str, end: str, va: str = VA_ID
    ) -> dict[str, tuple[Decimal, Decimal]]:
        """``time -> (available charge, available discharge)`` of a block of ``market``."""
        block = parse(self.get(f"/blocks/{self.block_id(market, va)}", va=va, start=start, end=end))
        return {
            p["time"]: (p["chargePowerCapacity"], p["dischargePowerCapacity"]) for p in block["powerCapacity"]
        }

    def write_schedule(self, points: dict[str, int | float], va: str = VA_ID) -> httpx.Response:
        body = {"schedule": [{"time": t, "power": p} for t, p in points.items()]}
        return self.put(f"/blocks/{self.wholesale_block(va)}", body, va=va)


def error(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    message: str = body["error"]
    return message
