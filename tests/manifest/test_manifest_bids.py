"""Bid sections: expansion to productDateCodes in kW, the static bid rules, deadlines vs now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from reconciler.core.diagnostics import Severity
from reconciler.manifest import LoadResult, load_manifests
from reconciler.market import MARKET_TZ, Market
from tests.manifest.manifest_helpers import codes, manifest_text, only

LoadSpec = Callable[[str], LoadResult]


def test_bids_expand_to_codes_kw_and_prices(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        fcr:
          unit: MW
          bids:
            - {day: 2026-11-24, product: NEGPOS_00_04, capacity: 2, capacityPrice: 95.5}
        afrr:
          prune: true
          bids:
            - {day: 2026-11-24, product: POS_16_20, capacity: 1000, capacityPrice: 12.5, energyPrice: 80}
            - {day: 2026-11-24, product: NEG_073, capacity: 1000, energyPrice: -20}
        """
    )
    assert result.ok, [d.render() for d in result.diagnostics]
    (manifest,) = result.manifests
    assert manifest.fcr is not None and manifest.afrr is not None
    assert (manifest.fcr.unit, manifest.fcr.prune, manifest.afrr.prune) == ("MW", False, True)
    fcr, afrr_capacity, afrr_energy = manifest.bids
    assert (str(fcr.code), fcr.offered_kw, fcr.capacity_price, fcr.energy_price) == (
        "2026-11-24_NEGPOS_00_04",
        Decimal(2000),
        Decimal("95.5"),
        None,
    )
    assert [b.market for b in manifest.bids] == [Market.FCR, Market.AFRR_CAPACITY, Market.AFRR_ENERGY]
    assert (afrr_capacity.capacity_price, afrr_capacity.energy_price) == (Decimal("12.5"), Decimal(80))
    assert (afrr_energy.capacity_price, afrr_energy.energy_price) == (None, Decimal(-20))
    assert (afrr_energy.source.line, afrr_energy.source.path) == (15, "spec.afrr.bids[1]")


def test_capacity_fraction_is_a_note_and_a_non_multiple_an_error(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        afrr:
          bids:
            - {day: 2026-11-24, product: POS_001, capacity: 1000.5, energyPrice: 1}
            - {day: 2026-11-24, product: POS_002, capacity: 1500, energyPrice: 1}
        fcr:
          unit: MW
          bids:
            - {day: 2026-11-24, product: NEGPOS_00_04, capacity: 0.5, capacityPrice: 1}
            - {day: 2026-11-24, product: NEGPOS_04_08, capacity: 0, capacityPrice: 1}
        """
    )
    note = only(result, "bid-capacity-truncated")
    assert note.severity is Severity.NOTE
    assert (note.line, note.path) == (9, "spec.afrr.bids[0].capacity")
    assert "accepted as 1000 kW" in note.message
    steps = [d for d in result.diagnostics if d.code == "bid-capacity-step"]
    assert [(d.line, d.found) for d in steps] == [
        (10, "1500 kW"),
        (14, "0.5 MW = 500 kW"),
        (15, "0 MW = 0 kW"),
    ]
    assert all(d.severity is Severity.ERROR for d in steps)


def test_prices_outside_15000_are_errors_and_the_limit_itself_is_fine(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        afrr:
          bids:
            - {day: 2026-11-24, product: POS_00_04, capacity: 1000, capacityPrice: 15000, energyPrice: -15000}
            - {day: 2026-11-24, product: NEG_00_04, capacity: 1000, capacityPrice: 15000.01, energyPrice: 1}
        """
    )
    error = only(result, "bid-price-range")
    assert (error.line, error.path) == (10, "spec.afrr.bids[1].capacityPrice")


def test_afrr_energy_and_capacity_bids_carry_their_prices(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        afrr:
          bids:
            - {day: 2026-11-24, product: NEG_073, capacity: 1000, energyPrice: 1, capacityPrice: 2}
            - {day: 2026-11-24, product: NEG_074, capacity: 1000}
            - {day: 2026-11-24, product: POS_08_12, capacity: 1000, capacityPrice: 2}
        """
    )
    assert [(d.code, d.line, d.path) for d in result.diagnostics] == [
        ("bid-price-unexpected", 9, "spec.afrr.bids[0].capacityPrice"),
        ("bid-price-missing", 10, "spec.afrr.bids[1]"),
        ("bid-price-missing", 11, "spec.afrr.bids[2]"),
    ]
    assert "energyPrice" in (result.diagnostics[2].message or "")


def test_products_must_exist_on_their_delivery_day(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        afrr:
          bids:
            - {day: 2026-03-29, product: POS_092, capacity: 1000, energyPrice: 1}
            - {day: 2026-03-29, product: POS_093, capacity: 1000, energyPrice: 1}
            - {day: 2026-10-25, product: POS_100, capacity: 1000, energyPrice: 1}
            - {day: 2026-11-24, product: POS_097, capacity: 1000, energyPrice: 1}
            - {day: 2026-11-24, product: POS_02_06, capacity: 1000, capacityPrice: 1, energyPrice: 1}
            - {day: 2026-11-31, product: POS_001, capacity: 1000, energyPrice: 1}
        """
    )
    assert [(d.code, d.line) for d in result.diagnostics] == [
        ("bid-product-day", 10),
        ("bid-product-day", 12),
        ("bid-product-unknown", 13),
        ("day-invalid", 14),
    ]
    assert "last product POS_092" in result.diagnostics[0].message


def test_a_product_twice_on_a_day_names_both_bids(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        fcr:
          bids:
            - {day: 2026-11-24, product: NEGPOS_00_04, capacity: 1000, capacityPrice: 1}
            - {day: 2026-11-25, product: NEGPOS_00_04, capacity: 1000, capacityPrice: 1}
            - {day: '2026-11-24', product: NEGPOS_00_04, capacity: 2000, capacityPrice: 1}
        """
    )
    error = only(result, "bid-duplicate-product")
    assert (error.line, error.address) == (11, "munich-1/fcr/2026-11-24_NEGPOS_00_04")
    assert f"spec.fcr.bids[0] at {error.file}:9:9" in error.message


def _with_now(write: Callable[[str, str], Path], now: str) -> LoadResult:
    spec = """
    fcr:
      bids:
        - {day: 2026-11-24, product: NEGPOS_00_04, capacity: 1000, capacityPrice: 1}
    afrr:
      bids:
        - {day: 2026-11-24, product: POS_08_12, capacity: 1000, capacityPrice: 1, energyPrice: 1}
        - {day: 2026-11-23, product: POS_037, capacity: 1000, energyPrice: 1}
    """
    return load_manifests([write("m.yaml", manifest_text(spec))], now=datetime.fromisoformat(now))


def test_deadlines_with_now_are_warnings_not_errors(write: Callable[[str, str], Path]) -> None:
    # 06:55: FCR closes 07:30 (35 min away), aFRR capacity 08:30, POS_037 (09:00) at 08:30.
    assert codes(_with_now(write, "2026-11-23T06:55:00+01:00")) == []
    near = _with_now(write, "2026-11-23T07:00:00+01:00")
    assert [(d.code, d.line, d.severity) for d in near.diagnostics] == [
        ("bid-deadline-near", 9, Severity.WARNING)
    ]
    assert "2026-11-23T07:30+01:00, in 30 minutes" in near.diagnostics[0].message
    late = _with_now(write, "2026-11-23T08:10:00+01:00")
    assert [(d.code, d.line) for d in late.diagnostics] == [
        ("bid-deadline-passed", 9),
        ("bid-deadline-near", 12),
        ("bid-deadline-near", 13),
    ]
    assert late.ok and len(late.manifests) == 1


def test_now_is_compared_as_an_instant(write: Callable[[str, str], Path]) -> None:
    in_utc = _with_now(write, "2026-11-23T06:31:00+00:00")  # 07:31 in Berlin: FCR has closed
    assert codes(in_utc)[0] == "bid-deadline-passed"
    assert in_utc.diagnostics[0].found == "now is " + datetime(
        2026, 11, 23, 7, 31, tzinfo=MARKET_TZ
    ).strftime("%Y-%m-%dT%H:%M+01:00")


def test_a_missing_fcr_price_is_reported_once(load_spec: LoadSpec) -> None:
    result = load_spec("fcr:\n  bids:\n    - {day: 2026-11-24, product: NEGPOS_00_04, capacity: 1000}\n")
    error = only(result, "schema-missing-key")
    assert error.path == "spec.fcr.bids[0].capacityPrice"
    assert codes(result) == ["schema-missing-key"]
