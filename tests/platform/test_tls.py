"""The client over TLS, as every real platform is reached: the server's certificate verified
(against ``SSL_CERT_FILE`` when set, as OpenSSL and httpx read it), connections kept alive, and a
certificate nobody vouches for refused without a request sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import trustme

from reconciler.platform import LoginFailed, PlatformClient
from reconciler.platform.credentials import Credentials
from reconciler.platform.transport import _tls_context
from reconciler.sandbox.server import RunningSandbox, running_sandbox
from tests.platform.client_helpers import ORG, PASSWORD, USER, VA_ID, fixture, logged
from tests.support.harness import run


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_sandbox(authority: trustme.CA, tmp_path: Path) -> Iterator[RunningSandbox]:
    pem = tmp_path / "server.pem"
    authority.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(pem))
    seed = tmp_path / "fixture.yaml"
    seed.write_text(json.dumps(fixture()))
    with running_sandbox(seed, tls=pem) as sandbox:
        yield sandbox


@pytest.fixture
def trusted(authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    _tls_context.cache_clear()  # built once per process: the next client reads SSL_CERT_FILE
    yield
    _tls_context.cache_clear()


def client(sandbox: RunningSandbox) -> PlatformClient:
    return PlatformClient(sandbox.url, ORG, Credentials(username=USER, password=PASSWORD), max_attempts=1)


@pytest.mark.usefixtures("trusted")
def test_reads_and_writes_travel_over_verified_tls(tls_sandbox: RunningSandbox) -> None:
    assert tls_sandbox.url.startswith("https://")
    with client(tls_sandbox) as platform:
        va = platform.get_virtual_asset(VA_ID)
        block_id = va.wholesale_block_id
        assert block_id is not None
        period = va.start
        platform.put_schedule(VA_ID, block_id, {period: Decimal(250)})
        assert platform.get_block(VA_ID, block_id, period, period).schedule[period] == Decimal(250)
        assert platform.request_count == 4  # login, read, write, read: no attempt failed
    assert [entry["method"] for entry in logged(tls_sandbox)][-3:] == ["GET", "PUT", "GET"]


def test_a_certificate_from_an_unknown_authority_is_refused(tls_sandbox: RunningSandbox) -> None:
    _tls_context.cache_clear()  # certifi's bundle: the test authority is not in it
    with client(tls_sandbox) as platform, pytest.raises(LoginFailed, match="CERTIFICATE_VERIFY_FAILED"):
        platform.get_virtual_asset(VA_ID)
    assert logged(tls_sandbox) == []  # nothing, not even the login, reached the platform


@pytest.mark.usefixtures("trusted")
def test_plan_runs_against_an_https_target(
    tls_sandbox: RunningSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAYR_USERNAME", USER)
    monkeypatch.setenv("LAYR_PASSWORD", PASSWORD)
    project = tmp_path / "project"
    project.mkdir()
    (project / "reconciler.yaml").write_text(
        f"default: local\ntargets:\n  local: {{kind: emulator, apiUrl: '{tls_sandbox.url}', organisation: {ORG}}}\n"
    )
    (project / "a.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: VirtualAsset\nmetadata: {name: a}\n"
        f"spec:\n  virtualAsset: {VA_ID}\n"
        "  wholesale: {unit: kW, mode: partial, schedule: "
        '[{from: "2026-05-30T10:00", to: "2026-05-30T11:00", power: 200}]}\n'
    )
    result = run(capsys, "plan", str(project))
    assert result.exit_code == 0, result.err
    assert "Plan: 0 to create, 1 to update, 0 to delete — 1 request" in result.out, result.out
