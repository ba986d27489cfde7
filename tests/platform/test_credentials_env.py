"""Credentials that can't work are refused with a message that never shows them."""

from __future__ import annotations

import pytest

from reconciler.platform.credentials import Credentials
from reconciler.platform.errors import CredentialsError


def test_non_ascii_token_is_a_credentials_error_without_the_token() -> None:
    with pytest.raises(CredentialsError) as caught:
        Credentials.from_env({"LAYR_TOKEN": "tökén-secret"})
    assert "LAYR_TOKEN" in str(caught.value) and "tökén" not in str(caught.value)
