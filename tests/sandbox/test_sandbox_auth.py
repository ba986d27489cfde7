"""Auth (D5), organisation isolation and error bodies (D3) over real HTTP."""

from __future__ import annotations

from tests.sandbox.sandbox_helpers import ORG, PASSWORD, USER, VA_ID, Api, MakeSandbox, asset, error, fixture


def test_login_returns_a_bearer_token_that_expires_after_the_fixture_lifetime(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(fixture(asset(), tokenExpiresIn=600))
    api = Api(sandbox.url)
    assert api.get().status_code == 200
    sandbox.advance(599)
    assert api.get().status_code == 200
    sandbox.advance(1)
    expired = api.get()
    assert expired.status_code == 401
    assert error(expired).startswith("auth error: ")
    assert Api(sandbox.url).get().status_code == 200  # logging in again works


def test_login_response_has_the_documented_fields(make_sandbox: MakeSandbox) -> None:
    seed = fixture(asset())
    del seed["tokenExpiresIn"]  # the default lifetime is 3600 s
    sandbox = make_sandbox(seed)
    body = sandbox.http.post(
        "/auth/public/authenticate", json={"username": USER, "password": PASSWORD}
    ).json()
    assert set(body) == {"access_token", "expires_in", "id_token", "refresh_token", "scope", "token_type"}
    assert body["expires_in"] == 3600 and body["token_type"] == "Bearer"


def test_bad_credentials_and_missing_or_unknown_tokens_are_401(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    wrong = sandbox.http.post("/auth/public/authenticate", json={"username": USER, "password": "nope"})
    assert wrong.status_code == 401 and error(wrong) == "auth error: invalid username or password"
    path = f"/organisations/{ORG}/virtual-assets"
    assert sandbox.http.get(path).status_code == 401
    unknown = sandbox.http.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert unknown.status_code == 401 and error(unknown) == "auth error: unknown access token"


def test_malformed_login_bodies_are_400_not_500(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    url = "/auth/public/authenticate"
    for body in (b"{not json", b"", b"[]", b'{"username": "trader"}', b'{"username": 1, "password": 2}'):
        response = sandbox.http.post(url, content=body)
        assert response.status_code == 400, body
        assert error(response).startswith("invalid operation error: malformed request")


def test_another_organisations_objects_answer_404_never_403(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    other = Api(sandbox.url, "other", "other-password", org="org-other")
    assert other.client.get(f"/organisations/{ORG}/virtual-assets").status_code == 404
    foreign = other.client.get(f"/organisations/{ORG}/virtual-assets/{VA_ID}")
    assert foreign.status_code == 404 and error(foreign).startswith("not found error: ")
    # Not even through its own organisation path: the asset is simply not there.
    assert other.get().status_code == 404
    assert other.client.get("/organisations/org-other/virtual-assets").json() == []
    own = Api(sandbox.url)
    missing = own.get(va="no-such-asset")
    assert (
        missing.status_code == 404
        and error(missing) == "not found error: virtual asset no-such-asset not found"
    )


def test_unknown_routes_and_methods_have_json_errors(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    api = Api(sandbox.url)
    assert api.client.get("/no/such/route").status_code == 404
    assert error(api.client.get("/no/such/route")).startswith("not found error: ")
    wrong_method = api.client.delete(api.path())
    assert wrong_method.status_code == 405 and error(wrong_method).startswith("invalid operation error: ")


def test_passwords_and_tokens_never_reach_the_request_log(make_sandbox: MakeSandbox) -> None:
    sandbox = make_sandbox(fixture(asset()))
    api = Api(sandbox.url)
    api.get()
    log = str(sandbox.requests())
    assert PASSWORD not in log and api.token not in log
    assert repr(sandbox.fixture).count(PASSWORD) == 0
