"""Manifests: YAML with line marks -> schema check -> canonical desired state (kW, UTC periods).

Entry point: :func:`load_manifests`. The format is defined by ``schemas/manifest.schema.json``;
defaults: ``unit: kW``, ``mode: exact``, ``prune: false``, ``timezone: Europe/Berlin``.

Diagnostic codes (stable, for scripts and tests):

- reading: ``path-not-found``, ``no-manifests``, ``file-unreadable``, ``file-too-large``,
  ``yaml-syntax``, ``yaml-tag``, ``yaml-key``, ``yaml-merge-key``, ``yaml-duplicate-key``,
  ``yaml-alias``, ``yaml-too-large``, ``number-range``
- structure (the schema): ``schema-unknown-key``, ``schema-missing-key``, ``schema-type``,
  ``schema-value``, ``schema-format``, ``schema-shape``, ``schema-invalid``
- across documents: ``duplicate-virtual-asset`` (also two selectors alike), ``duplicate-name``
- asset selectors: ``day-invalid``; ``selector-day`` (a note: the date a relative day names at
  ``now``, only with ``now``); resolving them against the platform is
  :mod:`reconciler.plan.resolve` (``selector-no-match``, ``selector-ambiguous``)
- ``wholesale.days``: ``day-invalid``, ``day-range-empty``, ``day-range-too-long``,
  ``days-partial`` (a warning: ``days`` means nothing under ``mode: partial``)
- times: ``time-invalid``, ``time-off-grid``, ``local-time-nonexistent``, ``local-time-ambiguous``,
  ``timezone-unknown``, ``schedule-empty-range``, ``schedule-range-too-long``,
  ``schedule-duplicate-period`` (two entries or CSV rows set the same period)
- files a manifest names: ``path-outside-project`` (absolute, or leaving the project through
  ``..`` or a symlink), ``path-not-a-file`` (a folder, FIFO or device), ``file-too-large``,
  ``file-unreadable``
- CSV: ``csv-missing``, ``csv-header``, ``csv-row``, ``csv-value``, ``csv-empty``,
  ``csv-too-many-errors``
- files a directory scan finds: ``path-outside-project`` and ``path-not-a-file`` (warnings:
  a symlink out of the project, a FIFO; the file is not read)
- bids: ``day-invalid``, ``bid-product-unknown``, ``bid-product-day``, ``bid-duplicate-product``,
  ``bid-template-overlap``, ``bid-product-range``, ``day-range-empty``, ``day-range-too-long``,
  ``bid-capacity-step``, ``bid-capacity-truncated`` (note), ``bid-price-range``,
  ``bid-price-missing``, ``bid-price-unexpected``, ``bid-deadline-passed`` and
  ``bid-deadline-near`` (warnings, only with ``now``)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.core.lazy import lazy_names
from reconciler.manifest.model import (
    BidSection,
    DesiredBid,
    DesiredSchedule,
    LoadResult,
    Manifest,
    Rejected,
    ScheduleMode,
    SourceRef,
)

if TYPE_CHECKING:
    from reconciler.core.yamlsource import YamlDocument, load_yaml_documents, parse_yaml_text
    from reconciler.manifest.loader import load_manifests, read_manifest_text

# Loaded when first used (PEP 562): `show` and the renderers need the model, not the loader, its
# YAML reader and its schema checks.
_HOMES = {
    "YamlDocument": "reconciler.core.yamlsource",
    "load_yaml_documents": "reconciler.core.yamlsource",
    "parse_yaml_text": "reconciler.core.yamlsource",
    "load_manifests": "reconciler.manifest.loader",
    "read_manifest_text": "reconciler.manifest.loader",
}


__getattr__ = lazy_names(__name__, _HOMES)


__all__ = [
    "BidSection",
    "DesiredBid",
    "DesiredSchedule",
    "LoadResult",
    "Manifest",
    "Rejected",
    "ScheduleMode",
    "SourceRef",
    "YamlDocument",
    "load_manifests",
    "load_yaml_documents",
    "parse_yaml_text",
    "read_manifest_text",
]
