"""Files a manifest names stay in the project: every way out is refused before a byte is read,
and no output of validate, plan or drift (text or JSON) carries the target's content."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.core.yamlsource import MAX_FILE_BYTES
from reconciler.manifest import load_manifests
from reconciler.sandbox.server import RunningSandbox
from tests.manifest.manifest_helpers import ASSET_1, manifest_text, only
from tests.support.harness import MUNICH, manifest, run, write_project

MARKER = "TOPSECRET-7f3a9c"  # in every file a manifest must not read
CONTENT = f"time,power {MARKER}\n2026-11-24T10:00,1\n"


def _csv_spec(path: str) -> str:
    return f"wholesale:\n  schedule: {{csv: '{path}'}}\n"


def _first_bytes(path: str) -> str:
    with open(path, "rb") as handle:
        return handle.read(40).split(b"\n")[0].split(b"\0")[0].decode("utf-8", "replace")


def _escapes(project: Path, outside: Path) -> dict[str, tuple[str, str, str]]:
    """name -> (path written in the manifest, expected code, text the output must not contain).
    ``project`` holds reconciler.yaml; ``outside`` is a sibling folder with a secret file."""
    outside.mkdir(exist_ok=True)
    (outside / "secret.csv").write_text(CONTENT, encoding="utf-8")
    (project / "linked.csv").symlink_to(outside / "secret.csv")
    (project / "linked-folder").symlink_to(outside, target_is_directory=True)
    os.mkfifo(project / "pipe.csv")
    (project / "folder.csv").mkdir()
    with (project / "huge.csv").open("wb") as huge:
        huge.write(CONTENT.encode())
        huge.truncate(MAX_FILE_BYTES + 1)  # sparse: no 8 MiB written
    return {
        "absolute": (str(outside / "secret.csv"), "path-outside-project", MARKER),
        "dot-dot": ("../outside/secret.csv", "path-outside-project", MARKER),
        "symlink out": ("linked.csv", "path-outside-project", MARKER),
        "symlinked folder out": ("linked-folder/secret.csv", "path-outside-project", MARKER),
        "/proc/self/environ": (
            "/proc/self/environ",
            "path-outside-project",
            _first_bytes("/proc/self/environ"),
        ),
        "/etc/passwd": ("/etc/passwd", "path-outside-project", _first_bytes("/etc/passwd")),
        "dot-dot to /etc/passwd": (
            "../" * 12 + "etc/passwd",
            "path-outside-project",
            _first_bytes("/etc/passwd"),
        ),
        "fifo": ("pipe.csv", "path-not-a-file", MARKER),
        "directory": ("folder.csv", "path-not-a-file", MARKER),
        "over-size": ("huge.csv", "file-too-large", MARKER),
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "reconciler.yaml").write_text("targets: {}\n", encoding="utf-8")
    return root


def test_every_way_out_is_refused_at_the_manifest_field_without_reading(
    project: Path, tmp_path: Path
) -> None:
    for name, (path, code, secret) in _escapes(project, tmp_path / "outside").items():
        result = load_manifests([_write(project / "m.yaml", _csv_spec(path))])
        error = only(result, code)
        assert (error.file, error.line, error.path) == (
            str(project / "m.yaml"),
            8,
            "spec.wholesale.schedule.csv",
        ), name
        assert not result.manifests, name
        assert all(secret not in d.render() for d in result.diagnostics), name


def test_paths_inside_the_project_are_read_through_dot_dot_and_symlinks(project: Path) -> None:
    (project / "schedules").mkdir()
    (project / "schedules" / "plan.csv").write_text(CONTENT.replace(f" {MARKER}", ""), encoding="utf-8")
    (project / "latest.csv").symlink_to(project / "schedules" / "plan.csv")
    (project / "assets").mkdir()
    for path in ("../schedules/plan.csv", "../latest.csv", "./../assets/../schedules/plan.csv"):
        result = load_manifests([_write(project / "assets" / "m.yaml", _csv_spec(path))])
        assert result.ok, [d.render() for d in result.diagnostics]
        (manifest,) = result.manifests
        assert manifest.wholesale is not None and len(manifest.wholesale.points) == 1


def test_without_a_project_config_the_manifests_folder_is_the_project(tmp_path: Path) -> None:
    (tmp_path / "plan.csv").write_text("time,power\n2026-11-24T10:00,1\n", encoding="utf-8")
    (tmp_path / "assets").mkdir()
    result = load_manifests([_write(tmp_path / "assets" / "m.yaml", _csv_spec("../plan.csv"))])
    assert only(result, "path-outside-project").path == "spec.wholesale.schedule.csv"
    result = load_manifests([_write(tmp_path / "m.yaml", _csv_spec("plan.csv"))])
    assert result.ok


def test_a_project_file_is_quoted_only_as_a_short_printable_excerpt(project: Path) -> None:
    header = "when," + "x" * 60 + MARKER + "\x1b[2J\n"
    (project / "plan.csv").write_text(header + "2026-11-24T10:00,1\n", encoding="utf-8")
    result = load_manifests([_write(project / "m.yaml", _csv_spec("plan.csv"))])
    error = only(result, "csv-header")
    assert error.found == "when," + "x" * 35 + "..."
    assert all(MARKER not in d.render() and "\x1b" not in d.render() for d in result.diagnostics)


@pytest.mark.parametrize("command", ["validate", "plan", "drift"])
@pytest.mark.parametrize("output", ["text", "json"])
def test_no_output_of_any_command_carries_a_refused_files_content(
    capsys: pytest.CaptureFixture[str], sandbox: RunningSandbox, tmp_path: Path, command: str, output: str
) -> None:
    root = write_project(tmp_path / "project", sandbox.url, {})
    escapes = _escapes(root, tmp_path / "outside")
    for name, (path, code, secret) in escapes.items():
        body = f"wholesale:\n  schedule: {{csv: '{path}'}}\n"
        (root / "munich.yaml").write_text(manifest("munich-1", MUNICH, body), encoding="utf-8")
        result = run(capsys, command, "--format", output, str(root))
        assert result.exit_code == 1, (name, result.err)
        assert code in result.out + result.err, (name, result.out, result.err)
        assert secret not in result.out + result.err, name


def test_the_environment_never_reaches_the_output_through_a_csv_path(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.yaml", _csv_spec("/proc/self/environ"))
    environment = {**os.environ, "LAYR_PASSWORD": f"pw-{MARKER}", "LAYR_TOKEN": f"tok-{MARKER}"}
    for output in ("text", "json"):
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "validate", "--format", output, str(path)],
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        assert "path-outside-project" in done.stdout
        assert MARKER not in done.stdout + done.stderr


def _write(path: Path, spec: str) -> Path:
    path.write_text(manifest_text(spec, asset=ASSET_1), encoding="utf-8")
    return path


def test_a_directory_scan_does_not_follow_a_symlink_out_of_the_project(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(manifest_text("organisation: org-x\n").replace("munich-1", MARKER), encoding="utf-8")
    (project / "linked.yaml").symlink_to(outside)
    _write(project / "m.yaml", "")
    result = load_manifests([project])
    warning = only(result, "path-outside-project")
    assert (warning.severity, warning.file) == ("warning", str(project / "linked.yaml"))
    assert [m.name for m in result.manifests] == ["munich-1"]
    assert str(project / "linked.yaml") in result.skipped
    assert all(MARKER not in d.render() for d in result.diagnostics)
