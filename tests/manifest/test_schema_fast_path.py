"""Long schedules skip jsonschema only when it could find nothing: same diagnostics either way."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.core.yamlsource import Position, YamlDocument
from reconciler.manifest import schema_check
from reconciler.manifest.context import DocumentContext
from reconciler.manifest.schema_check import check_structure, manifest_validator, plainly_valid_entry

times = st.one_of(
    st.sampled_from(
        [
            "2026-11-24T10:00",
            "2026-11-24T10:15:00Z",
            "2026-11-24 10:30+01:00",
            "2026-11-24T10:00\n",  # jsonschema's re.search lets "$" match before a final newline
            "2026-11-24",
            "10:00",
            "2026-11-24T10:00 ",
            "",
        ]
    ),
    st.text(alphabet="0123456789-T:+Z ", max_size=22),
)
values = st.one_of(
    times,
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
    st.just([]),
)
entries = st.one_of(
    st.fixed_dictionaries(
        {"at": times, "power": st.decimals(places=1, allow_nan=False, allow_infinity=False)}
    ),
    st.fixed_dictionaries({"from": times, "to": times, "power": values}),
    st.dictionaries(st.sampled_from(["at", "from", "to", "power", "Power", "extra"]), values, max_size=4),
    values,
)


def diagnostics(document: Any) -> list[Any]:
    ctx = DocumentContext(YamlDocument("m.yaml", 1, document, Position(1, 1)))
    check_structure(ctx)
    return ctx.diagnostics


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=entries)
def test_a_plainly_valid_entry_is_one_jsonschema_accepts(entry: Any) -> None:
    document = {"apiVersion": "reconciler/v1", "kind": "VirtualAsset", "metadata": {"name": "m"}}
    document["spec"] = {"virtualAsset": "x", "wholesale": {"schedule": [entry]}}
    found = [list(e.absolute_path) for e in manifest_validator().iter_errors(document)]
    if plainly_valid_entry(entry):
        assert not [path for path in found if path[:3] == ["spec", "wholesale", "schedule"]]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schedule=st.lists(entries, max_size=6),
    extra=st.sampled_from([{}, {"unit": "GW"}, {"mode": "exactly"}, {"shedule": []}]),
    spec_extra=st.sampled_from([{}, {"virtualAsset": 7}, {"fcr": {"bids": [{"day": 1}]}}]),
)
def test_diagnostics_are_the_same_with_and_without_the_fast_path(
    schedule: list[Any], extra: dict[str, Any], spec_extra: dict[str, Any]
) -> None:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "VirtualAsset",
        "metadata": {"name": "munich-1"},
        "spec": {
            "virtualAsset": "7c1e0d4e-0000-4000-8000-000000000001",
            "wholesale": {"schedule": schedule, **extra},
            **spec_extra,
        },
    }
    fast = diagnostics(document)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(schema_check, "_schema_instance", lambda document: document)
        slow = diagnostics(document)
    assert fast == slow


def test_a_long_plain_schedule_is_left_out_of_jsonschema() -> None:
    schedule = [{"at": "2026-11-24T10:00", "power": Decimal(1)}] * 3
    document = {"spec": {"wholesale": {"schedule": schedule, "unit": "MW"}}}
    seen = schema_check._schema_instance(document)
    assert seen == {"spec": {"wholesale": {"schedule": [], "unit": "MW"}}}
    assert document["spec"]["wholesale"]["schedule"] == schedule  # the document itself is untouched
