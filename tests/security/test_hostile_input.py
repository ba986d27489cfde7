"""Hostile input to the two YAML loaders a user feeds: manifests (``reconciler validate``) and sandbox
fixtures (``reconciler sandbox --fixture``, the embedded target).

Whatever the bytes, the command ends with exit 0 or 1 and a message, never a traceback (exit 3);
tags that would construct objects are refused, and huge files, deep nesting and alias bombs fail
in bounded time and memory.
"""

from __future__ import annotations

import contextlib
import io
import resource
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import main
from reconciler.manifest import load_manifests
from reconciler.sandbox.fixture import Fixture, FixtureError, load_fixture

EXAMPLE_FIXTURE = Path(__file__).resolve().parents[2] / "examples" / "sandbox-fixture.yaml"
MANIFEST_HEAD = "apiVersion: reconciler/v1\nkind: VirtualAsset\nmetadata:\n  name: x\nspec:\n"

# Pieces of YAML that have broken loaders: tags that construct objects, anchors and aliases,
# merge keys, directives, odd scalars, unbalanced brackets, tabs, control characters.
FRAGMENTS = [
    "apiVersion: reconciler/v1",
    "kind: VirtualAsset",
    "metadata: {name: x}",
    "spec:",
    "  virtualAsset: 7c1e0d4e-0000-4000-8000-000000000001",
    "  timezone: Europe/Berlin",
    "  wholesale: {unit: MW, schedule: [{at: 2026-03-29T02:30, power: 1e3}]}",
    "  wholesale: {schedule: {csv: /dev/zero}}",
    "  fcr: {bids: [{day: 2026-10-25, product: NEGPOS_00_04, capacity: 1e400, capacityPrice: .nan}]}",
    "  afrr: {bids: [{day: 0000-00-00, product: POS_100, capacity: -0, energyPrice: 0x7fffffff}]}",
    "now: '2026-11-23T06:55:00+01:00'",
    "tokenExpiresIn: " + "9" * 5000,
    "organisations: [{id: o, users: [{username: u, password: p}], virtualAssets: []}]",
    "!!python/object/apply:os.system ['echo pwned']",
    "x: !!python/object/new:builtins.list [[1]]",
    "x: !!python/name:os.system ''",
    "x: !!binary aGk=",
    "x: !!set {a, b}",
    "x: !custom {a: 1}",
    "&a [*a]",
    "a: &a [x, x, x, x, x, x, x, x, x, x]",
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
    "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
    "<<: {a: 1}",
    "? [complex, key]",
    ": value",
    "{a: 1, a: 2}",
    "%YAML 1.1",
    "%TAG ! tag:example.com,2000:",
    "---",
    "...",
    "[" * 200,
    '"unterminated',
    "\t tab",
    "\x00\x07\x1b",
    "\ufeff",
]

hostile_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=15)), max_size=20).map("\n".join),
)


def run_cli(*args: str) -> tuple[int, str]:
    """The real entry point in-process; returns the exit code and everything it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue() + err.getvalue()


def assert_clean_ending(code: int, output: str) -> None:
    assert code in (0, 1), output
    assert "Traceback" not in output and "internal error" not in output, output
    assert output.strip(), "no message at all"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text, binary=st.binary(max_size=64))
def test_validate_ends_cleanly_on_any_manifest_text(scratch: Path, text: str, binary: bytes) -> None:
    path = scratch / "manifest.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    code, output = run_cli("validate", str(path))
    assert_clean_ending(code, output)
    path.write_bytes(text.encode("utf-8", "surrogatepass") + binary)
    assert_clean_ending(*run_cli("validate", str(path)))


def fixture_outcome(path: Path) -> Fixture | FixtureError:
    """Loading ends in a fixture or a FixtureError naming the file; anything else fails the test."""
    try:
        return load_fixture(path)
    except FixtureError as error:
        assert str(error).startswith(str(path)), str(error)
        return error


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text)
def test_the_fixture_loader_raises_nothing_but_fixture_errors_on_any_text(scratch: Path, text: str) -> None:
    path = scratch / "fixture.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    fixture_outcome(path)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["2026-11-23T06:55:00+01:00", "07:30", "25:99", "2026-02-30", "NEGPOS_00_04"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


EXAMPLE = yaml.safe_load(EXAMPLE_FIXTURE.read_text(encoding="utf-8"))
EXAMPLE_PATHS = [p for p in _paths(EXAMPLE) if p]


def _replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy: Any = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replaced(copy[path[0]], path[1:], value)
    return copy


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.lists(st.sampled_from(EXAMPLE_PATHS), min_size=1, max_size=3), values=st.data())
def test_the_fixture_loader_raises_nothing_but_fixture_errors_on_any_mutation_of_the_example(
    scratch: Path, where: list[tuple[Any, ...]], values: st.DataObject
) -> None:
    data = EXAMPLE
    for path in where:
        with contextlib.suppress(KeyError, IndexError, TypeError):  # an earlier change removed it
            data = _replaced(data, path, values.draw(json_values))
    mutated = scratch / "mutated.yaml"
    mutated.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8", errors="surrogatepass")
    fixture_outcome(mutated)


# -- tags that construct objects -------------------------------------------------------------

CONSTRUCTING_TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "!!python/name:os.system ''",
    "!!python/object:argparse.Namespace {{x: 1}}",
]


@pytest.mark.parametrize("tag", CONSTRUCTING_TAGS)
def test_object_constructing_tags_are_refused_by_both_loaders(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    value = tag.format(marker=marker)
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST_HEAD + f"  virtualAsset: {value}\n")
    result = load_manifests([manifest])
    tagged = [d for d in result.diagnostics if d.code == "yaml-tag"]
    assert len(tagged) == 1 and tagged[0].line == 6 and "python/" in (tagged[0].found or "")
    assert not result.manifests

    fixture = tmp_path / "f.yaml"
    text = EXAMPLE_FIXTURE.read_text(encoding="utf-8")
    fixture.write_text(text.replace("tokenExpiresIn: 3600", f"tokenExpiresIn: {value}"))
    outcome = fixture_outcome(fixture)
    assert isinstance(outcome, FixtureError) and "python/" in str(outcome), outcome
    code, output = run_cli("sandbox", "--fixture", str(fixture), "--port", "0")
    assert code == 1 and output.startswith(f"error: {fixture}:")
    assert not marker.exists()


# -- huge, deep, explosive -------------------------------------------------------------------


MEMORY_LIMIT = 512 * 2**20  # address space of the whole process; `reconciler validate` needs ~150 MB


def run_limited(*args: str, seconds: float = 30) -> tuple[int, str]:
    """``python -m reconciler ARGS`` with its address space capped: blowing up is a MemoryError
    (exit 3, "internal error"), running away a timeout; both fail the test."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        timeout=seconds,
        preexec_fn=cap_memory,
    )
    return done.returncode, done.stdout + done.stderr


EXPLOSIVE: dict[str, Callable[[], str]] = {
    "deep flow nesting": lambda: "x: " + "[" * 5_000 + "]" * 5_000 + "\n",
    "deep block nesting": lambda: "".join(" " * i + f"k{i}:\n" for i in range(2_000)) + " " * 2_000 + "v\n",
    "alias bomb (10^9 values)": lambda: (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
        )
    ),
    "recursive alias": lambda: "now: &loop [*loop]\norganisations: *loop\n",
}


@pytest.mark.parametrize("name", EXPLOSIVE)
def test_deep_and_explosive_documents_fail_cleanly_in_bounded_time_and_memory(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "explosive.yaml"
    path.write_text(EXPLOSIVE[name]())
    code, output = run_limited("validate", str(path), seconds=15)
    assert code == 1 and f"{path}:1:" in output and "Traceback" not in output, output
    code, output = run_limited("sandbox", "--fixture", str(path), "--port", "0", seconds=15)
    assert code == 1 and output.startswith(f"error: {path}:"), output


def test_huge_files_are_refused_without_being_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as sparse:  # 4 GiB that take no disk, but would take the memory if read
        sparse.truncate(4 * 2**30)
    tracemalloc.start()
    try:
        result = load_manifests([huge])
        [error] = [d for d in result.diagnostics if d.is_error]
        assert error.file == str(huge) and "too large" in error.message, error.render()
        outcome = fixture_outcome(huge)
        assert isinstance(outcome, FixtureError) and "too large" in str(outcome)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # neither file was read: reading it would take 4 GiB

    code, output = run_limited("validate", str(huge), seconds=10)
    assert code == 1 and "too large" in output, output
    code, output = run_limited("sandbox", "--fixture", str(huge), seconds=10)
    assert code == 1 and "too large" in output, output
