"""The organisation's list of virtual assets over a range (V1 with ``start`` and ``end``).

Asset selectors are resolved against it (:mod:`reconciler.plan.resolve`): one read per run, over
the days every selector of the run names. It retries like every plan read
(:data:`~reconciler.platform.reading.READ_RETRY_SECONDS`).
"""

from __future__ import annotations

from datetime import datetime

from reconciler.platform import reading
from reconciler.platform.client import PlatformClient
from reconciler.platform.errors import RUN_WIDE_ERRORS, PlatformError
from reconciler.platform.models import VirtualAsset
from reconciler.platform.retries import ReadRetries


def read_asset_list(client: PlatformClient, start: datetime, end: datetime) -> list[VirtualAsset] | str:
    """The assets overlapping ``[start, end]``, or why they could not be read (a failure that
    ends the run, such as refused credentials or the time limit, is raised)."""
    reader = client.retrying_reads(ReadRetries(reading.READ_RETRY_SECONDS))  # the one setting, read now
    try:
        return reader.list_virtual_assets(start, end)
    except RUN_WIDE_ERRORS:
        raise
    except PlatformError as error:
        return str(error)
