"""The typed LAYR platform client: one method per endpoint the reconciler reads or writes.

Usage::

    with PlatformClient(url, "org-demo", Credentials.from_env()) as client:
        va = client.get_virtual_asset(va_id)
        blocks, soe = client.gather([lambda: client.list_blocks(va_id), lambda: client.get_state_of_energy(va_id)])

Endpoints follow API.md §2–§5; the shapes the docs leave open are decided in DECISIONS.md and
encoded in :mod:`reconciler.platform.wire`. Errors: :mod:`reconciler.platform.errors`.

Time (all :func:`time.monotonic` values): writes take an optional ``deadline``, after which
nothing is sent; ``run_deadline`` ends every request of the client (the command's ``--timeout``);
reads retry up to ``max_attempts`` times, or, through :meth:`PlatformClient.retrying_reads`, for a
time (:class:`~reconciler.platform.retries.ReadRetries`). Every attempt ends within
``request_timeout`` seconds.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

from reconciler.market import Market, ProductDateCode
from reconciler.platform.ancillary import DEFAULT_ANCILLARY_API, AncillaryApi
from reconciler.platform.credentials import Credentials
from reconciler.platform.errors import RUN_WIDE_ERRORS, PlatformError, ServerError, TransportError
from reconciler.platform.models import (
    Bid,
    Block,
    ProductBids,
    ProductResults,
    Series,
    StateOfEnergy,
    VirtualAsset,
)
from reconciler.platform.retries import ReadRetries
from reconciler.platform.session import Attempts, Budget, HttpSession, RetryPolicy
from reconciler.platform.transport import HttpTransport
from reconciler.platform.wire.adjustments import parse_adjustments
from reconciler.platform.wire.assets import parse_block, parse_state_of_energy, parse_virtual_asset
from reconciler.platform.wire.bids import (
    BidRoute,
    bids_body,
    bids_path,
    day_params,
    parse_product_bids,
    parse_product_results,
    product_bids_path,
    results_path,
    route_day_params,
)
from reconciler.platform.wire.fields import as_list, range_params
from reconciler.platform.wire.operational import operational_params, parse_operational
from reconciler.platform.wire.paths import segment, va_path
from reconciler.platform.wire.schedule import SCHEDULE_UPDATE_METHOD, schedule_update_body
from reconciler.platform.wire.unified import (
    BIDS_PATH,
    POST_METHOD,
    POST_REPLACES,
    RESULTS_PATH,
    days_range,
    market_group,
    post_body,
    query_params,
)
from reconciler.rules.vocabulary import Adjustment

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
        request_timeout: float = 60.0,
        max_attempts: int = 5,
        parallelism: int = 10,
        transport: HttpTransport | None = None,
        retry: RetryPolicy | None = None,
        run_deadline: float | None = None,
        ancillary_api: AncillaryApi = DEFAULT_ANCILLARY_API,
    ) -> None:
        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        self.organisation = organisation
        self.ancillary_api = AncillaryApi(ancillary_api)
        self.parallelism = parallelism
        self._read_retries: ReadRetries | None = None
        self._session = HttpSession(
            base_url,
            credentials,
            timeout=timeout,
            request_timeout=request_timeout,
            max_attempts=max_attempts,
            max_connections=parallelism,
            transport=transport,
            retry=retry or RetryPolicy(),
            run_deadline=run_deadline,
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

    @property
    def run_deadline(self) -> float | None:
        """When every request of this client stops (the command's time limit), or None."""
        return self._session.run_deadline

    def retrying_reads(self, retries: ReadRetries) -> PlatformClient:
        """This client (same connections, login and counts), but its reads retry within
        ``retries`` instead of ``max_attempts`` times. A view: close the original, not this."""
        view = copy.copy(self)
        view._read_retries = retries
        return view

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
        retries = self._read_retries
        if retries is None:
            return self._session.request("GET", path, params=params)
        try:
            answer = self._session.request("GET", path, params=params, budget=retries.budget())
        except PlatformError as error:
            gave_up = isinstance(error, (ServerError, TransportError))
            if not isinstance(error, RUN_WIDE_ERRORS):
                retries.finished(gave_up=gave_up)
            raise
        retries.finished(gave_up=False)
        return answer

    def gather(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Run reads in parallel, at most ``parallelism`` at once; results in call order.

        Every call runs to its end, then the first failure (in call order) is raised; a failure
        that ends the run (:data:`~reconciler.platform.errors.RUN_WIDE_ERRORS`: refused
        credentials, a failed login, the time limit) is raised at once and no queued call starts.
        """
        outcomes = self.gather_settled(calls)
        for outcome in outcomes:
            if isinstance(outcome, PlatformError):
                raise outcome
        return outcomes  # type: ignore[return-value]  # no PlatformError among them

    def gather_settled(self, calls: Sequence[Callable[[], T]]) -> list[T | PlatformError]:
        """:meth:`gather`, but each call's :class:`PlatformError` comes back in its place; only a
        run-wide one is raised. Any other exception (a bug) is raised."""
        stop = threading.Event()  # set by the first run-wide failure: no call starts after it

        def settle(call: Callable[[], T]) -> T | PlatformError | None:
            if stop.is_set():
                return None
            try:
                return call()
            except PlatformError as error:
                if isinstance(error, RUN_WIDE_ERRORS):
                    stop.set()
                return error

        if len(calls) <= 1 or self.parallelism == 1:
            outcomes = [settle(call) for call in calls]
        else:
            with ThreadPoolExecutor(max_workers=min(self.parallelism, len(calls))) as pool:
                outcomes = list(pool.map(settle, calls))
        for outcome in outcomes:
            if isinstance(outcome, RUN_WIDE_ERRORS):
                raise outcome  # the calls that never started returned None
        return outcomes  # type: ignore[return-value]  # every call ran: None is a call's own value

    # -- virtual assets and blocks ----------------------------------------------------------

    def list_virtual_assets(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[VirtualAsset]:
        """The organisation's assets (V1): those overlapping ``[start, end]`` when given, else
        the platform's default (from the previous day to a year ahead)."""
        raw = self._get(self._va_path(), range_params(start, end))
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
            budget=Budget(deadline=deadline),
        )
        return parse_block(raw)

    # -- time series ------------------------------------------------------------------------

    def get_adjustments(self, va_id: str, start: datetime, end: datetime) -> list[Adjustment]:
        return parse_adjustments(self._get(self._va_path(va_id, "adjustments"), range_params(start, end)))

    def get_state_of_energy(self, va_id: str) -> StateOfEnergy:
        return parse_state_of_energy(self._get(self._va_path(va_id, "state-of-energy", "latest")))

    def get_operational(
        self, va_id: str, categories: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, Series]:
        raw = self._get(self._va_path(va_id, "operational"), operational_params(categories, start, end))
        return parse_operational(raw, categories)

    # -- ancillary bids ---------------------------------------------------------------------

    def get_bids(self, va_id: str, market: Market, day: date) -> list[ProductBids]:
        """The bids of one market for one delivery day (only products of that market), through
        the client's :attr:`ancillary_api`."""
        if self.ancillary_api is AncillaryApi.UNIFIED:
            return self.get_ancillary_bids(va_id, [day], [market])
        raw = self._get(self._va_path(va_id, bids_path(market)), day_params(market, day))
        return [item for item in parse_product_bids(raw) if item.code.market is market]

    def get_ancillary_bids(
        self, va_id: str, days: Collection[date], markets: Collection[Market] | None = None
    ) -> list[ProductBids]:
        """D18: the bids of ``markets`` (default: all) on the delivery ``days``, in one read over
        the range from the first day to the last (products of days not asked for are left out)."""
        start, end = days_range(days)
        raw = self._get(self._va_path(va_id, BIDS_PATH), query_params(start, end, markets))
        wanted, chosen = set(days), set(markets or Market)
        return [p for p in parse_product_bids(raw) if p.code.day in wanted and p.code.market in chosen]

    def get_ancillary_results(
        self, va_id: str, days: Collection[date], markets: Collection[Market] | None = None
    ) -> list[ProductResults]:
        """D18: the published results of ``markets`` (default: all) on ``days``, in one read."""
        start, end = days_range(days)
        raw = self._get(self._va_path(va_id, RESULTS_PATH), query_params(start, end, markets))
        wanted, chosen = set(days), set(markets or Market)
        return [p for p in parse_product_results(raw) if p.code.day in wanted and p.code.market in chosen]

    def post_ancillary_bids(
        self,
        va_id: str,
        items: Sequence[tuple[ProductDateCode, Sequence[Bid]]],
        *,
        deadline: float | None = None,
    ) -> list[ProductBids]:
        """D18: create, replace or (with no bids) delete the bids of products of one market group
        (FCR, or aFRR capacity and energy) in one request; retried like a PUT (it replaces per
        product, :data:`~reconciler.platform.wire.unified.POST_REPLACES`)."""
        if len({market_group(code.market) for code, _ in items}) != 1:
            raise ValueError("one POST …/ancillary/bids carries products of exactly one market group")
        raw = self._session.request(
            POST_METHOD,
            self._va_path(va_id, BIDS_PATH),
            body=post_body(items),
            budget=Budget(deadline=deadline),
            retryable=POST_REPLACES,
        )
        return parse_product_bids(raw) if raw is not None else []

    def get_day_bids(self, va_id: str, route: BidRoute, day: date) -> list[ProductBids]:
        """The bids of every market of a route for one delivery day, in one read."""
        raw = self._get(self._va_path(va_id, route.bids_path), route_day_params(day))
        return [item for item in parse_product_bids(raw) if item.code.market in route.markets]

    def get_day_results(self, va_id: str, route: BidRoute, day: date) -> list[ProductResults]:
        """The published results of every market of a route for one delivery day, in one read."""
        raw = self._get(self._va_path(va_id, route.results_path), route_day_params(day))
        return [item for item in parse_product_results(raw) if item.code.market in route.markets]

    def put_bids(
        self, va_id: str, code: ProductDateCode, bids: Sequence[Bid], *, deadline: float | None = None
    ) -> list[ProductBids]:
        """Create, replace or (with no bids) delete the bids of one product (D12)."""
        raw = self._session.request(
            "PUT",
            self._va_path(va_id, product_bids_path(code)),
            body=bids_body(code.market, bids),
            budget=Budget(deadline=deadline),
        )
        return parse_product_bids(raw) if raw is not None else []

    def send_planned(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        deadline: float | None = None,
        retryable: bool | None = None,
        attempts: Attempts | None = None,
    ) -> Any:
        """Send a request exactly as a plan recorded it (``path`` relative to the base URL).

        Apply uses this so the request on the wire is the one the plan showed; it is retried within
        ``deadline`` when ``retryable`` (by default a PUT is: idempotent, D1, D12); ``attempts``
        counts the sends.
        """
        return self._session.request(
            method,
            path,
            body=body,
            budget=Budget(deadline=deadline),
            retryable=retryable,
            attempts=attempts,
        )

    def get_results(self, va_id: str, market: Market, day: date) -> list[ProductResults]:
        raw = self._get(self._va_path(va_id, results_path(market)), day_params(market, day))
        return [item for item in parse_product_results(raw) if item.code.market is market]
