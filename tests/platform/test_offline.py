"""Client behaviour that needs no server: JSON exactness, fingerprints, credentials, URL safety."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reconciler.core.exactjson import Literal, c_encode
from reconciler.core.redaction import install_log_redaction
from reconciler.platform import (
    Credentials,
    CredentialsError,
    InsecureURLError,
    PlatformClient,
)
from reconciler.platform.errors import (
    AuthError,
    InvalidOperationError,
    NotFoundError,
    ServerError,
    api_error,
)
from reconciler.platform.jsonio import canonical_json, dumps, fingerprint, loads
from reconciler.platform.session import RetryPolicy, retry_after_seconds, should_retry_status
from reconciler.platform.wire.schedule import schedule_update_body


def test_numbers_travel_exactly_and_whole_numbers_as_integers() -> None:
    body = schedule_update_body(
        {
            datetime(2026, 5, 30, 10, 15, tzinfo=UTC): Decimal("-2500.5"),
            datetime(2026, 5, 30, 10, 0, tzinfo=UTC): Decimal("4000.00"),
        }
    )
    assert dumps(body) == (
        '{"schedule":[{"time":"2026-05-30T10:00:00Z","power":4000},'
        '{"time":"2026-05-30T10:15:00Z","power":-2500.5}]}'
    )
    assert loads('{"p": 0.1}')["p"] == Decimal("0.1")


def test_a_float_in_a_request_body_is_refused() -> None:
    with pytest.raises(TypeError, match="use Decimal"):
        dumps({"power": 0.1})


def test_fingerprint_ignores_key_order_and_number_spelling_but_not_values() -> None:
    a = loads('{"id": "x", "energyCapacity": 480.0, "schedule": [{"time": "t", "power": 5}]}')
    b = loads('{"schedule": [{"power": 5.00, "time": "t"}], "energyCapacity": 480, "id": "x"}')
    c = loads('{"schedule": [{"power": 6, "time": "t"}], "energyCapacity": 480, "id": "x"}')
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(c)
    assert len(fingerprint(a)) == 64


_NUMBERS = st.one_of(
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
_DOCUMENTS = st.recursive(
    st.one_of(st.none(), st.booleans(), _NUMBERS, st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(_DOCUMENTS)
def test_the_fingerprint_text_is_the_canonical_json_a_request_would_carry(document: object) -> None:
    """The fingerprint is written by the C encoder; its text is exactly dumps' (sorted keys, exact
    numbers), so a fingerprint means the same whichever encoder made it."""
    assert canonical_json(document) == dumps(document, sort_keys=True)


_JSON_NUMBERS = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
)


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), _JSON_NUMBERS, st.text()),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)),
        max_leaves=20,
    ),
    st.booleans(),
)
def test_answers_decode_to_what_json_decodes_with_exact_numbers(document: object, spaced: bool) -> None:
    """Whatever decoder reads an answer, its values are json's with parse_float=Decimal: whole
    numbers stay int, 480.0 stays Decimal("480.0"), 1e400 and 1e-400 stay exact."""

    def literal(value: object) -> Literal:  # Decimal("480.0") as 480.0, Decimal("1E+400") as 1E+400
        if isinstance(value, Decimal):
            return Literal(str(value))
        raise TypeError

    text = c_encode(document, literal, separators=(", ", ": ") if spaced else (",", ":"))
    assume(text is not None)  # a string held a NUL, the marks c_encode needs
    assert text is not None
    decoded = loads(text.encode())
    assert decoded == json.loads(text, parse_float=Decimal)
    assert repr(decoded) == repr(json.loads(text, parse_float=Decimal))  # 480.0 is not Decimal("480")


def test_an_answer_in_utf16_or_with_a_byte_order_mark_still_decodes_but_nan_is_not_json() -> None:
    assert loads('{"p": 2.50}'.encode("utf-16")) == {"p": Decimal("2.50")}
    assert loads(b'\xef\xbb\xbf{"p": 1}') == {"p": 1}
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(ValueError):
            loads(f'{{"p": {constant}}}'.encode())


def test_credentials_from_env_name_the_missing_variables() -> None:
    with pytest.raises(CredentialsError) as missing:
        Credentials.from_env({})
    assert "LAYR_USERNAME" in str(missing.value)
    assert "LAYR_PASSWORD" in str(missing.value)
    assert "LAYR_TOKEN" in str(missing.value)
    with pytest.raises(CredentialsError, match="LAYR_PASSWORD is not"):
        Credentials.from_env({"LAYR_USERNAME": "demo"})
    with pytest.raises(CredentialsError, match="LAYR_USERNAME is not"):
        Credentials.from_env({"LAYR_PASSWORD": "pw-only-1"})
    token_only = Credentials.from_env({"LAYR_TOKEN": "tok-offline-1"})
    assert token_only.token == "tok-offline-1"
    assert not token_only.can_login
    both = Credentials.from_env({"LAYR_USERNAME": "demo", "LAYR_PASSWORD": "pw-offline-2"})
    assert both.can_login


def test_secrets_never_appear_in_reprs() -> None:
    credentials = Credentials(username="demo", password="pw-offline-3", token="tok-offline-3")
    client = PlatformClient("https://api.example.com", "org-demo", credentials)
    try:
        for text in (repr(credentials), str(credentials), repr(client), str(client)):
            assert "pw-offline-3" not in text
            assert "tok-offline-3" not in text
        assert "demo" in repr(credentials)
    finally:
        client.close()


def test_secrets_are_masked_in_exception_messages_and_log_records(caplog: pytest.LogCaptureFixture) -> None:
    Credentials(username="demo", password="pw-offline-4")
    error = api_error(400, "PUT", "/x", "invalid operation error: password pw-offline-4 rejected")
    assert "pw-offline-4" not in str(error) and "pw-offline-4" not in repr(error)
    assert error.message == "invalid operation error: password *** rejected"
    log = install_log_redaction()
    with caplog.at_level(logging.DEBUG, logger="reconciler.platform"):
        log.debug("login with %s", "pw-offline-4")
    assert caplog.records
    assert all("pw-offline-4" not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "url",
    ["http://api.trlyr.com", "http://10.0.0.5:8080", "ftp://127.0.0.1", "api.trlyr.com"],
)
def test_plain_http_to_a_non_loopback_host_is_refused(url: str) -> None:
    with pytest.raises(InsecureURLError):
        PlatformClient(url, "org-demo", Credentials(token="tok-offline-5"))


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9", "https://a.example"]
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    PlatformClient(url, "org-demo", Credentials(token="tok-offline-6")).close()


def test_status_codes_map_onto_the_exception_tree_with_the_message_verbatim() -> None:
    text = "not found error: virtual asset 7c1e does not exist"
    error = api_error(404, "GET", "/organisations/o/virtual-assets/7c1e", text)
    assert isinstance(error, NotFoundError) and error.message == text and error.status == 404
    assert isinstance(api_error(400, "PUT", "/p", "x"), InvalidOperationError)
    assert isinstance(api_error(401, "GET", "/p", "x"), AuthError)
    assert isinstance(api_error(503, "GET", "/p", "x"), ServerError)


def test_only_get_and_put_are_retried_and_only_on_5xx_and_429() -> None:
    assert should_retry_status("GET", 503) and should_retry_status("PUT", 500)
    assert should_retry_status("GET", 429)
    assert not should_retry_status("POST", 503)
    assert not should_retry_status("GET", 400) and not should_retry_status("PUT", 404)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 5, 30, 10, 0, tzinfo=UTC)
    assert retry_after_seconds("3", now) == 3.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=20), usegmt=True), now) == 20.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_backoff_grows_exponentially_within_jitter_bounds_and_is_capped() -> None:
    import random

    policy = RetryPolicy(base_delay=0.5, max_delay=3.0)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0), (5000, 3.0)]:  # no overflow
        delays = [policy.backoff(attempt, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
