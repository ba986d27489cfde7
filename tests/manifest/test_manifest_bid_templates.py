"""Bid templates (several products and days in one entry) and bids from CSV, as the loader
expands and checks them; counts and windows come from the calendar written out by hand."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from reconciler.core.diagnostics import Severity
from reconciler.manifest import LoadResult, Manifest, load_manifests
from tests.manifest.manifest_helpers import codes, manifest_text, only

LoadSpec = Callable[[str], LoadResult]
WriteFile = Callable[[str, str], Path]


def _manifest(result: LoadResult) -> Manifest:
    assert result.ok, "\n".join(d.render() for d in result.diagnostics)
    (manifest,) = result.manifests
    return manifest


def _bids(result: LoadResult) -> list[tuple[str, Decimal, Decimal | None, Decimal | None, int]]:
    return [
        (str(b.code), b.offered_kw, b.capacity_price, b.energy_price, b.source.line)
        for b in _manifest(result).bids
    ]


def test_a_template_gives_every_product_of_every_day_one_bid_in_order(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        fcr:
          unit: MW
          bids:
            - {days: [2026-11-24, 2026-11-25], products: [NEGPOS_00_04, NEGPOS_16_20], capacity: 2, capacityPrice: 90}
        """
    )
    assert _bids(result) == [
        (f"{day}_{product}", Decimal(2000), Decimal(90), None, 10)
        for day in ("2026-11-24", "2026-11-25")
        for product in ("NEGPOS_00_04", "NEGPOS_16_20")
    ]
    assert _manifest(result).bids[0].source.path == "spec.fcr.bids[0]"


def test_a_range_of_days_includes_both_ends_and_all_is_the_six_fcr_products(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        fcr:
          bids:
            - {days: {from: 2026-11-24, to: 2026-11-30}, products: all, capacity: 1000, capacityPrice: 90}
        """
    )
    found = [code for code, *_ in _bids(result)]
    assert len(found) == 7 * 6
    assert found[:6] == [f"2026-11-24_NEGPOS_{h:02d}_{h + 4:02d}" for h in range(0, 24, 4)]
    assert found[-1] == "2026-11-30_NEGPOS_20_24"


def test_every_energy_product_of_a_direction_follows_the_length_of_the_day(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        afrr:
          bids:
            - days: [2026-03-29, 2026-11-24, 2026-10-25]
              products: {direction: NEG, market: energy}
              capacity: 1000
              energyPrice: -20
            - {day: 2026-11-24, products: {direction: POS, market: capacity}, capacity: 1000, capacityPrice: 5, energyPrice: 50}
        """
    )
    found = [code for code, *_ in _bids(result)]
    per_day = {
        day: sum(code.startswith(day) and "_NEG_" in code for code in found)
        for day in ("2026-03-29", "2026-11-24", "2026-10-25")
    }
    assert per_day == {"2026-03-29": 23 * 4, "2026-11-24": 24 * 4, "2026-10-25": 25 * 4}  # hours x 4
    assert found[91] == "2026-03-29_NEG_092" and found[-7] == "2026-10-25_NEG_100"
    assert found[-6:] == [f"2026-11-24_POS_{h:02d}_{h + 4:02d}" for h in range(0, 24, 4)]


def test_an_energy_range_includes_both_ends(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        afrr:
          unit: MW
          bids:
            - {day: 2026-11-24, products: POS_033..POS_048, capacity: 1, energyPrice: 90}
            - {day: 2026-11-24, products: [NEG_001..NEG_002, NEG_04_08], capacity: 1, energyPrice: -5, capacityPrice: 1}
        """
    )
    assert result.count("error") == 1  # the capacity price is right for NEG_04_08 only
    bad = only(result, "bid-price-unexpected")
    assert (bad.line, bad.path) == (11, "spec.afrr.bids[1].capacityPrice")
    assert bad.message.startswith("2026-11-24_NEG_001 and 1 more: ")


def test_the_range_of_energy_products_of_a_day_is_checked_against_its_length(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        afrr:
          bids:
            - {days: [2026-11-24, 2026-03-29], products: POS_090..POS_096, capacity: 1000, energyPrice: 1}
        """
    )
    error = only(result, "bid-product-day")
    assert (error.line, error.path) == (9, "spec.afrr.bids[0].products")
    assert (
        "POS_093..POS_096 (4 products) do not exist on 2026-03-29: that day has 92 quarter-hours"
        in error.message
    )


def test_ranges_that_are_not_ranges_of_energy_products(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        afrr:
          bids:
            - {day: 2026-11-24, products: POS_048..POS_033, capacity: 1000, energyPrice: 1}
            - {day: 2026-11-24, products: POS_001..NEG_004, capacity: 1000, energyPrice: 1}
            - {day: 2026-11-24, products: [POS_00_04..POS_04_08], capacity: 1000, energyPrice: 1}
            - {day: 2026-11-24, products: POS_000..POS_004, capacity: 1000, energyPrice: 1}
        """
    )
    assert [(d.code, d.line) for d in result.diagnostics] == [
        ("bid-product-range", 9),
        ("bid-product-range", 10),
        ("schema-shape", 11),  # a list item is a product or an energy range
        ("schema-format", 12),  # energy products run from 001
    ]


def test_an_explicit_bid_overrides_the_template_wherever_it_is_written(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        fcr:
          unit: MW
          bids:
            - {day: 2026-11-24, product: NEGPOS_08_12, capacity: 3, capacityPrice: 120}
            - {day: 2026-11-24, products: all, capacity: 1, capacityPrice: 90}
            - {day: 2026-11-24, product: NEGPOS_20_24, capacity: 2, capacityPrice: 100}
        """
    )
    bids = {code: (kw, price, line) for code, kw, price, _, line in _bids(result)}
    assert len(bids) == 6
    assert bids["2026-11-24_NEGPOS_08_12"] == (Decimal(3000), Decimal(120), 10)
    assert bids["2026-11-24_NEGPOS_20_24"] == (Decimal(2000), Decimal(100), 12)
    assert bids["2026-11-24_NEGPOS_00_04"] == (Decimal(1000), Decimal(90), 11)


def test_two_templates_for_one_product_and_day_are_an_error_naming_both(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        afrr:
          bids:
            - {days: {from: 2026-11-24, to: 2026-11-25}, products: POS_001..POS_010, capacity: 1000, energyPrice: 1}
            - {day: 2026-11-25, products: POS_009..POS_012, capacity: 1000, energyPrice: 2}
            - {days: [2026-11-26, 2026-11-26], product: POS_001, capacity: 1000, energyPrice: 2}
        """
    )
    first, second = (d for d in result.diagnostics if d.code == "bid-template-overlap")
    assert (first.line, first.path, first.address) == (
        10,
        "spec.afrr.bids[1]",
        "munich-1/afrr/2026-11-25_POS_009",
    )
    assert (
        f"2026-11-25_POS_009 and 1 more already covered by the template spec.afrr.bids[0] at {first.file}:9:9"
        in first.message
    )
    assert second.line == 11 and "2026-11-26_POS_001 more than once" in second.message
    assert not result.manifests


def test_a_template_is_checked_once_however_many_bids_it_gives(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        afrr:
          bids:
            - {day: 2026-11-24, products: {direction: POS, market: energy}, capacity: 1500, energyPrice: 15001}
        """
    )
    assert sorted(codes(result)) == ["bid-capacity-step", "bid-price-range"]
    assert only(result, "bid-price-range").message.startswith("2026-11-24_POS_001 and 95 more: ")


def test_template_deadlines_are_one_warning_each_with_now(write: WriteFile) -> None:
    spec = "afrr:\n  bids:\n    - {day: 2026-11-24, products: POS_001..POS_008, capacity: 1000, energyPrice: 1}\n"
    # Each energy product closes 30 minutes before its quarter-hour (D14): at 01:10, POS_001
    # (00:00) ... POS_007 (01:30, closed 01:00) have closed and POS_008 (01:45) closes at 01:15.
    now = datetime.fromisoformat("2026-11-24T01:10:00+01:00")
    result = load_manifests([write("m.yaml", manifest_text(spec))], now=now)
    passed, near = (only(result, name) for name in ("bid-deadline-passed", "bid-deadline-near"))
    assert passed.severity is Severity.WARNING and result.ok
    assert (
        "for 7 products of this template (first 2026-11-24_POS_001) passed at 2026-11-23T23:30+01:00"
        in passed.message
    )
    assert "for 2026-11-24_POS_008 is 2026-11-24T01:15+01:00, in 5 minutes" in near.message


def test_day_ranges_must_run_forward_and_stay_under_a_year(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        fcr:
          bids:
            - {days: {from: 2026-11-25, to: 2026-11-24}, products: all, capacity: 1000, capacityPrice: 1}
            - {days: {from: 2026-01-01, to: 2027-01-02}, products: all, capacity: 1000, capacityPrice: 1}
            - {days: [2026-11-24, 2026-02-30], products: all, capacity: 1000, capacityPrice: 1}
        """
    )
    assert [(d.code, d.path) for d in result.diagnostics] == [
        ("day-range-empty", "spec.fcr.bids[0].days.to"),
        ("day-range-too-long", "spec.fcr.bids[1].days.to"),
        ("day-invalid", "spec.fcr.bids[2].days[1]"),
    ]


def test_a_template_needs_one_of_day_or_days_and_one_of_product_or_products(load_spec: LoadSpec) -> None:
    result = load_spec(
        """
        fcr:
          bids:
            - {day: 2026-11-24, days: [2026-11-25], products: all, capacity: 1000, capacityPrice: 1}
            - {day: 2026-11-24, capacity: 1000, capacityPrice: 1}
            - {day: 2026-11-24, prodcts: all, capacity: 1000, capacityPrice: 1}
            - {day: 2026-11-24, products: NEGPOS_00_04, capacity: 1000, capacityPrice: 1}
        """
    )
    assert [(d.code, d.path) for d in result.diagnostics] == [
        ("schema-shape", "spec.fcr.bids[0]"),
        ("schema-shape", "spec.fcr.bids[1]"),
        ("schema-unknown-key", "spec.fcr.bids[2].prodcts"),
        ("schema-value", "spec.fcr.bids[3].products"),
    ]
    assert "either day (one delivery day) or days" in result.diagnostics[0].message
    assert "did you mean 'products'?" in result.diagnostics[2].message


# -- bids from CSV ----------------------------------------------------------------------------


def _csv_result(write: WriteFile, section: str, text: str) -> LoadResult:
    write("bids.csv", text)
    return load_manifests(
        [write("m.yaml", manifest_text(f"{section}:\n  unit: MW\n  bids: {{csv: bids.csv}}\n"))]
    )


def test_csv_bids_are_explicit_bids_in_the_sections_unit_each_from_its_row(write: WriteFile) -> None:
    result = _csv_result(
        write,
        "afrr",
        "day,product,capacity,capacityPrice,energyPrice\n"
        "2026-11-24,POS_16_20,1,12.5,80\n"
        "\n"
        "2026-11-24,NEG_073,2.0000,,-20\n",
    )
    assert _bids(result) == [
        ("2026-11-24_POS_16_20", Decimal(1000), Decimal("12.5"), Decimal(80), 2),
        ("2026-11-24_NEG_073", Decimal(2000), None, Decimal(-20), 4),
    ]
    assert _manifest(result).bids[1].source.path == "spec.afrr.bids.csv"


def test_every_csv_bid_problem_names_the_csv_file_line_and_column(write: WriteFile, tmp_path: Path) -> None:
    result = _csv_result(
        write,
        "afrr",
        "product,day,capacity,energyPrice,capacityPrice\n"
        "POS_16_20,2026-11-24,1,80,12.5\n"  # 2: fine
        "POS_16_20,2026-11-24,1,80,12.5\n"  # 3: the same product and day again
        "POS_001,2026-11-31,1,80,\n"  # 4: no such day
        "POS_097,2026-11-24,1,80,\n"  # 5: no such product that day
        "POS_001,2026-11-24,x,80,\n"  # 6: not a number
        "POS_002,2026-11-24,1,,\n"  # 7: an energy bid without its price
        "POS_003,2026-11-24,1,80,1\n"  # 8: an energy bid with a capacity price
        "POS_004,2026-11-24,1,15001,\n"  # 9: price out of range
        "POS_005,2026-11-24,1\n"  # 10: a short row
        "POS_006,2026-11-24,,80,\n"  # 11: no capacity
        "POS_007,2026-11-24,1.5,80,\n",  # 12: not a whole MW
    )
    csv_file = str(tmp_path / "bids.csv")
    assert [(d.code, d.file, d.line, d.path) for d in result.diagnostics] == [
        ("bid-duplicate-product", csv_file, 3, "spec.afrr.bids.csv"),
        ("day-invalid", csv_file, 4, "spec.afrr.bids.csv.day"),
        ("bid-product-day", csv_file, 5, "spec.afrr.bids.csv.product"),
        ("csv-value", csv_file, 6, "spec.afrr.bids.csv.capacity"),
        ("bid-price-missing", csv_file, 7, "spec.afrr.bids.csv"),
        ("bid-price-unexpected", csv_file, 8, "spec.afrr.bids.csv.capacityPrice"),
        ("bid-price-range", csv_file, 9, "spec.afrr.bids.csv.energyPrice"),
        ("csv-row", csv_file, 10, "spec.afrr.bids.csv"),
        ("csv-value", csv_file, 11, "spec.afrr.bids.csv.capacity"),
        ("bid-capacity-step", csv_file, 12, "spec.afrr.bids.csv.capacity"),
    ]
    assert f"spec.afrr.bids.csv at {csv_file}:2:1" in result.diagnostics[0].message


def test_a_csv_of_bids_needs_its_header_and_a_row(write: WriteFile) -> None:
    header = only(_csv_result(write, "fcr", "day,product,capacty,capacityPrice\n"), "csv-header")
    assert (header.line, header.expected) == (1, "day,product,capacity[,capacityPrice][,energyPrice]")
    empty = only(_csv_result(write, "fcr", "day,product,capacity,capacityPrice\n"), "csv-empty")
    assert (empty.found, empty.expected) == (
        "no rows after the header",
        "a header day,product,capacity,capacityPrice,energyPrice and one bid per row",
    )


def test_a_csv_of_bids_stays_in_the_project_like_a_csv_schedule(write: WriteFile, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.csv"
    outside.write_text("day,product,capacity,capacityPrice\nSECRET-ROW\n", encoding="utf-8")
    spec = f"fcr:\n  bids: {{csv: '../{outside.name}'}}\n"
    result = load_manifests([write("m.yaml", manifest_text(spec))])
    error = only(result, "path-outside-project")
    assert (error.line, error.path) == (8, "spec.fcr.bids.csv")
    assert "SECRET" not in "".join(d.render() for d in result.diagnostics)


def test_the_readmes_template_example_is_a_valid_manifest(write: WriteFile) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index("**Bid templates.**") :]
    block = after[
        after.index("```yaml\n") + len("```yaml\n") : after.index("```\n", after.index("```yaml\n") + 8)
    ]
    result = load_manifests([write("m.yaml", manifest_text(textwrap.dedent(block)))])
    bids = _manifest(result).bids
    assert len(bids) == 7 * 6 + 16 + 6
    assert {str(b.code): b.offered_kw for b in bids}["2026-11-26_NEGPOS_16_20"] == Decimal(2000)
