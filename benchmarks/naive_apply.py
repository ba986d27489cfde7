"""The naive script ``apply`` is measured against (issue 12.3): what someone without the
reconciler would write to push the fleet of ``benchmarks/scale.py`` to the platform.

One asset after another, four requests each: GET its blocks over the lifetime (for the wholesale
block's ID: a fresh asset has no other block), PUT the manifest's whole day (96 points; the past
periods of the block would be refused after their gate closure), PUT the FCR bid, PUT the aFRR bid
(the per-product routes). No diff, no parallelism, no checks; it logs in once.

    python benchmarks/naive_apply.py URL ASSETS      # credentials from LAYR_USERNAME / LAYR_PASSWORD
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
from fleet import ORG, asset_id
from scale import DAY, PROFILE

BERLIN = ZoneInfo("Europe/Berlin")
FCR = ("fcr", f"{DAY}_NEGPOS_08_12", [{"offeredCapacity": 1000, "capacityPrice": 95}])
AFRR = ("afrr", f"{DAY}_POS_00_04", [{"offeredCapacity": 1000, "capacityPrice": 12.5, "energyPrice": 80}])


def wanted_powers() -> dict[str, Decimal]:
    """The manifest's day in kW by UTC period start, written as the platform writes times."""
    start = datetime.fromisoformat(DAY).replace(tzinfo=BERLIN)
    powers = {}
    for quarter in range(96):
        moment = (start + timedelta(minutes=15 * quarter)).astimezone(ZoneInfo("UTC"))
        powers[moment.strftime("%Y-%m-%dT%H:%M:%SZ")] = Decimal(PROFILE[quarter // 4] * 1000)
    return powers


def naive_apply(url: str, count: int, username: str, password: str) -> int:
    """Push every asset; the number of requests that failed."""
    wanted = wanted_powers()
    failures = 0
    with httpx.Client(base_url=url, timeout=60) as http:
        login = http.post("/auth/public/authenticate", json={"username": username, "password": password})
        login.raise_for_status()
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        for index in range(1, count + 1):
            va = f"/organisations/{ORG}/virtual-assets/{asset_id(index)}"
            answer = http.get(
                f"{va}/blocks", params={"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
            )
            failures += answer.is_error
            if answer.is_error:
                continue
            block = answer.json()[0]
            schedule = [{"time": moment, "power": float(power)} for moment, power in wanted.items()]
            failures += http.put(f"{va}/blocks/{block['id']}", json={"schedule": schedule}).is_error
            for route, code, bids in (FCR, AFRR):
                failures += http.put(f"{va}/ancillary/{route}/bids/{code}", json=bids).is_error
    return failures


def main() -> None:
    url, count = sys.argv[1], int(sys.argv[2])
    failures = naive_apply(url, count, os.environ["LAYR_USERNAME"], os.environ["LAYR_PASSWORD"])
    print(f"naive apply of {count} assets: {failures} failed requests")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
