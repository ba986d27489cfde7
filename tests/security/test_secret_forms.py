"""The redaction masks a secret in every form it can be written in, and credentials that could not
be kept out of output (or could not travel in a header) are refused without being shown."""

from __future__ import annotations

import io
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler.core.redaction import MASK, redact, redacted_output, register_secret, secrets_scope
from reconciler.platform.credentials import Credentials
from reconciler.platform.errors import CredentialsError
from tests.security.secret_forms import SECRETS, leaks, written_forms

AROUND = st.text(max_size=12)


@settings(max_examples=300, deadline=None)
@given(secret=SECRETS, before=AROUND, after=AROUND)
@example(secret="ab\r\ncdefgh", before="Illegal header value b'Bearer ", after="'")
@example(secret="pa'ss\"wo\\rd%2B+ é😀", before="", after="")
@example(secret="********x", before="****", after="")
def test_every_written_form_of_a_secret_is_masked(secret: str, before: str, after: str) -> None:
    texts = [before + form + after for form in written_forms(secret)]
    with secrets_scope():
        register_secret(secret)
        masked = [redact(text) for text in texts]
    assert not leaks(secret, masked)
    assert all(MASK in text for text in masked)


def test_text_around_a_secret_is_left_alone() -> None:
    with secrets_scope():
        register_secret("hunter2-but-longer")
        text = "GET /organisations/org-demo/virtual-assets -> 401 (token hunter2-but-longer refused)"
        assert redact(text) == "GET /organisations/org-demo/virtual-assets -> 401 (token *** refused)"
    assert redact(text) == text  # forgotten after the scope: one command's secrets stay its own


def test_standard_output_and_error_mask_secrets_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = io.BytesIO()
    out, err = io.TextIOWrapper(raw, encoding="utf-8", write_through=True), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setenv("LAYR_PASSWORD", "  env-pass\\word-1 ")
    monkeypatch.setenv("LAYR_TOKEN", "short")  # too short to mask: refused when used instead
    with redacted_output():
        print("found 'env-pass\\\\word-1' (a string)")
        print('{"found": "env-pass\\\\\\\\word-1"}', file=sys.stderr)
        print("short stays")
        sys.stdout.buffer.write(b"bytes: env-pass%5Cword-1\n")  # what click does with bytes
    out.flush()
    assert raw.getvalue().decode() == "found '***' (a string)\nshort stays\nbytes: ***\n"
    assert err.getvalue() == '{"found": "***"}\n'


@settings(max_examples=100, deadline=None)
@given(
    secret=SECRETS, kind=st.sampled_from(["\r", "\n", "\x01", "\x7f", "é", "\u2028"]), at=st.integers(1, 7)
)
def test_a_token_a_header_cannot_carry_is_refused_without_being_shown(
    secret: str, kind: str, at: int
) -> None:
    token = secret[:at] + kind + secret[at:]
    with pytest.raises(CredentialsError) as refused:
        Credentials.from_env({"LAYR_TOKEN": token})
    message = str(refused.value)
    assert "LAYR_TOKEN" in message and "header cannot carry" in message
    assert not leaks(token, [message])


@pytest.mark.parametrize("variable", ["LAYR_PASSWORD", "LAYR_TOKEN"])
@pytest.mark.parametrize("secret", ["t", "x1", "1234567"])
def test_a_secret_shorter_than_eight_characters_is_refused(variable: str, secret: str) -> None:
    environ = (
        {variable: secret, "LAYR_USERNAME": "demo"} if variable == "LAYR_PASSWORD" else {variable: secret}
    )
    with secrets_scope():
        with pytest.raises(CredentialsError) as refused:
            Credentials.from_env(environ)
        with pytest.raises(CredentialsError, match="shorter than 8"):
            Credentials(username="demo", password=secret) if variable == "LAYR_PASSWORD" else Credentials(
                token=secret
            )
        assert f"{variable} is shorter than 8 characters" in str(refused.value)
        path = "/organisations/org-demo/virtual-assets/7c1e0d4e-0000-4000-8000-000000000001"
        assert redact(path) == path  # nothing masked inside words
