"""Expansion and static checks of ``spec.fcr`` and ``spec.afrr`` bids.

A section's ``bids`` is a list of entries or ``{csv: path}``. An entry is an explicit bid
(``day``, ``product``) or a template (``days`` and/or ``products``, :mod:`.bidtemplates`) that
gives one bid to several products and days; a CSV file holds one explicit bid per row
(:mod:`.bidcsv`). Each bid becomes (productDateCode, offered kW, prices).

One bid per product and delivery day: an explicit bid overrides a template for its product and
day; a second explicit bid (``bid-duplicate-product``) or a second template
(``bid-template-overlap``) for it is an error naming the first.

The platform's rules come from :mod:`reconciler.rules.bids` (DECISIONS.md D13): capacity
truncated to whole kW, then a positive multiple of 1000 kW; prices within ±15 000 EUR; which
prices each market carries. Each declaration is checked once, however many bids it expands to.
With ``now``, a bid whose deadline (D14) has passed or closes within 30 minutes is a warning:
offline, validate cannot know whether the bid is a change; the planner decides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from reconciler.core.diagnostics import Severity
from reconciler.core.yamlsource import FieldPath
from reconciler.manifest.bidcsv import read_csv_bids
from reconciler.manifest.bidentries import PRICE_FIELDS, Declared, Place, bid_code
from reconciler.manifest.bidtemplates import template_codes
from reconciler.manifest.context import DocumentContext
from reconciler.manifest.model import BidSection, DesiredBid
from reconciler.manifest.values import local_text, show_number, to_kw
from reconciler.market import (
    DEADLINE_MARGIN,
    MARKET_TZ,
    ProductDateCode,
    bid_deadline,
)
from reconciler.rules.bids import accepted_capacity, check_bid_prices, check_offered_capacity

TEMPLATE_KEYS = ("days", "products")


def expand_bid_section(
    ctx: DocumentContext, market_name: str, section: Any, path: FieldPath
) -> BidSection | None:
    """The bids of ``spec.fcr`` or ``spec.afrr``, or ``None`` when the section is too broken."""
    if not isinstance(section, dict):
        return None
    unit = str(section.get("unit", "kW")) if ctx.clean((*path, "unit")) else "kW"
    prune = section.get("prune", False) is True
    raw_bids = section.get("bids")
    declared: list[Declared] = []
    if isinstance(raw_bids, dict) and ctx.clean((*path, "bids")):
        declared = read_csv_bids(ctx, raw_bids["csv"], (*path, "bids", "csv"), unit)
    for index, raw in enumerate(raw_bids if isinstance(raw_bids, list) else []):
        entry = _entry(ctx, raw, (*path, "bids", index))
        if entry is None:
            continue
        if entry.template:
            codes = template_codes(ctx, market_name, raw, entry.place.path)
            if codes is None:
                continue
            entry = replace(entry, codes=codes)
        declared.append(entry)
    for entry in declared:
        _check(ctx, market_name, entry, unit)
    bids = _merge(ctx, market_name, declared, unit)
    return BidSection(unit=unit, prune=prune, bids=tuple(bids), source=ctx.ref(path))


def _entry(ctx: DocumentContext, raw: Any, path: FieldPath) -> Declared | None:
    """A YAML entry, with its one code if it is an explicit bid (a template's come later)."""
    if not isinstance(raw, dict):
        return None  # refused by the schema
    template = any(key in raw for key in TEMPLATE_KEYS)
    codes: list[ProductDateCode] = []
    if not template:
        if not ctx.clean((*path, "day")) or not ctx.clean((*path, "product")):
            return None
        code = bid_code(ctx, Place(path), raw["day"], raw["product"])
        if code is None:
            return None
        codes.append(code)
    capacity_price, energy_price = raw.get("capacityPrice"), raw.get("energyPrice")
    return Declared(
        Place(path),
        codes,
        raw["capacity"] if ctx.clean((*path, "capacity")) else None,
        capacity_price,
        energy_price,
        frozenset(raw),
        prices_checked=all(ctx.clean((*path, name)) for name in PRICE_FIELDS),
        template=template,
    )


def _merge(ctx: DocumentContext, market_name: str, declared: list[Declared], unit: str) -> list[DesiredBid]:
    """One bid per code, in declaration order: explicit bids override templates."""
    explicit: dict[ProductDateCode, Declared] = {}
    templated: dict[ProductDateCode, Declared] = {}
    owners: dict[int, list[ProductDateCode]] = {}  # the codes each template is the first to cover
    for entry in declared:
        if entry.template:
            owners[id(entry)] = _claim_template(ctx, market_name, entry, templated)
            continue
        (code,) = entry.codes
        earlier = explicit.setdefault(code, entry)
        if earlier is not entry:
            source = earlier.place.source(ctx)
            path, at = entry.place.path, entry.place.row
            ctx.error(
                "bid-duplicate-product",
                f"{code} is already bid by {source.path} at {source}",
                path,
                expected="one bid per product and delivery day",
                found=f"a second bid for {code}",
                at=at,
                address=ctx.address(market_name, str(code)),
            )
    bids: list[DesiredBid] = []
    for entry in declared:
        if entry.capacity is None:
            continue
        offered_kw, source = to_kw(entry.capacity, unit), entry.place.source(ctx)
        if entry.template:
            owned = [code for code in owners[id(entry)] if code not in explicit]
        else:
            owned = [code for code in entry.codes if explicit[code] is entry]
        bids.extend(
            DesiredBid(code, offered_kw, entry.capacity_price, entry.energy_price, source) for code in owned
        )
    return bids


def _claim_template(
    ctx: DocumentContext, market_name: str, entry: Declared, templated: dict[ProductDateCode, Declared]
) -> list[ProductDateCode]:
    """The codes a template is the first to cover; those an earlier template (or itself)
    covers already are one error per earlier template."""
    owned: list[ProductDateCode] = []
    clashes: dict[int, tuple[Declared, list[ProductDateCode]]] = {}
    for code in entry.codes:
        earlier = templated.setdefault(code, entry)
        if earlier is not entry:
            clashes.setdefault(id(earlier), (earlier, []))[1].append(code)
        else:
            owned.append(code)
    once = list(dict.fromkeys(owned))
    if len(once) != len(owned):  # the template names a product or a day twice
        again = Counter(owned) - Counter(once)
        clashes[id(entry)] = (entry, list(again.elements()))
    for earlier, codes in clashes.values():
        source = earlier.place.source(ctx)
        where = (
            "more than once"
            if earlier is entry
            else f"already covered by the template {source.path} at {source}"
        )
        ctx.error(
            "bid-template-overlap",
            f"this template covers {_some(codes)} {where}",
            entry.place.path,
            expected="each product and day covered by one template (an explicit bid overrides a template)",
            found=f"{len(codes)} product(s) covered twice",
            address=ctx.address(market_name, str(codes[0])),
        )
    return once


def _check(ctx: DocumentContext, market_name: str, entry: Declared, unit: str) -> None:
    """The static rules of one declaration, once for all its bids."""
    if not entry.codes:
        return
    first = entry.codes[0]
    address = ctx.address(market_name, str(first)) if len(entry.codes) == 1 else ctx.address(market_name)
    if entry.capacity is not None:
        _check_capacity(ctx, entry, unit, address)
    if entry.prices_checked:
        said: set[str] = set()
        for market in dict.fromkeys(code.market for code in entry.codes):
            codes = [code for code in entry.codes if code.market is market]
            for violation in check_bid_prices(market, entry.capacity_price, entry.energy_price):
                if violation.message in said:
                    continue  # e.g. a capacityPrice on both POS and NEG energy products
                said.add(violation.message)
                field = next((name for name in PRICE_FIELDS if name in violation.message), None)
                path, at = (
                    entry.place.field(field) if field and field in entry.fields else (entry.place.path, None)
                )
                ctx.error(
                    violation.code,
                    f"{_some(codes)}: {violation.message}",
                    path,
                    expected=violation.expected,
                    found=violation.found,
                    at=at or entry.place.row,
                    address=address,
                )
    if ctx.now is not None:
        _check_deadlines(ctx, entry, ctx.now, address)


def _check_capacity(ctx: DocumentContext, entry: Declared, unit: str, address: str | None) -> None:
    assert entry.capacity is not None
    offered_kw = to_kw(entry.capacity, unit)
    in_unit = f"{show_number(entry.capacity)} {unit}" + (
        f" = {show_number(offered_kw)} kW" if unit != "kW" else ""
    )
    path, at = entry.place.field("capacity")
    violation = check_offered_capacity(offered_kw)
    if violation is not None:
        ctx.error(
            violation.code,
            f"capacity {in_unit} is not a positive multiple of 1000 kW after cutting the fraction of a kW",
            path,
            expected=violation.expected,
            found=in_unit,
            at=at,
            address=address,
        )
    elif accepted_capacity(offered_kw) != offered_kw:
        kept = accepted_capacity(offered_kw)
        ctx.report(
            Severity.NOTE,
            "bid-capacity-truncated",
            f"capacity {in_unit} will be accepted as {kept} kW (the platform cuts the fraction of a kW)",
            path,
            expected="a whole number of kW",
            found=in_unit,
            at=at,
            address=address,
        )


def _check_deadlines(ctx: DocumentContext, entry: Declared, now: datetime, address: str | None) -> None:
    passed = [code for code in entry.codes if now > bid_deadline(code)]
    near = [code for code in entry.codes if now <= bid_deadline(code) <= now + DEADLINE_MARGIN]
    for codes, name in ((passed, "bid-deadline-passed"), (near, "bid-deadline-near")):
        if not codes:
            continue
        deadline = min(bid_deadline(code) for code in codes)
        shown = local_text(deadline, MARKET_TZ)
        what = (
            str(codes[0]) if len(codes) == 1 else f"{len(codes)} products of this template (first {codes[0]})"
        )
        if name == "bid-deadline-passed":
            message = (
                f"the bidding deadline for {what} passed at {shown}: the platform refuses any change to it"
            )
        else:
            minutes = int((deadline - now).total_seconds() // 60)
            message = f"the bidding deadline for {what} is {shown}, in {minutes} minutes: a change must be applied before it"
        ctx.report(
            Severity.WARNING,
            name,
            message,
            entry.place.path,
            expected=f"at least {DEADLINE_MARGIN.seconds // 60} minutes before the deadline {shown}",
            found=f"now is {local_text(now, MARKET_TZ)}",
            at=entry.place.row,
            address=address,
        )


def _some(codes: Sequence[ProductDateCode]) -> str:
    """``2026-11-24_POS_001`` or ``2026-11-24_POS_001 and 95 more``."""
    return str(codes[0]) + (f" and {len(codes) - 1} more" if len(codes) > 1 else "")
