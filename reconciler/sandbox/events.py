"""The sandbox clock and what happens as it passes: re-validation, results, state of energy.

The clock moves only when told (POST /_sandbox/clock). Moving it runs every event passed, in
time order across all assets: at each quarter-hour boundary the stored energy follows the active
schedule (D6); at start − 7 min each period is re-validated (D7); at its publication time each
product's bids get their results (D14, D17).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from reconciler.market import PERIOD, isoformat_z, result_publication, revalidation_moment
from reconciler.rules.schedule import revalidate_last
from reconciler.rules.vocabulary import Adjustment, AdjustmentReason
from reconciler.sandbox.assets import AssetState
from reconciler.sandbox.bidding import publish_result
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import invalid

PUBLICATION, REVALIDATION = 0, 1  # at the same instant, results come before re-validation


def revalidate_period(asset: AssetState, period: datetime) -> None:
    """D7 for one period at its re-validation moment, from E0 projected along the active schedule
    (:func:`reconciler.rules.schedule.revalidate_last`, the planner's simulation)."""
    asset.advance_soe(revalidation_moment(period))
    periods = asset.period_inputs(asset.soe_time, period + PERIOD)
    correction = revalidate_last(asset.soe, periods, asset.efficiencies, asset.bounds)
    if correction is not None:
        asset.schedule[period] = correction.corrected
        asset.adjustments.append(
            Adjustment(
                period,
                correction.requested,
                correction.corrected,
                AdjustmentReason.STATE_OF_ENERGY_BOUNDARIES,
            )
        )


def _pending(
    state: SandboxState, after: datetime, until: datetime
) -> list[tuple[datetime, int, int, Callable[[], None]]]:
    events: list[tuple[datetime, int, int, Callable[[], None]]] = []
    for order, asset in enumerate(state.all_assets()):
        for code_text, bid in asset.bids.items():
            moment = result_publication(bid.code, state.market_times)
            if after < moment <= until and code_text not in asset.results:
                events.append((moment, PUBLICATION, order, partial(publish_result, state, asset, code_text)))
        first = revalidation_moment(asset.spec.start)
        if until < first or after >= revalidation_moment(asset.spec.end):
            continue
        for period in asset.periods():
            moment = revalidation_moment(period)
            if after < moment <= until:
                events.append((moment, REVALIDATION, order, partial(revalidate_period, asset, period)))
    events.sort(key=lambda event: event[:3])
    return events


def advance_clock(state: SandboxState, target: datetime) -> None:
    """Move the clock to ``target`` (never backwards: 400) and run every event passed."""
    if target < state.now:
        raise invalid(
            f"the sandbox clock cannot move backwards (now {isoformat_z(state.now)}, asked {isoformat_z(target)})"
        )
    for moment, _, _, run in _pending(state, state.now, target):
        state.now = moment
        run()
    state.now = target
    for asset in state.all_assets():
        asset.advance_soe(target)
