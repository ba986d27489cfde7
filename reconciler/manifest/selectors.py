"""Asset selectors: ``spec.virtualAsset: {portfolio, day}`` instead of a UUID.

A desk's virtual assets are created every day (API.md §1: about 17:00 CET/CEST two days before
delivery), each with a new UUID. A selector names the asset of a portfolio whose lifetime covers
one local delivery day (in the manifest's ``timezone``); the planner resolves it against the
platform's list of assets (:mod:`reconciler.plan.resolve`). ``day`` is a date or relative to the
target's clock: ``today``, ``tomorrow``, ``D+2``, ``D-1``, so one committed manifest can serve
every day. Pure: parsing and day arithmetic only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from reconciler.manifest.values import ValueProblem, parse_day
from reconciler.market import to_utc

NAMED_DAYS = {"today": 0, "tomorrow": 1}
MAX_OFFSET = 31  # D+31: a month ahead; assets exist two days ahead, so more is a typo
_OFFSET = re.compile(r"^D([+-])(\d{1,2})$")
DAY_EXPECTED = "a date like 2026-11-24, or today, tomorrow, D+2, D-1 (days from today)"


@dataclass(frozen=True)
class SelectorDay:
    """``day`` of a selector: a fixed date, or ``offset`` days from today (``fixed`` is None)."""

    text: str  # as written: "tomorrow", "D+2", "2026-11-24"
    fixed: date | None = None
    offset: int = 0

    @property
    def relative(self) -> bool:
        return self.fixed is None

    def on(self, now: datetime, tz: ZoneInfo) -> date:
        """The delivery day this names at ``now``: relative days count from the local date of
        ``now`` in ``tz`` (calendar days, so a 23- or 25-hour day is one day)."""
        if self.fixed is not None:
            return self.fixed
        return to_utc(now).astimezone(tz).date() + timedelta(days=self.offset)


def parse_selector_day(text: str) -> SelectorDay:
    """A selector's ``day``; raises :class:`~reconciler.manifest.values.ValueProblem`."""
    if text in NAMED_DAYS:
        return SelectorDay(text, offset=NAMED_DAYS[text])
    match = _OFFSET.match(text)
    if match:
        offset = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
        if abs(offset) > MAX_OFFSET:
            raise ValueProblem(
                "day-invalid",
                f"{text} is more than {MAX_OFFSET} days from today",
                f"D-{MAX_OFFSET} ... D+{MAX_OFFSET}",
                text,
            )
        return SelectorDay(text, offset=offset)
    try:
        return SelectorDay(text, fixed=parse_day(text))
    except ValueProblem as problem:
        if problem.message.endswith("is not a date"):
            raise ValueProblem("day-invalid", f"{text!r} is not a day", DAY_EXPECTED, text) from None
        raise


@dataclass(frozen=True)
class AssetSelector:
    """The asset of ``portfolio`` whose lifetime covers the local day ``day`` names."""

    portfolio: str
    day: SelectorDay

    def describe(self) -> str:
        return f"portfolio {self.portfolio}, day {self.day.text}"


@dataclass(frozen=True)
class Resolved:
    """What a selector named when a run resolved it: the day, and the asset's UUID."""

    day: date
    virtual_asset: str


class UnresolvedSelector(LookupError):
    """A manifest's selector was used before it was resolved: a bug in the caller."""
