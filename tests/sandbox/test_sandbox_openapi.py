"""``GET /docs/doc.json`` (D23): a valid OpenAPI 3.1 document generated from the route table, and an
independent API fuzzer (schemathesis) run against it over loopback finds no 5xx and no answer that
breaks the document."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Route

from reconciler.sandbox.app import create_app
from reconciler.sandbox.fixture import load_fixture
from reconciler.sandbox.server import RunningSandbox
from tests.sandbox.sandbox_helpers import ORG, PASSWORD, USER, VA_ID, MakeSandbox, asset, fixture

EXAMPLES_PER_OPERATION = 6  # bounded: the whole fuzz stays at a few seconds of CPU
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # a request the document forbids must not be accepted either
]


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox) -> RunningSandbox:
    return make_sandbox(fixture(asset(), clearingPrices={"FCR": 120}))


def _document(sandbox: RunningSandbox) -> dict[str, Any]:
    response = httpx.get(sandbox.url + "/docs/doc.json")  # no token: the document is public
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    document: dict[str, Any] = response.json()
    return document


@pytest.mark.slow  # the meta-schema validation takes a few seconds
def test_the_document_is_valid_openapi_3_1_and_describes_every_route(
    sandbox: RunningSandbox, example_fixture_path: Any
) -> None:
    document = _document(sandbox)
    assert document["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(document).validate()  # against the OpenAPI 3.1 meta-schema
    broken = copy.deepcopy(document)
    broken["paths"]["/docs/doc.json"]["get"]["responses"] = "none"
    with pytest.raises(Exception):  # noqa: B017 - the validator's own error type
        schemathesis.openapi.from_dict(broken).validate()
    # every route the app serves, with every method, is in the document, and nothing else
    app = create_app(load_fixture(example_fixture_path))
    served = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route)
        for method in set(route.methods or ()) - {"HEAD"}
    }
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert documented == served
    unified = document["paths"]["/organisations/{org}/virtual-assets/{va}/ancillary/bids"]
    assert set(unified) == {"get", "post"}
    assert {p["name"] for p in unified["get"]["parameters"]} == {
        "org",
        "va",
        "start",
        "end",
        "markets",
        "productDirections",
    }
    assert {"400", "401", "404", "413", "5XX"} <= set(unified["post"]["responses"])


def _token(url: str) -> str:
    answer = httpx.post(url + "/auth/public/authenticate", json={"username": USER, "password": PASSWORD})
    token: str = answer.json()["access_token"]
    return token


@pytest.mark.slow  # ~7 s: six generated requests for each of 31 operations
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(
    sandbox: RunningSandbox,
) -> None:
    schema = schemathesis.openapi.from_url(sandbox.url + "/docs/doc.json")
    headers = {"Authorization": f"Bearer {_token(sandbox.url)}"}
    wholesale = httpx.get(
        f"{sandbox.url}/organisations/{ORG}/virtual-assets/{VA_ID}", headers=headers
    ).json()["blockIDs"][0]
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    # the admin routes last (moving the clock may expire the token); the fault plan is left out:
    # its whole purpose is to make the platform routes answer 5xx
    operations.sort(key=lambda op: op.path.startswith("/_sandbox"))
    fuzzed = 0
    for operation in operations:
        if operation.path == "/_sandbox/faults":
            continue
        fixed = {"org": ORG, "va": VA_ID, "block": wholesale}
        strategy = operation.as_strategy(
            path_parameters={k: v for k, v in fixed.items() if "{" + k + "}" in operation.path},
            headers=headers,
        )

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def fuzz(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(base_url=sandbox.url, checks=CHECKS, timeout=5)

        fuzz()
        fuzzed += 1
    assert fuzzed == len(operations) - 1
