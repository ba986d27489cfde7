"""Property tests: expansion invariants, and that no YAML text can make the loader raise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifest import read_manifest_text
from reconciler.market import PERIOD, resolve_local
from tests.manifest.manifest_helpers import manifest_text

ZONES = ["Europe/Berlin", "UTC", "Asia/Kolkata", "America/New_York"]
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)


def written(moment: datetime, tz: ZoneInfo, local: bool) -> str:
    """The instant as a manifest author may write it: local in ``tz`` where that is unambiguous."""
    wall = moment.astimezone(tz)
    if local:
        naive = wall.replace(tzinfo=None)
        try:
            if resolve_local(naive, tz) == moment:
                return naive.isoformat(timespec="minutes")
        except ValueError:
            pass  # in a DST gap or overlap: only an offset names it
    return wall.isoformat(timespec="minutes")


@settings(max_examples=120, deadline=None)
@given(
    start_index=st.integers(min_value=0, max_value=365 * 96 - 1),
    length=st.integers(min_value=1, max_value=300),
    zone=st.sampled_from(ZONES),
    local_start=st.booleans(),
    local_end=st.booleans(),
    megawatts=st.decimals(min_value=-5000, max_value=5000, places=3, allow_nan=False, allow_infinity=False),
)
def test_a_range_covers_exactly_from_to_on_the_grid_in_exact_kw(
    start_index: int, length: int, zone: str, local_start: bool, local_end: bool, megawatts: Decimal
) -> None:
    tz = ZoneInfo(zone)
    start = YEAR_START + start_index * PERIOD
    end = start + length * PERIOD
    spec = (
        f"timezone: {zone}\n"
        "wholesale:\n"
        "  unit: MW\n"
        "  schedule:\n"
        f"    - {{from: '{written(start, tz, local_start)}', to: '{written(end, tz, local_end)}', "
        f"power: {megawatts:f}}}\n"
    )
    manifests, diagnostics = read_manifest_text(manifest_text(spec), "mem.yaml")
    assert diagnostics == []
    schedule = manifests[0].wholesale
    assert schedule is not None
    periods = list(schedule.points)
    assert periods == [start + i * PERIOD for i in range(length)]  # exactly [from, to), in order
    assert all(p.tzinfo is UTC and p.minute % 15 == 0 and p.second == 0 for p in periods)
    assert all(kw == megawatts * 1000 and kw / 1000 == megawatts for kw in schedule.points.values())


@settings(max_examples=60, deadline=None)
@given(
    instants=st.lists(st.integers(min_value=0, max_value=96 * 60), min_size=1, max_size=20, unique=True),
    zone=st.sampled_from(ZONES),
)
def test_single_periods_land_on_their_utc_start(instants: list[int], zone: str) -> None:
    tz = ZoneInfo(zone)
    moments = [YEAR_START + timedelta(days=80) + i * PERIOD for i in instants]
    lines = "".join(f"    - {{at: '{written(m, tz, True)}', power: {i}}}\n" for i, m in enumerate(moments))
    manifests, diagnostics = read_manifest_text(
        manifest_text(f"timezone: {zone}\nwholesale:\n  schedule:\n{lines}"), "mem.yaml"
    )
    assert diagnostics == []
    schedule = manifests[0].wholesale
    assert schedule is not None
    assert schedule.points == {m: Decimal(i) for i, m in enumerate(moments)}


FRAGMENTS = [
    "apiVersion: reconciler/v1",
    "kind: VirtualAsset",
    "metadata:",
    "  name: x",
    "spec:",
    "  virtualAsset: 7c1e0d4e-0000-4000-8000-000000000001",
    "  timezone: Europe/Berlin",
    "  wholesale:",
    "    unit: MW",
    "    schedule:",
    "      - {at: 2026-03-29T02:30, power: 1e3}",
    "      - {from: '2026-10-25T02:00', to: 2026-10-25T03:00+01:00, power: -.5}",
    "    schedule: {csv: ../../etc/passwd}",
    "  fcr:",
    "    bids:",
    "      - {day: 2026-11-24, product: NEGPOS_00_04, capacity: 1000.5, capacityPrice: 1}",
    "      - {day: 9999-12-31, product: POS_100, capacity: 0x10, energyPrice: .nan}",
    "  afrr: {bids: [{day: 0001-01-01, product: NEG_001, capacity: -1, energyPrice: 1e99999}]}",
    "---",
    "...",
    "- &a [*a]",
    "<<: {a: 1}",
    "? [complex, key]",
    ": value",
    "!!python/object:os.system x",
    "!custom {a: 1}",
    "key: &anchor value",
    "other: *anchor",
    "other: *missing",
    "  - item",
    "\t tab",
    '"unterminated',
    "[[[[[[[[[[",
    "{a: 1, a: 2}",
    "%YAML 1.1",
    "%TAG ! tag:example.com,2000:",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(
            st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)),
            max_size=25,
        ).map("\n".join),
    )
)
def test_the_loader_never_raises_on_any_text(text: str) -> None:
    manifests, diagnostics = read_manifest_text(text, "mem.yaml")
    for diagnostic in diagnostics:
        assert diagnostic.file, diagnostic
        assert diagnostic.render()
        assert diagnostic.line is None or diagnostic.line >= 1
    if any(d.is_error for d in diagnostics):
        assert manifests == [] or all(m.name for m in manifests)
