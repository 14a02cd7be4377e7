"""Tokens from the environment, then the keyring; endpoints that never send a token in clear."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail

from secretsync.clients import credentials
from secretsync.errors import ConfigError, CredentialsError


@pytest.fixture
def no_keyring() -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # the conftest fixture restores the real one


def test_gh_token_wins_over_github_token_and_keyring() -> None:
    keyring.set_password("secretsync", "github", "from-keyring")
    environ = {"GH_TOKEN": "from-gh", "GITHUB_TOKEN": "from-github"}
    assert credentials.github_token(environ) == "from-gh"
    assert credentials.github_token({"GITHUB_TOKEN": "from-github"}) == "from-github"
    assert credentials.github_token({"GH_TOKEN": "  "}) == "from-keyring"


def test_pulumi_token_from_env_then_keyring() -> None:
    assert credentials.pulumi_token({"PULUMI_ACCESS_TOKEN": "pul-env"}) == "pul-env"
    keyring.set_password("secretsync", "pulumi", "pul-ring\n")
    assert credentials.pulumi_token({}) == "pul-ring"


def test_missing_token_names_the_variables_and_login() -> None:
    with pytest.raises(CredentialsError) as caught:
        credentials.github_token({})
    assert str(caught.value) == (
        "no GitHub token: GH_TOKEN or GITHUB_TOKEN is not set and the keyring has none"
    )
    assert caught.value.hint == "run `secretsync login github` or set GH_TOKEN or GITHUB_TOKEN"
    assert caught.value.exit_code == 2
    with pytest.raises(CredentialsError) as pulumi:
        credentials.pulumi_token({})
    assert "secretsync login pulumi" in (pulumi.value.hint or "")


@pytest.mark.usefixtures("no_keyring")
def test_no_keyring_backend_degrades_to_no_token_with_a_hint() -> None:
    assert credentials.github_token({"GH_TOKEN": "still-works"}) == "still-works"
    with pytest.raises(CredentialsError, match="no OS keyring is available") as caught:
        credentials.pulumi_token({})
    assert "PULUMI_ACCESS_TOKEN" in (caught.value.hint or "")
    with pytest.raises(ConfigError, match="no OS keyring"):
        credentials.store_token(credentials.GITHUB, "tok")


def test_store_and_delete() -> None:
    credentials.store_token(credentials.ESC, "pul-abc")
    assert keyring.get_password("secretsync", "pulumi") == "pul-abc"
    assert credentials.delete_token(credentials.ESC) is True
    assert credentials.delete_token(credentials.ESC) is False
    assert keyring.get_password("secretsync", "pulumi") is None


def test_default_endpoints() -> None:
    assert credentials.github_api_url({}) == "https://api.github.com"
    assert credentials.esc_api_url({}) == "https://api.pulumi.com/api/esc"


@pytest.mark.parametrize(
    "url",
    [
        "https://ghe.example.com/api/v3/",
        "http://127.0.0.1:8900",
        "http://127.8.9.10:1/",
        "http://localhost:8900",
        "http://[::1]:8900",
    ],
)
def test_accepted_endpoints(url: str) -> None:
    environ = {"SECRETSYNC_GITHUB_API_URL": url, "SECRETSYNC_ESC_API_URL": url}
    assert credentials.github_api_url(environ) == url.rstrip("/")
    assert credentials.esc_api_url(environ) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://api.github.com", "only allowed for loopback addresses, not api.github.com"),
        ("http://10.0.0.5:8900", "not 10.0.0.5"),
        ("http://localhost.evil.example", "not localhost.evil.example"),
        ("ftp://127.0.0.1", "not an http(s) URL"),
        ("api.github.com", "not an http(s) URL"),
    ],
)
def test_refused_endpoints(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as c:
        credentials.esc_api_url({"SECRETSYNC_ESC_API_URL": url})
    assert str(c.value).startswith("SECRETSYNC_ESC_API_URL")


@pytest.mark.parametrize(
    ("name", "read", "example"),
    [
        ("SECRETSYNC_ESC_API_URL", credentials.esc_api_url, "https://api.pulumi.com/api/esc"),
        ("SECRETSYNC_GITHUB_API_URL", credentials.github_api_url, "https://api.github.com"),
    ],
)
def test_a_malformed_endpoint_hint_gives_that_service_s_example(
    name: str, read: object, example: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        read({name: "api.pulumi.com/api/esc"})  # type: ignore[operator]
    assert caught.value.hint is not None
    assert f"for example {example}" in caught.value.hint
    other = {"https://api.github.com", "https://api.pulumi.com/api/esc"} - {example}
    assert other.pop() not in caught.value.hint
