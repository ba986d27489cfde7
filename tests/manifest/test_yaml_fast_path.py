"""libyaml's fast path reads every text exactly as the pure-Python loader does, or not at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.core import yamlsource
from reconciler.core.yamlcompose import compose_documents
from reconciler.core.yamlsource import MAX_DEPTH, parse_yaml_text

LINES = [
    "apiVersion: reconciler/v1",
    "kind: VirtualAsset",
    "metadata: {name: munich-1}",
    "spec:",
    "  virtualAsset: va-1",
    "  wholesale:",
    "    unit: MW",
    "    schedule:",
    '      - {from: "2026-11-24T10:00", to: "2026-11-24T12:00", power: -2.5}',
    "      - {at: 2026-11-24T13:00, power: 1e3}",
    "      - at: '2026-11-24T14:00'",
    "        power: 0x1F",
    "  fcr: {bids: [{day: 2026-11-24, product: NEGPOS_00_04, capacity: 1, capacityPrice: 95.5}]}",
    "a: &a [x, y]",
    "b: *a",
    "c: *undefined",
    "d: &a again",
    "<<: {a: 1}",
    "? [complex, key]",
    ": value",
    "{a: 1, a: 2}",
    "on: yes",
    "n: ~",
    "x: !!python/object/apply:os.system ['id']",
    "x: !custom {a: 1}",
    "x: !!str 12",
    "%YAML 1.1",
    "%TAG ! tag:example.com,2000:",
    "---",
    "...",
    "text: |",
    "  folded >",
    '"unterminated',
    "'single ''quoted'''",
    "key: value # comment",
    "# only a comment",
    "- item",
    "  - nested",
    "münchen: 𝄞 €",
    "\t tab",
    "x:\ty",
    "\x00\x07\x1b",
    "\ufeff",
    "\x85 \u2028 \u2029",
    "[" * 70 + "]" * 70,
    "",
    "   ",
]

texts = st.one_of(
    st.text(max_size=120),
    st.lists(st.one_of(st.sampled_from(LINES), st.text(max_size=12)), max_size=25).flatmap(
        lambda lines: st.sampled_from(["\n", "\r\n", "\r"]).map(lambda sep: sep.join(lines))
    ),
)


def read(text: str) -> tuple[list[Any], list[Any]]:
    documents, problems = parse_yaml_text(text, "m.yaml")
    seen = [(d.number, d.value, d.start, d.values, d.keys, d.problems) for d in documents]
    return seen, problems


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_fast_and_pure_python_readers_agree(text: str) -> None:
    fast = read(text)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(yamlsource, "compose_documents", lambda text, depth: None)
        slow = read(text)
    assert fast == slow


def test_the_fast_path_reads_plain_manifests() -> None:
    text = "\n".join(LINES[:13]) + "\n"
    assert compose_documents(text, MAX_DEPTH) is not None


@pytest.mark.parametrize(
    "text",
    [
        "a: [unclosed\n",  # a syntax error: the pure-Python parser words it
        "a: *nowhere\n",  # an undefined alias
        "a: &x 1\nb: &x 2\n",  # a repeated anchor
        "x:\t1\n",  # a tab
        "x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",  # deeper than the reader takes
        "x: " + "[" * 200_000 + "]" * 200_000 + "\n",  # libyaml's own composer would crash on this
    ],
)
def test_the_fast_path_leaves_unusual_texts_to_the_pure_python_reader(text: str) -> None:
    assert compose_documents(text, MAX_DEPTH) is None


def test_without_libyaml_every_text_is_read_by_the_pure_python_loader() -> None:
    # PyYAML built without libyaml (no yaml._yaml): validate reads and checks the examples alike
    examples = Path(__file__).resolve().parents[2] / "examples"
    script = (
        "import sys; sys.modules['yaml._yaml'] = None\n"
        "import yaml; assert not yaml.__with_libyaml__\n"
        "from reconciler.cli import main; main(['validate', sys.argv[1]])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(examples)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "4 manifests, 0 errors" in done.stdout
