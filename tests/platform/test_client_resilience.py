"""Auth, retries, deadlines, parallel reads and secrecy, against the sandbox's clock and fault plan."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
import pytest

from reconciler.platform import (
    APIError,
    AuthError,
    CommandTimeout,
    Credentials,
    DeadlineExceeded,
    LoginFailed,
    NotFoundError,
    PlatformClient,
    RetryPolicy,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from reconciler.platform.retries import ReadRetries
from reconciler.platform.transport import Answer, HttpTransport
from reconciler.sandbox.server import RunningSandbox
from tests.platform.client_helpers import PASSWORD, USER, VA_ID, MakeClient, fixture, logged
from tests.support.scripted import Script, answer, scripted_server
from tests.support.trickle import trickling_server

MakeSandbox = Callable[[dict[str, Any]], RunningSandbox]
INJECTED = "error on the platform error: injected fault (sandbox fault plan)"
PERIOD = datetime(2026, 5, 30, 10, 0, tzinfo=UTC)


def raw_token(sandbox: RunningSandbox) -> str:
    response = httpx.post(
        f"{sandbox.url}/auth/public/authenticate", json={"username": USER, "password": PASSWORD}
    )
    return str(response.json()["access_token"])


def test_an_expired_token_is_renewed_once_transparently(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture(tokenExpiresIn=60))
    client = make_client(sandbox)
    before = client.get_virtual_asset(VA_ID)
    sandbox.advance(61)
    assert client.get_virtual_asset(VA_ID).id == before.id
    assert len(logged(sandbox, "POST", "/authenticate")) == 2
    assert [entry["status"] for entry in logged(sandbox, "GET", VA_ID)] == [200, 401, 200]
    assert client.request_count == 5


def test_a_token_alone_cannot_be_renewed_and_the_refusal_is_verbatim(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture(tokenExpiresIn=60))
    token = raw_token(sandbox)
    client = make_client(sandbox, credentials=Credentials(token=token))
    client.get_virtual_asset(VA_ID)
    sandbox.advance(61)
    with pytest.raises(AuthError) as refused:
        client.get_virtual_asset(VA_ID)
    assert refused.value.message == "auth error: the access token has expired; authenticate again"
    assert len(logged(sandbox, "POST", "/authenticate")) == 1  # only raw_token's own login
    assert token not in str(refused.value) + repr(refused.value) + repr(client)


def test_wrong_password_is_an_auth_error_without_retry(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture())
    client = make_client(sandbox, credentials=Credentials(username=USER, password="pw-wrong-5e2b"))
    with pytest.raises(AuthError) as refused:
        client.list_virtual_assets()
    assert refused.value.message == "auth error: invalid username or password"
    assert "pw-wrong-5e2b" not in str(refused.value)
    assert len(logged(sandbox)) == 1


def test_refused_credentials_are_sent_once_however_many_reads_run_in_parallel(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    # a wrong password must not become one login per asset: a real platform may lock the account
    sandbox = make_sandbox(fixture())
    client = make_client(sandbox, credentials=Credentials(username=USER, password="pw-wrong-5e2b"))
    reads = [lambda: client.get_virtual_asset(VA_ID)] * 8
    with pytest.raises(AuthError, match="invalid username or password"):
        client.gather(reads)
    with pytest.raises(AuthError):
        client.list_virtual_assets()
    assert len(logged(sandbox, "POST", "/authenticate")) == 1


@pytest.mark.parametrize("status", [503, 500, 429])
def test_gets_are_retried_on_5xx_and_429_up_to_max_attempts(
    make_sandbox: MakeSandbox, make_client: MakeClient, status: int
) -> None:
    sandbox = make_sandbox(fixture())
    client = make_client(sandbox, max_attempts=3)
    client.list_virtual_assets()  # logged in before the faults start
    sandbox.set_faults(errorRate=1, statuses=[status])
    with pytest.raises(APIError) as failed:
        client.get_virtual_asset(VA_ID)
    assert (failed.value.status, failed.value.message) == (status, INJECTED)
    assert isinstance(failed.value, ServerError) == (status >= 500)
    assert len(logged(sandbox, "GET", VA_ID)) == 3


def test_intermittent_faults_are_ridden_out(make_sandbox: MakeSandbox, make_client: MakeClient) -> None:
    sandbox = make_sandbox(fixture())
    client = make_client(sandbox, max_attempts=8)
    client.list_virtual_assets()
    sandbox.set_faults(errorRate=0.6, statuses=[500, 503], seed=3)
    for _ in range(4):
        assert client.get_virtual_asset(VA_ID).id == VA_ID
    entries = logged(sandbox, "GET", VA_ID)
    assert any(entry.get("fault") == "error" for entry in entries)
    assert sum(entry["status"] == 200 for entry in entries) == 4


def test_a_put_survives_connection_resets_because_it_is_idempotent(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture())
    client = make_client(sandbox, max_attempts=8)
    block_id = client.get_virtual_asset(VA_ID).wholesale_block_id
    assert block_id is not None
    sandbox.set_faults(resetRate=0.5, seed=4)  # this seed cuts the first two answers
    client.put_schedule(VA_ID, block_id, {PERIOD: Decimal(-300)})
    puts = logged(sandbox, "PUT", block_id)
    assert [entry.get("fault") for entry in puts] == ["reset", "reset", None]  # processed, cut, sent again
    sandbox.set_faults()
    assert client.get_block(VA_ID, block_id, PERIOD, PERIOD).schedule[PERIOD] == Decimal(-300)


def test_resets_on_every_attempt_end_in_a_transport_error(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture())
    client = make_client(sandbox, max_attempts=3)
    client.list_virtual_assets()
    sandbox.set_faults(resetRate=1)
    with pytest.raises(TransportError, match="after 3 attempts"):
        client.get_virtual_asset(VA_ID)
    assert len(logged(sandbox, "GET", VA_ID)) == 3


def test_timeouts_are_retried_then_reported(make_sandbox: MakeSandbox, make_client: MakeClient) -> None:
    sandbox = make_sandbox(fixture())
    client = make_client(sandbox, max_attempts=2, timeout=0.5)
    client.list_virtual_assets()
    sandbox.set_faults(latencyMs=1200)
    with pytest.raises(TransportError, match="ReadTimeout"):
        client.get_virtual_asset(VA_ID)
    assert client.request_count == 4  # login, list, two timed-out attempts


def test_4xx_is_never_retried_and_a_failing_login_is_retried_like_a_read(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture())
    client = make_client(sandbox, max_attempts=5)
    with pytest.raises(NotFoundError):
        client.get_virtual_asset("7c1e0d4e-9999-4000-8000-000000000009")
    assert len(logged(sandbox, "GET", "000000000009")) == 1
    fresh = make_client(sandbox, max_attempts=3)
    sandbox.set_faults(errorRate=1, statuses=[503])
    with pytest.raises(LoginFailed) as failed:
        fresh.list_virtual_assets()
    assert str(failed.value).startswith(f"could not log in to {sandbox.url}: {INJECTED}")
    # one for the first client; three attempts of the fresh one's login, and no read without a token
    assert len(logged(sandbox, "POST", "/authenticate")) == 1 + 3
    assert logged(sandbox, "GET", "/virtual-assets") == []


def seed_failing_first(logins: int, rate: float) -> int:
    """A fault seed whose first ``logins`` faulted requests fail and the next one goes through (the
    sandbox draws three numbers per faulted request, the first deciding an error)."""
    for seed in range(1000):
        rng = random.Random(seed)
        firsts = [rng.random() for _ in range(3 * (logins + 1))][::3]
        if all(draw < rate for draw in firsts[:logins]) and firsts[logins] >= rate:
            return seed
    raise AssertionError("no such seed")


def test_parallel_requests_wait_for_one_login_retried_through_failures(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture())
    sandbox.set_faults(errorRate=0.5, statuses=[503], methods=["POST"], seed=seed_failing_first(2, 0.5))
    client = make_client(sandbox, parallelism=8)
    vas = client.gather([lambda: client.get_virtual_asset(VA_ID)] * 8)
    assert [va.id for va in vas] == [VA_ID] * 8
    log = sandbox.requests()
    logins = [entry["status"] for entry in log if entry["method"] == "POST"]
    assert logins == [503, 503, 200]  # one login, retried; nobody else sent credentials meanwhile
    first_read = next(i for i, entry in enumerate(log) if entry["method"] == "GET")
    assert first_read == 3 and len(log) == 3 + 8  # every read waited for the token


def test_parallel_requests_share_a_failed_login_and_queued_ones_never_start(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture())
    sandbox.set_faults(errorRate=1, statuses=[503], methods=["POST"])
    client = make_client(sandbox, parallelism=4, max_attempts=3)
    with pytest.raises(LoginFailed):
        client.gather([lambda: client.get_virtual_asset(VA_ID)] * 20)
    assert [entry["method"] for entry in sandbox.requests()] == ["POST"] * 3  # one login's 3 attempts


def test_reads_given_time_retry_within_it_rather_than_max_attempts(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture())
    client = make_client(sandbox, max_attempts=2)  # waits of 5-50 ms (FAST_RETRY)
    client.list_virtual_assets()
    sandbox.set_faults(errorRate=1, statuses=[503])
    with pytest.raises(ServerError) as failed:
        client.retrying_reads(ReadRetries(0.5)).get_virtual_asset(VA_ID)
    assert failed.value.message == INJECTED
    attempts = len(logged(sandbox, "GET", VA_ID))
    assert attempts > 5  # many more than max_attempts, within the half second
    with pytest.raises(ServerError):
        client.get_virtual_asset(VA_ID)  # the client itself still stops after max_attempts
    assert len(logged(sandbox, "GET", VA_ID)) == attempts + 2


def test_each_read_has_its_time_but_a_platform_that_is_down_stops_the_retries(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture())
    client = make_client(sandbox, parallelism=1)
    client.list_virtual_assets()
    sandbox.set_faults(errorRate=1, statuses=[503])
    retries = ReadRetries(0.2)
    reader = client.retrying_reads(retries)
    ids = [f"7c1e0d4e-9999-4000-8000-00000000000{i}" for i in range(8)]
    outcomes = reader.gather_settled([partial(reader.get_virtual_asset, va) for va in ids])
    assert all(isinstance(o, ServerError) for o in outcomes)
    attempts = [len(logged(sandbox, "GET", va)) for va in ids]  # one read after another
    # each of the first five retried for its own 0.2 s; five gave up: it is down, one try each
    assert all(n > 2 for n in attempts[:5]) and attempts[5:] == [1, 1, 1], attempts
    sandbox.set_faults()
    past = client.retrying_reads(ReadRetries(0.2, until=time.monotonic() - 1))
    assert past.get_virtual_asset(VA_ID).id == VA_ID  # a read past its step's time still goes once


def test_the_run_deadline_stops_every_request_with_a_clear_error(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture())
    steady = RetryPolicy(base_delay=0.1, max_delay=0.1)  # 50-100 ms between attempts
    client = make_client(sandbox, max_attempts=1000, retry=steady, run_deadline=time.monotonic() + 0.5)
    client.list_virtual_assets()
    sandbox.set_faults(errorRate=1, statuses=[503])
    with pytest.raises(CommandTimeout, match=r"time limit ran out \(--timeout\)"):
        client.get_virtual_asset(VA_ID)
    assert 1 < len(logged(sandbox, "GET", VA_ID)) < 1000
    late = make_client(sandbox, run_deadline=time.monotonic())
    with pytest.raises(CommandTimeout, match="not sent"):
        late.get_virtual_asset(VA_ID)
    assert logged(sandbox, "POST", "/authenticate")[1:] == []  # not even its login


def test_no_retry_starts_after_the_callers_deadline(
    make_sandbox: MakeSandbox, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []  # the client's waits in this thread, recorded instead of slept
    caller, sleep = threading.current_thread(), time.sleep
    monkeypatch.setattr(
        "reconciler.platform.session.time.sleep",
        lambda s: slept.append(s) if threading.current_thread() is caller else sleep(s),
    )
    sandbox = make_sandbox(fixture())
    slow = RetryPolicy(base_delay=2, max_delay=2)  # every wait lasts 1-2 s
    client = make_client(sandbox, max_attempts=10, retry=slow)
    block_id = client.get_virtual_asset(VA_ID).wholesale_block_id
    assert block_id is not None
    sandbox.set_faults(errorRate=1, statuses=[503])
    slept.clear()  # starting the sandbox polls for it
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="would start after the deadline"):
        client.put_schedule(VA_ID, block_id, {PERIOD: Decimal(100)}, deadline=started + 0.5)
    assert slept == []  # it gave up at once instead of sleeping into the deadline
    assert len(logged(sandbox, "PUT", block_id)) == 1  # the first retry would have started after 1 s
    with pytest.raises(DeadlineExceeded, match="not sent"):
        client.put_schedule(VA_ID, block_id, {PERIOD: Decimal(100)}, deadline=time.monotonic() - 1)
    assert len(logged(sandbox, "PUT", block_id)) == 1


class PeakCountingTransport(HttpTransport):
    """A real transport that remembers how many requests were in flight at once."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, max_connections=10, timeout=10)
        self._lock = threading.Lock()
        self.active = self.peak = 0

    def send(self, method: str, target: str, **kwargs: Any) -> Answer:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            return super().send(method, target, **kwargs)
        finally:
            with self._lock:
                self.active -= 1


def test_gather_bounds_parallel_reads_keeps_order_and_raises_after_all_finish(
    make_sandbox: MakeSandbox, make_client: MakeClient
) -> None:
    sandbox = make_sandbox(fixture())
    transport = PeakCountingTransport(sandbox.url)
    client = make_client(sandbox, parallelism=3, transport=transport)
    client.list_virtual_assets()
    sandbox.set_faults(latencyMs=100)
    days = [datetime(2026, 5, 30, hour, tzinfo=UTC) for hour in range(9)]
    calls = [lambda d=d: client.get_operational(VA_ID, ["energyCapacityAvailable"], d, d) for d in days]
    results = client.gather(calls)
    assert [list(series["energyCapacityAvailable"]) for series in results] == [[d] for d in days]
    assert transport.peak == 3
    missing = "7c1e0d4e-9999-4000-8000-000000000009"
    before = len(logged(sandbox))
    with pytest.raises(NotFoundError):
        client.gather(
            [lambda: client.get_virtual_asset(VA_ID), lambda: client.get_virtual_asset(missing)] * 3
        )
    assert len(logged(sandbox)) - before == 6  # every call ran although the second failed


def test_secrets_never_reach_log_records_exceptions_or_reprs(
    make_sandbox: MakeSandbox, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = make_sandbox(fixture(tokenExpiresIn=60))
    token = raw_token(sandbox)
    credentials = Credentials(username=USER, password=PASSWORD, token=token)
    errors: list[Exception] = []
    with caplog.at_level(logging.DEBUG):
        client: PlatformClient = make_client(sandbox, credentials=credentials, max_attempts=2)
        client.get_virtual_asset(VA_ID)
        sandbox.advance(61)  # the env token expires: a fresh login, whose token is secret too
        client.get_virtual_asset(VA_ID)
        sandbox.set_faults(errorRate=1, statuses=[503])
        for call in (partial(client.get_virtual_asset, VA_ID), partial(client.get_virtual_asset, "nope")):
            try:
                call()
            except Exception as exc:
                errors.append(exc)
    platform_records = [r for r in caplog.records if r.name == "reconciler.platform"]
    assert any("GET" in r.getMessage() and "attempt=" in r.getMessage() for r in platform_records)
    texts = [r.getMessage() for r in caplog.records] + [str(e) + repr(e) for e in errors]
    texts += [repr(client), str(credentials), repr(credentials)]
    assert len(errors) == 2
    for text in texts:
        assert PASSWORD not in text and token not in text and "Bearer" not in text


def test_a_trickling_server_cannot_hold_a_request_past_its_total_time_limit() -> None:
    # each byte comes every 0.1 s, far within the 5 s socket timeout: only the total limit ends it
    with trickling_server(interval=0.1) as url:
        client = PlatformClient(
            url,
            "org-x",
            Credentials(token="tok-trickle-test-1"),
            timeout=5,
            request_timeout=0.5,
            max_attempts=2,
        )
        with client, pytest.raises(TransportError) as failed:
            client.get_virtual_asset(VA_ID)
    assert str(failed.value).endswith("after 2 attempts (no complete answer within 0.5 s)")


def test_a_trickling_login_ends_at_the_run_deadline_and_no_read_is_sent() -> None:
    with trickling_server(interval=0.1) as url:
        client = PlatformClient(
            url,
            "org-x",
            Credentials(username=USER, password=PASSWORD),
            timeout=5,
            max_attempts=10,
            run_deadline=time.monotonic() + 1,
        )
        with client, pytest.raises(CommandTimeout, match="/auth/public/authenticate: no complete answer"):
            client.gather([lambda: client.get_virtual_asset(VA_ID)] * 10)
        assert client.request_count == 1  # one login attempt, cut at the deadline; no read


def test_a_login_answer_whose_token_no_header_can_carry_is_refused_without_showing_it() -> None:
    token = "tok-0123456789abcdef\r\nX-Injected: 1"
    body = json.dumps({"access_token": token, "expires_in": 3600}).encode()
    script = Script([(answer(body, "Content-Type: application/json"), False)])
    with scripted_server(script) as url:
        client = PlatformClient(url, "org", Credentials(username=USER, password=PASSWORD), max_attempts=1)
        with pytest.raises(UnexpectedResponseError, match="access_token holds a line break") as raised:
            client.get_virtual_asset(VA_ID)
        client.close()
    assert "tok-0123456789abcdef" not in str(raised.value)
    assert [line.split()[0] for line in script.requests] == [b"POST"]  # nothing sent with it
