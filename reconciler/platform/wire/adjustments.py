"""Schedule corrections (DECISIONS.md D2): ``GET …/adjustments?start=&end=``.

``{"adjustments": [{"timestamp", "acceptedSchedule", "adjustedSchedule", "reason"}]}``: the
value that was accepted and the corrected value that is now active in the block's schedule.
Reasons: :class:`reconciler.rules.vocabulary.AdjustmentReason`.
"""

from __future__ import annotations

from typing import Any

from reconciler.platform.wire.fields import as_list, as_object, instant, number, required, text
from reconciler.rules.vocabulary import Adjustment


def parse_adjustments(raw: Any) -> list[Adjustment]:
    doc = as_object(raw, "adjustments answer")
    adjustments = []
    for item in as_list(required(doc, "adjustments", "adjustments answer"), "adjustments"):
        entry = as_object(item, "adjustment")
        adjustments.append(
            Adjustment(
                time=instant(entry, "timestamp", "adjustment"),
                accepted=number(entry, "acceptedSchedule", "adjustment"),
                adjusted=number(entry, "adjustedSchedule", "adjustment"),
                reason=text(entry, "reason", "adjustment"),
            )
        )
    return sorted(adjustments, key=lambda adjustment: adjustment.time)
