"""Another organisation's virtual asset is indistinguishable from one that does not exist: over the
wire (status and body, reads and writes) and in what every command prints."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from reconciler.sandbox.server import RunningSandbox
from tests.support.harness import ORG, manifest, run, write_project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
OTHER_ORG, OTHER_USER, OTHER_PASSWORD = "org-rival", "rival", "rival-password-0042"
THEIRS = "7c1e0d4e-0000-4000-8000-0000000000aa"  # org-rival's asset
NOWHERE = "7c1e0d4e-0000-4000-8000-0000000000bb"  # no organisation has it
MakeSandbox = Callable[[Any], RunningSandbox]


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    """The example fixture plus a rival organisation owning a copy of munich-1 under another ID."""
    data = yaml.safe_load((EXAMPLES / "sandbox-fixture.yaml").read_text(encoding="utf-8"))
    rival_asset = {**data["organisations"][0]["virtualAssets"][0], "id": THEIRS, "name": "rival-1"}
    data["organisations"].append(
        {
            "id": OTHER_ORG,
            "users": [{"username": OTHER_USER, "password": OTHER_PASSWORD}],
            "virtualAssets": [rival_asset],
        }
    )
    monkeypatch.setenv("LAYR_USERNAME", "demo")
    monkeypatch.setenv("LAYR_PASSWORD", "demo-password")
    return make_sandbox(data)


def token(sandbox: RunningSandbox, username: str, password: str) -> dict[str, str]:
    answer = httpx.post(
        f"{sandbox.url}/auth/public/authenticate", json={"username": username, "password": password}
    )
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def answer(
    sandbox: RunningSandbox, headers: dict[str, str], method: str, path: str, body: Any = None
) -> tuple[int, str]:
    response = httpx.request(method, sandbox.url + path, headers=headers, json=body)
    return response.status_code, response.text


def test_the_wire_answers_alike_for_a_foreign_and_a_missing_asset(sandbox: RunningSandbox) -> None:
    ours, rivals = token(sandbox, "demo", "demo-password"), token(sandbox, OTHER_USER, OTHER_PASSWORD)
    their_asset = httpx.get(
        f"{sandbox.url}/organisations/{OTHER_ORG}/virtual-assets/{THEIRS}", headers=rivals
    ).json()
    their_block = their_asset["blockMetadata"][0]["id"]
    write = {"schedule": [{"time": "2026-11-24T09:00:00Z", "power": -1000}]}
    bids = [{"offeredCapacity": 1000, "capacityPrice": 100}]

    def as_if_missing(method: str, path: str, body: Any = None) -> None:
        """The answer for the rival's object equals the one for a made-up ID (with the IDs swapped)."""
        foreign = answer(sandbox, ours, method, path.format(va=THEIRS, block=their_block, org=ORG), body)
        missing = answer(sandbox, ours, method, path.format(va=NOWHERE, block=their_block, org=ORG), body)
        assert foreign[0] == missing[0] == 404
        assert foreign[1].replace(THEIRS, "<id>") == missing[1].replace(NOWHERE, "<id>")

    base = "/organisations/{org}/virtual-assets/{va}"
    as_if_missing("GET", base)
    as_if_missing("GET", base + "/blocks")
    as_if_missing("GET", base + "/blocks/{block}")
    as_if_missing("PUT", base + "/blocks/{block}", write)
    as_if_missing("POST", base + "/blocks/{block}", write)
    as_if_missing("GET", base + "/state-of-energy/latest")
    as_if_missing("GET", base + "/ancillary/fcr/bids?deliveryDay=2026-11-24")
    as_if_missing("PUT", base + "/ancillary/fcr/bids/2026-11-24_NEGPOS_08_12", bids)

    # naming the rival organisation itself is the same as naming one that does not exist
    theirs = answer(sandbox, ours, "GET", f"/organisations/{OTHER_ORG}/virtual-assets/{THEIRS}")
    nowhere = answer(sandbox, ours, "GET", f"/organisations/org-nowhere/virtual-assets/{THEIRS}")
    assert theirs[0] == nowhere[0] == 404
    assert theirs[1].replace(OTHER_ORG, "<org>") == nowhere[1].replace("org-nowhere", "<org>")
    listed = httpx.get(f"{sandbox.url}/organisations/{ORG}/virtual-assets", headers=ours).json()
    assert THEIRS not in {asset["id"] for asset in listed}

    # and none of those writes reached the rival's asset
    after = httpx.get(
        f"{sandbox.url}/organisations/{OTHER_ORG}/virtual-assets/{THEIRS}/blocks/{their_block}",
        params={"start": "2026-11-24T09:00:00Z", "end": "2026-11-24T09:00:00Z"},
        headers=rivals,
    ).json()
    assert [p["power"] for p in after["schedule"]] == [0]
    fcr = httpx.get(
        f"{sandbox.url}/organisations/{OTHER_ORG}/virtual-assets/{THEIRS}/ancillary/fcr/bids",
        params={"deliveryDay": "2026-11-24"},
        headers=rivals,
    ).json()
    assert fcr == []


@pytest.mark.parametrize("command", [["plan"], ["drift"], ["apply", "--auto-approve"], ["import"]])
def test_commands_print_the_same_for_a_foreign_and_a_missing_asset(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    body = "wholesale: {mode: partial, schedule: [{at: '2026-11-24T10:00', power: -1000}]}\n"
    outputs = []
    for va in (THEIRS, NOWHERE):
        root = write_project(tmp_path / va, sandbox.url, {"m.yaml": manifest("asset-1", va, body)})
        if command == ["import"]:
            args = ["import", "--virtual-asset", va, "--config", str(root / "reconciler.yaml")]
        else:
            args = [*command, str(root)]
        result = run(capsys, *args)
        text = (result.out + result.err).replace(va, "<id>").replace(str(root), "<dir>")
        # the plan's digest hashes the ID it names: it differs with the ID, not with ownership
        outputs.append((result.exit_code, re.sub(r"sha256:[0-9a-f]{12}", "sha256:<digest>", text)))
    assert outputs[0] == outputs[1]
    code, text = outputs[0]
    assert code == 1 and "<id>" in text and ("not found" in text or "does not exist" in text), text
