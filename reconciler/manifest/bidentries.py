"""The bids one entry of a bid section declares (an explicit bid, a template, a CSV row) and
where, before the section merges them (:mod:`reconciler.manifest.bids`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from reconciler.core.yamlsource import FieldPath
from reconciler.manifest.context import DocumentContext
from reconciler.manifest.model import SourceRef
from reconciler.manifest.values import ValueProblem, parse_day
from reconciler.market import ProductDateCode, ProductError, parse_product, product_date_code

PRICE_FIELDS = ("capacityPrice", "energyPrice")


@dataclass(frozen=True)
class Place:
    """Where bids were declared: a YAML entry (its field path), or a CSV row (``row``: the CSV
    file and line, and ``path`` the manifest field that names the file)."""

    path: FieldPath
    row: SourceRef | None = None

    def field(self, name: str) -> tuple[FieldPath, SourceRef | None]:
        """The field path and, for a CSV row, the cell's location, of one of its fields."""
        if self.row is None:
            return (*self.path, name), None
        return self.path, replace(self.row, path=f"{self.row.path}.{name}")

    def source(self, ctx: DocumentContext) -> SourceRef:
        return self.row or ctx.ref(self.path)


@dataclass(frozen=True)
class Declared:
    """One explicit bid, template or CSV row: the bids it gives, before the section's merge."""

    place: Place
    codes: Sequence[ProductDateCode]
    capacity: Decimal | None  # None: not checkable (the YAML value itself is in error)
    capacity_price: Decimal | None
    energy_price: Decimal | None
    fields: frozenset[str]  # the fields written, so a price error can point at its own
    prices_checked: bool = True  # False: a price field is in error already
    template: bool = False


def bid_code(ctx: DocumentContext, place: Place, day_text: str, product_name: str) -> ProductDateCode | None:
    """The productDateCode of an explicit bid, or ``None`` after reporting why there is none."""
    try:
        day = parse_day(day_text)
    except ValueProblem as problem:
        path, at = place.field("day")
        ctx.error(problem.code, problem.message, path, expected=problem.expected, found=problem.found, at=at)
        return None
    path, at = place.field("product")
    try:
        product = parse_product(product_name)
    except ProductError as exc:
        ctx.error(
            "bid-product-unknown",
            str(exc),
            path,
            expected="a product of the market",
            found=product_name,
            at=at,
        )
        return None
    try:
        return product_date_code(day, product)
    except ProductError as exc:
        ctx.error(
            "bid-product-day",
            str(exc),
            path,
            expected=f"a product that exists on {day.isoformat()}",
            found=product_name,
            at=at,
        )
        return None
