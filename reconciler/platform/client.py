"""The typed LAYR platform client: one method per endpoint the reconciler reads or writes.

Usage::

    with PlatformClient(url, "org-demo", Credentials.from_env()) as client:
        va = client.get_virtual_asset(va_id)
        blocks, soe = client.gather([lambda: client.list_blocks(va_id), lambda: client.get_state_of_energy(va_id)])

Endpoints follow API.md §2–§5; the shapes the docs leave open are decided in DECISIONS.md and
encoded in :mod:`reconciler.platform.wire`. Errors: :mod:`reconciler.platform.errors`.
Writes take an optional ``deadline`` (a :func:`time.monotonic` value): no retry starts after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

import httpx

from reconciler.market import Market, ProductDateCode
from reconciler.platform.credentials import Credentials
from reconciler.platform.models import (
    Adjustment,
    Bid,
    Block,
    EnergyCapacityPoint,
    ProductBids,
    ProductResults,
    SocPoint,
    StateOfEnergy,
    VirtualAsset,
)
from reconciler.platform.session import RetryPolicy, Session
from reconciler.platform.wire.adjustments import parse_adjustments
from reconciler.platform.wire.assets import parse_block, parse_state_of_energy, parse_virtual_asset
from reconciler.platform.wire.bids import (
    bids_body,
    bids_path,
    day_params,
    parse_product_bids,
    parse_product_results,
    product_bids_path,
    results_path,
)
from reconciler.platform.wire.energy_capacity import parse_energy_capacity
from reconciler.platform.wire.fields import as_list, range_params
from reconciler.platform.wire.operational import operational_params, parse_operational
from reconciler.platform.wire.paths import segment, va_path
from reconciler.platform.wire.schedule import SCHEDULE_UPDATE_METHOD, schedule_update_body
from reconciler.platform.wire.soc import parse_projected_soc

T = TypeVar("T")


class PlatformClient:
    """Reads and writes one organisation's virtual assets on one platform."""

    def __init__(
        self,
        base_url: str,
        organisation: str,
        credentials: Credentials,
        *,
        timeout: float = 10.0,
        max_attempts: int = 5,
        parallelism: int = 10,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        self.organisation = organisation
        self.parallelism = parallelism
        self._session = Session(
            base_url,
            credentials,
            timeout=timeout,
            max_attempts=max_attempts,
            max_connections=parallelism,
            transport=transport,
            retry=retry or RetryPolicy(),
        )

    @property
    def base_url(self) -> str:
        return self._session.base_url

    @property
    def request_count(self) -> int:
        """HTTP requests actually sent so far (logins and retries included)."""
        return self._session.request_count

    def __repr__(self) -> str:
        return (
            f"PlatformClient(base_url={self.base_url!r}, organisation={self.organisation!r}, "
            f"credentials={self._session.credentials!r})"
        )

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _va_path(self, va_id: str | None = None, *rest: str) -> str:
        return va_path(self.organisation, va_id, *rest)

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return self._session.request("GET", path, params=params)

    def gather(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Run reads in parallel, at most ``parallelism`` at once; results in call order.

        Every call runs to its end; the first failure (in call order) is then re-raised.
        """
        if not calls:
            return []
        if len(calls) == 1 or self.parallelism == 1:
            return [call() for call in calls]
        with ThreadPoolExecutor(max_workers=min(self.parallelism, len(calls))) as pool:
            futures = [pool.submit(call) for call in calls]
            wait(futures)
        for future in futures:
            failure = future.exception()
            if failure is not None:
                raise failure
        return [future.result() for future in futures]

    # -- virtual assets and blocks ----------------------------------------------------------

    def list_virtual_assets(self) -> list[VirtualAsset]:
        raw = self._get(self._va_path())
        return [parse_virtual_asset(item) for item in as_list(raw, "virtual assets answer")]

    def get_virtual_asset(self, va_id: str) -> VirtualAsset:
        return parse_virtual_asset(self._get(self._va_path(va_id)))

    def list_blocks(
        self, va_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[Block]:
        raw = self._get(self._va_path(va_id, "blocks"), range_params(start, end))
        return [parse_block(item) for item in as_list(raw, "blocks answer")]

    def get_block(
        self, va_id: str, block_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> Block:
        return parse_block(
            self._get(self._va_path(va_id, "blocks", segment(block_id)), range_params(start, end))
        )

    def put_schedule(
        self,
        va_id: str,
        block_id: str,
        points: Mapping[datetime, Decimal],
        *,
        deadline: float | None = None,
    ) -> Block:
        """Upsert the given periods of the wholesale block (D1); all or nothing.

        Returns the block as the platform answers the write: over its default window (24 h back to
        48 h ahead), which need not include every period written; re-read with :meth:`get_block`.
        """
        if not points:
            raise ValueError("put_schedule needs at least one point")
        raw = self._session.request(
            SCHEDULE_UPDATE_METHOD,
            self._va_path(va_id, "blocks", segment(block_id)),
            body=schedule_update_body(points),
            deadline=deadline,
        )
        return parse_block(raw)

    # -- time series ------------------------------------------------------------------------

    def get_adjustments(self, va_id: str, start: datetime, end: datetime) -> list[Adjustment]:
        return parse_adjustments(self._get(self._va_path(va_id, "adjustments"), range_params(start, end)))

    def get_energy_capacity(self, va_id: str, start: datetime, end: datetime) -> list[EnergyCapacityPoint]:
        return parse_energy_capacity(
            self._get(self._va_path(va_id, "energy-capacity"), range_params(start, end))
        )

    def get_state_of_energy(self, va_id: str) -> StateOfEnergy:
        return parse_state_of_energy(self._get(self._va_path(va_id, "state-of-energy", "latest")))

    def get_projected_soc(self, va_id: str, start: datetime, end: datetime) -> list[SocPoint]:
        raw = self._get(self._va_path(va_id, "state-of-charge", "projected"), range_params(start, end))
        return parse_projected_soc(raw)

    def get_operational(
        self, va_id: str, categories: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, dict[datetime, Decimal]]:
        raw = self._get(self._va_path(va_id, "operational"), operational_params(categories, start, end))
        return parse_operational(raw, categories)

    # -- ancillary bids ---------------------------------------------------------------------

    def get_bids(self, va_id: str, market: Market, day: date) -> list[ProductBids]:
        """The bids of one market for one delivery day (only products of that market)."""
        raw = self._get(self._va_path(va_id, bids_path(market)), day_params(market, day))
        return [item for item in parse_product_bids(raw) if item.code.market is market]

    def put_bids(
        self, va_id: str, code: ProductDateCode, bids: Sequence[Bid], *, deadline: float | None = None
    ) -> list[ProductBids]:
        """Create, replace or (with no bids) delete the bids of one product (D12)."""
        raw = self._session.request(
            "PUT",
            self._va_path(va_id, product_bids_path(code)),
            body=bids_body(code.market, bids),
            deadline=deadline,
        )
        return parse_product_bids(raw) if raw is not None else []

    def send_planned(self, method: str, path: str, body: Any, *, deadline: float | None = None) -> Any:
        """Send a request exactly as a plan recorded it (``path`` relative to the base URL).

        Apply uses this so the request on the wire is the one the plan showed; a PUT is retried
        (idempotent) within ``deadline`` like every PUT.
        """
        return self._session.request(method, path, body=body, deadline=deadline)

    def get_results(self, va_id: str, market: Market, day: date) -> list[ProductResults]:
        raw = self._get(self._va_path(va_id, results_path(market)), day_params(market, day))
        return [item for item in parse_product_results(raw) if item.code.market is market]
