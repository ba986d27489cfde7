"""Which bid routes a target speaks (DECISIONS.md D18): the one place the default is chosen."""

from __future__ import annotations

from enum import StrEnum


class AncillaryApi(StrEnum):
    """``ancillaryApi`` in reconciler.yaml: how bids and results are read and written."""

    UNIFIED = "unified"  # POST/GET …/ancillary/bids, GET …/ancillary/results (D18, API.md §5.5)
    LEGACY = "legacy"  # the per-market routes of D12 under …/ancillary/fcr/ and …/ancillary/afrr/


DEFAULT_ANCILLARY_API = AncillaryApi.UNIFIED
"""D18: the docs' newest shape is the default; ``ancillaryApi: legacy`` keeps the D12 routes."""
