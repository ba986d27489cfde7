"""Choosing and connecting to a target: reconciler.yaml discovery, --target, --api-url, protection."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from reconciler.core.errors import ReconcilerError, UsageError
from reconciler.platform import CredentialsError, InsecureURLError
from reconciler.project.config import find_config, load_config, resolve_target
from reconciler.project.targets import confirm_protected, connect
from reconciler.sandbox.server import RunningSandbox

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

CONFIG = """\
default: {default}
targets:
  embedded: {{kind: embedded, fixture: fixture.yaml, organisation: org-demo}}
  staging: {{kind: platform, apiUrl: "https://api.sandbox.trlyr.com", organisation: org-s}}
  production: {{kind: platform, apiUrl: "https://api.trlyr.com", organisation: org-p, protected: true}}
"""


def write_project(root: Path, default: str = "embedded") -> Path:
    (root / "manifests" / "munich").mkdir(parents=True)
    manifest = root / "manifests" / "munich" / "va.yaml"
    manifest.write_text("apiVersion: reconciler/v1\n")
    (root / "reconciler.yaml").write_text(CONFIG.format(default=default))
    return manifest


def test_config_is_found_in_a_parent_folder_of_the_manifests(tmp_path: Path) -> None:
    manifest = write_project(tmp_path)
    assert find_config([manifest], None) == (tmp_path / "reconciler.yaml").resolve()
    assert find_config([manifest.parent], None) == (tmp_path / "reconciler.yaml").resolve()
    target = resolve_target([manifest], config=None, target=None, api_url=None, organisation=None)
    assert target.name == "embedded" and target.kind == "embedded"
    assert target.fixture == (tmp_path / "fixture.yaml").resolve()
    assert target.source.endswith("reconciler.yaml:3")


def test_explicit_config_wins_and_a_missing_one_is_a_usage_error(tmp_path: Path) -> None:
    write_project(tmp_path / "a")
    other = tmp_path / "elsewhere.yaml"
    other.write_text(CONFIG.format(default="staging"))
    target = resolve_target([tmp_path / "a"], config=other, target=None, api_url=None, organisation=None)
    assert target.name == "staging" and target.api_url == "https://api.sandbox.trlyr.com"
    with pytest.raises(UsageError, match="no such file"):
        find_config([], tmp_path / "nope.yaml")


def test_unknown_target_lists_the_known_names(tmp_path: Path) -> None:
    manifest = write_project(tmp_path)
    with pytest.raises(UsageError) as error:
        resolve_target([manifest], config=None, target="prod", api_url=None, organisation=None)
    message = str(error.value)
    assert "unknown target 'prod'" in message
    assert "embedded, staging, production" in message


def test_a_protected_target_is_never_the_default_but_can_be_named(tmp_path: Path) -> None:
    manifest = write_project(tmp_path, default="production")
    with pytest.raises(UsageError, match="protected and is used only when named: pass --target production"):
        resolve_target([manifest], config=None, target=None, api_url=None, organisation=None)
    named = resolve_target([manifest], config=None, target="production", api_url=None, organisation=None)
    assert named.protected and named.organisation == "org-p"


def test_with_no_target_at_all_the_error_says_how_to_name_one(tmp_path: Path) -> None:
    (tmp_path / "va.yaml").write_text("kind: VirtualAsset\n")
    with pytest.raises(UsageError) as error:
        resolve_target([tmp_path / "va.yaml"], config=None, target=None, api_url=None, organisation=None)
    assert "--target NAME" in str(error.value) and "--api-url URL --organisation ID" in str(error.value)


def test_api_url_needs_an_organisation_and_no_config(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--organisation"):
        resolve_target(
            [tmp_path], config=None, target=None, api_url="https://api.trlyr.com", organisation=None
        )
    target = resolve_target(
        [tmp_path], config=None, target=None, api_url="https://api.trlyr.com", organisation="org-x"
    )
    assert (target.kind, target.organisation, target.protected) == ("platform", "org-x", False)


def test_config_errors_name_file_line_field_expected_and_found(tmp_path: Path) -> None:
    path = tmp_path / "reconciler.yaml"
    path.write_text(
        "targets:\n"
        "  staging:\n"
        "    kind: platfrom\n"
        "    apiUrl: https://api.sandbox.trlyr.com\n"
        "    organisaton: org-1\n"
    )
    with pytest.raises(UsageError) as error:
        load_config(path)
    lines = str(error.value).splitlines()
    assert any(
        line.endswith(
            "reconciler.yaml:3: targets.staging.kind: expected one of embedded, emulator, platform; "
            "found 'platfrom' (did you mean 'platform'?)"
        )
        for line in lines
    ), lines
    assert any("reconciler.yaml:5: targets.staging.organisaton: unknown field" in line for line in lines)
    assert any("did you mean 'organisation'" in line for line in lines)


def test_missing_credentials_message_names_the_environment_variables() -> None:
    staging = load_config(EXAMPLES / "reconciler.yaml").targets["sandbox"]
    with pytest.raises(CredentialsError) as error, connect(staging, environ={}):
        pass
    for variable in ("LAYR_USERNAME", "LAYR_PASSWORD", "LAYR_TOKEN"):
        assert variable in str(error.value)


def test_plain_http_to_a_remote_host_is_refused_before_credentials_are_read() -> None:
    target = resolve_target([], config=None, target=None, api_url="http://api.trlyr.com", organisation="o")
    with (
        pytest.raises(InsecureURLError, match=r"refusing plain http:// to api\.trlyr\.com"),
        connect(target, environ={}),
    ):
        pass


def test_apply_on_a_protected_target_needs_its_name_typed_or_auto_approve_with_it_named(
    tmp_path: Path,
) -> None:
    manifest = write_project(tmp_path)
    production = resolve_target([manifest], config=None, target="production", api_url=None, organisation=None)
    asked: list[str] = []

    def typed(answer: str) -> Callable[[str], str]:
        def prompt(text: str) -> str:
            asked.append(text)
            return answer

        return prompt

    confirm_protected(production, named="production", auto_approve=True, prompt_fn=typed("no"))
    assert asked == []
    with pytest.raises(ReconcilerError, match="--target production --auto-approve"):
        confirm_protected(production, named=None, auto_approve=True, prompt_fn=typed("no"))
    confirm_protected(production, named=None, auto_approve=False, prompt_fn=typed("production"))
    assert len(asked) == 1 and "Type 'production' to apply" in asked[0]
    with pytest.raises(ReconcilerError, match="protected"):
        confirm_protected(production, named="production", auto_approve=False, prompt_fn=typed("yes"))
    staging = resolve_target([manifest], config=None, target="staging", api_url=None, organisation=None)
    confirm_protected(staging, named=None, auto_approve=False, prompt_fn=typed("anything"))  # not asked
    assert len(asked) == 2


def test_embedded_target_needs_no_environment_and_its_now_is_the_fixture_clock() -> None:
    target = resolve_target([EXAMPLES], config=None, target=None, api_url=None, organisation=None)
    assert target.kind == "embedded"
    with connect(target, environ={}) as connection:
        assert connection.is_embedded
        assert connection.now() == datetime(2026, 11, 23, 5, 55, tzinfo=UTC)
        assert connection.description.startswith("embedded sandbox (")
        assert connection.description.endswith("sandbox-fixture.yaml, clock 2026-11-23 06:55 CET)")
        # plans record the fixture, not the loopback port of this one run
        assert connection.api_url == "embedded:sandbox-fixture.yaml"
        assert connection.client.base_url.startswith("http://127.0.0.1:")
        assert len(connection.client.list_virtual_assets()) == 5  # the example fixture's
    with pytest.raises(httpx.TransportError):  # the in-process sandbox stops with the connection
        httpx.get(connection.client.base_url + "/_sandbox/clock", timeout=1)


def test_api_url_of_a_running_sandbox_is_detected_as_an_emulator(sandbox: RunningSandbox) -> None:
    target = resolve_target([], config=None, target=None, api_url=sandbox.url, organisation="org-demo")
    assert target.kind == "emulator"
    environ = {"LAYR_USERNAME": "demo", "LAYR_PASSWORD": "demo-password"}
    with connect(target, environ=environ) as connection:
        assert not connection.is_embedded
        assert connection.now() == datetime(2026, 11, 23, 5, 55, tzinfo=UTC)
        sandbox.advance(600)
        assert connection.now() == datetime(2026, 11, 23, 6, 5, tzinfo=UTC)  # read live, not cached
        assert "emulator" in connection.description
        assert len(connection.client.list_virtual_assets()) == 5  # the example fixture's


def test_a_loopback_url_that_is_no_sandbox_is_a_platform_on_the_system_clock() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    target = resolve_target(
        [], config=None, target=None, api_url=f"http://127.0.0.1:{port}", organisation="o"
    )
    assert target.kind == "platform"
    with connect(target, environ={"LAYR_TOKEN": "tok-target-test-1"}) as connection:
        assert abs(connection.now() - datetime.now(UTC)).total_seconds() < 5
        assert "tok-target-test-1" not in connection.description + repr(connection.client)
