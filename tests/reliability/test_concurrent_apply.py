"""Two `apply` processes on the same target at once.

The platform has no conditional writes, so two applies can interleave; what must hold is that
every write is whole (the sandbox, like the platform, applies one PUT atomically, D1), that the
end state is what the last write of each object says, and that a saved plan whose live objects
the other process changed is refused as stale instead of overwriting them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.market import parse_instant, parse_product_date_code
from reconciler.platform import Credentials, PlatformClient
from reconciler.sandbox.server import RunningSandbox
from tests.reliability.reliability_helpers import (
    PASSWORD,
    PORTFOLIO_WRITES,
    USERNAME,
    canonical,
    portfolio_project,
    processed_writes,
    spawn,
    wait_for,
    write_units,
)
from tests.support.harness import BERLIN, MUNICH, ORG, manifest, run, write_project


def project(root: Path, url: str, kw: int, fcr_mw: int, price: int) -> Path:
    """munich-1 and berlin-2 at ``kw`` on the same morning periods, and one FCR bid on munich-1."""
    munich = f"""\
    wholesale: {{mode: partial, schedule: [{{from: "2026-11-24T10:00", to: "2026-11-24T12:00", power: {kw}}}]}}
    fcr: {{unit: MW, bids: [{{day: 2026-11-24, product: NEGPOS_08_12, capacity: {fcr_mw}, capacityPrice: {price}}}]}}
    """
    berlin = f'wholesale: {{mode: partial, schedule: [{{from: "2026-11-24T10:00", to: "2026-11-24T11:00", power: {kw // 2}}}]}}\n'
    return write_project(
        root,
        url,
        {
            "munich.yaml": manifest("munich-1", MUNICH, munich),
            "berlin.yaml": manifest("berlin-2", BERLIN, berlin),
        },
    )


def last_writes(log: list[dict[str, Any]]) -> dict[str, dict[tuple[str, str], str]]:
    """Per written object (request path): the periods or bids its last processed write set."""
    last: dict[str, dict[tuple[str, str], str]] = {}
    for entry in processed_writes(log):  # the log is in processing order
        last[entry["path"]] = {(path, what): value for path, what, value in write_units(entry)}
    return last


def live_units(sandbox: RunningSandbox, units: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """What the platform shows now for each written period or bid product, read over HTTP."""
    result: dict[tuple[str, str], str] = {}
    with PlatformClient(sandbox.url, ORG, Credentials(username=USERNAME, password=PASSWORD)) as client:
        for path, what in units:
            parts = path.split("/")
            va = parts[4]
            if what == "bids":
                code = parse_product_date_code(parts[-1])
                [product] = [p for p in client.get_bids(va, code.market, code.day) if p.code == code]
                bids = [
                    {"offeredCapacity": b.offered_capacity, "capacityPrice": b.capacity_price}
                    for b in product.bids
                ]
                result[(path, what)] = canonical(bids)
            else:
                moment = parse_instant(what)
                result[(path, what)] = canonical(
                    client.get_block(va, parts[-1], moment, moment).schedule[moment]
                )
    return result


def test_two_applies_at_once_leave_every_write_whole(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    charge = project(tmp_path / "charge", sandbox.url, -1000, 2, 100)
    discharge = project(tmp_path / "discharge", sandbox.url, 1000, 1, 90)
    sandbox.set_faults(latencyMs=60)  # each run takes seconds: their writes usually interleave
    processes = [spawn("apply", str(p), "--auto-approve") for p in (charge, discharge)]
    outputs = [process.communicate(timeout=60) for process in processes]
    sandbox.set_faults()
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode in (0, 1), out + err  # 1: its re-read saw the other's writes
        assert "Traceback" not in err and "internal error" not in err

    last = last_writes(sandbox.requests())
    assert len(last) == 3  # munich's block and FCR bid, berlin's block
    standing = {unit: value for units in last.values() for unit, value in units.items()}
    assert live_units(sandbox, set(standing)) == standing  # each object is exactly its last write
    for path, units in last.items():  # ... and that write came whole from one of the two runs
        if "/blocks/" in path:
            assert len(set(units.values())) == 1 and len(units) in (8, 4)

    # whichever run won, applying one project again converges
    assert run(capsys, "apply", str(charge), "--auto-approve").exit_code == 0
    assert run(capsys, "plan", str(charge), "--detailed-exitcode").exit_code == 0


def test_a_saved_plan_is_refused_as_stale_when_the_other_apply_changed_its_objects(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours = portfolio_project(tmp_path / "ours", sandbox.url)
    theirs = portfolio_project(tmp_path / "theirs", sandbox.url)
    munich = theirs / "munich-1.yaml"
    munich.write_text(munich.read_text().replace("capacityPrice: 95.5", "capacityPrice: 96"))
    our_plan, their_plan = ours / "plan.json", theirs / "plan.json"
    for project_dir, plan_file in ((ours, our_plan), (theirs, their_plan)):  # both from the same state
        assert run(capsys, "plan", str(project_dir), "--out", str(plan_file)).exit_code == 0

    sandbox.set_faults(latencyMs=60)  # our apply takes well over a second after its first write
    our_apply = spawn("apply", str(our_plan), "--target", "local")
    try:
        assert wait_for(lambda: processed_writes(sandbox.requests()) != [])
        assert our_apply.poll() is None  # still writing when theirs starts
        their_apply = spawn("apply", str(their_plan), "--target", "local")
        their_out, their_err = their_apply.communicate(timeout=60)
        our_out, our_err = our_apply.communicate(timeout=60)
    finally:
        our_apply.kill()
    assert their_apply.returncode == 1 and "stale" in their_err, their_out + their_err
    assert our_apply.returncode == 0, our_out + our_err
    assert len(processed_writes(sandbox.requests())) == PORTFOLIO_WRITES  # only ours were written
