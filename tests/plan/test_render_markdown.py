"""The markdown plan is a PR comment: it must fit GitHub's limit and keep what reviewers need."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reconciler.market import quarter_hours
from reconciler.plan.model import Plan, ScheduleChange, TargetInfo
from reconciler.render.markdown import BUDGET, MARKER, render_markdown

DAY = date(2026, 11, 24)


def _full_day_change(index: int) -> ScheduleChange:
    periods = quarter_hours(DAY)
    # alternating values: every period is its own run, the worst case for the details
    after = {t: Decimal((-1000 if i % 2 else 1500) - index) for i, t in enumerate(periods)}
    return ScheduleChange(
        asset=f"asset-{index:02d}",
        virtual_asset=f"va-{index}",
        block="b",
        before={t: Decimal(0) for t in after},
        after=after,
        deadline=periods[0],
    )


def _plan(assets: int) -> Plan:
    changes = tuple(_full_day_change(i) for i in range(assets))
    soc = {c.asset: [(t, 50.0 + (i % 40)) for i, t in enumerate(quarter_hours(DAY))] for c in changes}
    return Plan(
        TargetInfo("prod", "https://api.example", "o"), quarter_hours(DAY)[0], changes, (), (), soc=soc
    )


def test_sixty_assets_with_full_day_changes_fit_a_comment() -> None:
    text = render_markdown(_plan(60), environ={})
    assert len(text) <= BUDGET
    assert text.startswith(MARKER)
    table_rows = [line for line in text.splitlines() if line.startswith("| asset-")]
    assert len(table_rows) == 60  # the summary table keeps every asset
    assert text.index("| asset |") < text.index("<details>")  # summary first, details folded
    assert text.count("xychart-beta") == 60  # a SoC chart for every changed asset
    assert "shortened to fit a pull-request comment" in text


def test_truncation_note_links_to_the_workflow_run() -> None:
    environ = {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/desk",
        "GITHUB_RUN_ID": "42",
    }
    text = render_markdown(_plan(60), environ=environ)
    assert "https://github.com/acme/desk/actions/runs/42" in text


def test_small_plan_is_shown_whole() -> None:
    text = render_markdown(_plan(2), environ={})
    assert "shortened" not in text
    assert text.count("0 kW → 1.5 MW discharge") == 48  # every run of asset-00 is listed
