"""``reconciler status`` for people: text for a terminal, markdown for a chat or a wiki page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from reconciler.plan.fmt import fmt_energy, fmt_kw, local
from reconciler.plan.results import ResultSummary
from reconciler.render.status import AssetStatus, BidStatus, DayEnergy
from reconciler.rules.units import json_number


def countdown(deadline: datetime, now: datetime) -> str:
    """``closes in 2 h 05 min (07:30 CET)``, or ``closed``."""
    if deadline < now:
        return "closed"
    minutes = int((deadline - now).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    span = f"{days} d {hours} h" if days else f"{hours} h {mins:02d} min" if hours else f"{mins} min"
    return f"closes in {span} ({local(deadline)})"


def result_text(result: ResultSummary | None, bid: BidStatus, now: datetime) -> str:
    if result is None:
        when = "expected" if bid.publication >= now else "due since"
        return f"no result yet ({when} {local(bid.publication)})"
    price = (
        f" at {json_number(result.price)} {result.price_unit} ({result.price_field})"
        if result.price is not None
        else ""
    )
    head = f"{result.outcome.replace('_', ' ')} {fmt_kw(result.accepted_kw)} of {fmt_kw(result.offered_kw)}"
    revenue = result.revenue
    money = f"{_eur(revenue.eur)}" if revenue.eur is not None else f"unknown ({revenue.basis})"
    return f"{head}{price}; revenue {money}"


def _eur(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,} EUR".replace(",", " ")


def _energy(day: DayEnergy) -> str:
    return f"charged {fmt_energy(day.charged_kwh)}, discharged {fmt_energy(day.discharged_kwh)}"


def _soc(asset: AssetStatus) -> str:
    soc = f"{asset.end_soc_percent:.1f} %" if asset.end_soc_percent is not None else "unknown"
    return f"projected state of charge at end of life ({local(asset.end)}): {soc}"


def _drift(asset: AssetStatus) -> str:
    open_ = [f"{cause} {count}" for cause, count in asset.drift.items() if count]
    return ", ".join(open_) if open_ else "none"


def _offer(bid: BidStatus) -> str:
    desired = bid.bid
    prices = []
    if desired.capacity_price is not None:
        prices.append(f"capacity {json_number(desired.capacity_price)} EUR/MW/h")
    if desired.energy_price is not None:
        prices.append(f"energy {json_number(desired.energy_price)} EUR/MWh")
    live = "not placed" if bid.live_kw is None else f"live {fmt_kw(bid.live_kw)}"
    return f"{fmt_kw(desired.offered_kw)} ({', '.join(prices)}; {live})"


def render_status_text(assets: Sequence[AssetStatus], now: datetime) -> list[str]:
    lines: list[str] = []
    for asset in assets:
        named = asset.virtual_asset + (f"; {asset.selector}" if asset.selector else "")
        lines += ["", f"{asset.name} ({named})"]
        if asset.bids:
            lines.append("  bids:")
            for bid in asset.bids:
                lines.append(f"    {bid.address}  {_offer(bid)}")
                lines.append(f"      {countdown(bid.deadline, now)}; {result_text(bid.result, bid, now)}")
        else:
            lines.append("  bids: none managed")
        lines.append(f"  schedule today {asset.today.day}: {_energy(asset.today)}")
        lines.append(f"  schedule tomorrow {asset.tomorrow.day}: {_energy(asset.tomorrow)}")
        lines.append(f"  {_soc(asset)}")
        lines.append(f"  open drift: {_drift(asset)}")
    return lines


def render_status_markdown(assets: Sequence[AssetStatus], now: datetime) -> list[str]:
    lines: list[str] = []
    for asset in assets:
        named = asset.virtual_asset + (f"; {asset.selector}" if asset.selector else "")
        lines += ["", f"### {asset.name}", "", f"Virtual asset {named}.", ""]
        if asset.bids:
            lines += ["| bid | offer | deadline | result |", "| --- | --- | --- | --- |"]
            for bid in asset.bids:
                lines.append(
                    f"| `{bid.address}` | {_offer(bid)} | {countdown(bid.deadline, now)} | "
                    f"{result_text(bid.result, bid, now)} |"
                )
            lines.append("")
        lines += [
            f"- schedule today ({asset.today.day}): {_energy(asset.today)}",
            f"- schedule tomorrow ({asset.tomorrow.day}): {_energy(asset.tomorrow)}",
            f"- {_soc(asset)}",
            f"- open drift: {_drift(asset)}",
        ]
    return lines
