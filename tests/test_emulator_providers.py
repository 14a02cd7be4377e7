"""The emulator's provider facet: documented answers, controls, state and reset, over HTTP."""

from __future__ import annotations

import httpx
import pytest

from secretsync.emulator import Emulator, ServedEmulator
from secretsync.emulator.providers import PROVIDERS

GOOD = "sk-proj-" + "Q7w3ErT9y" * 6
BAD = "sk-proj-" + "Zz8x7Cv6b" * 6


@pytest.fixture
def client(secretsync_emulator_server: ServedEmulator) -> httpx.Client:
    return httpx.Client(base_url=secretsync_emulator_server.url)


def test_put_get_state_and_reset(client: httpx.Client, secretsync_emulator: Emulator) -> None:
    put = client.put(
        "/_emulator/providers",
        json={"openai": {"live": [GOOD]}, "slack_token": {"live": ["xoxb-1-2-abc"]}},
    )
    assert put.status_code == 200
    assert put.json() == {"openai": {"live": [GOOD]}, "slack": {"live": ["xoxb-1-2-abc"]}}
    assert client.get("/_emulator/providers").json() == put.json()
    assert client.get("/_emulator/state").json()["providers"] == put.json()
    headers = {"Authorization": f"Bearer {GOOD}"}
    assert client.get("/_providers/openai/v1/models", headers=headers).status_code == 200
    assert client.post("/_emulator/reset").status_code == 204
    assert client.get("/_emulator/providers").json() == {}
    assert client.get("/_providers/openai/v1/models", headers=headers).status_code == 401
    # PUT replaces: a second document forgets the first.
    client.put("/_emulator/providers", json={"openai": {"live": [GOOD]}})
    client.put("/_emulator/providers", json={"npm": {"live": ["npm_x"]}})
    assert secretsync_emulator.providers.state() == {"npm": {"live": ["npm_x"]}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"nope": {"live": []}}, "no provider 'nope'"),
        ({"openai": {"live": "sk-1"}}, "must be a list of strings"),
        ({"openai": {"dead": []}}, 'expected {"live"'),
        (["openai"], "JSON object"),
    ],
)
def test_bad_control_bodies_are_400(client: httpx.Client, body: object, message: str) -> None:
    answer = client.put("/_emulator/providers", json=body)
    assert answer.status_code == 400
    assert message in answer.json()["message"]


def test_documented_bad_credential_answers(
    client: httpx.Client, secretsync_emulator: Emulator
) -> None:
    bearer = {"Authorization": f"Bearer {BAD}"}
    slack = client.post("/_providers/slack/api/auth.test", headers=bearer)
    assert (slack.status_code, slack.json()) == (200, {"ok": False, "error": "invalid_auth"})
    slack = client.post("/_providers/slack/api/auth.test")
    assert slack.json() == {"ok": False, "error": "not_authed"}
    vercel = client.get("/_providers/vercel/v2/user", headers=bearer)
    assert vercel.status_code == 403 and vercel.json()["error"]["code"] == "forbidden"
    openai = client.get("/_providers/openai/v1/models", headers=bearer)
    assert openai.status_code == 401 and openai.json()["error"]["code"] == "invalid_api_key"
    github = client.get("/_providers/github/user", headers=bearer)
    assert github.status_code == 401 and github.json()["message"] == "Bad credentials"
    # Pulumi wants its own scheme: a Bearer header is a bad credential there.
    secretsync_emulator.providers.accept("pulumi", ["pul-" + "a" * 40])
    assert client.get("/_providers/pulumi/api/user",
                      headers={"Authorization": "Bearer pul-" + "a" * 40}).status_code == 401  # fmt: skip
    assert client.get("/_providers/pulumi/api/user",
                      headers={"Authorization": "token pul-" + "a" * 40}).status_code == 200  # fmt: skip
    # No answer ever echoes the credential it was given.
    for answer in (slack, vercel, openai, github):
        assert BAD not in answer.text


def test_required_request_shapes(client: httpx.Client, secretsync_emulator: Emulator) -> None:
    key = "sk-ant-api03-" + "x" * 93 + "AA"
    secretsync_emulator.providers.accept("anthropic", [key])
    missing_version = client.get("/_providers/anthropic/v1/models", headers={"x-api-key": key})
    assert missing_version.status_code == 400
    ok = client.get(
        "/_providers/anthropic/v1/models",
        headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
    )
    assert ok.status_code == 200 and ok.json()["data"]
    secretsync_emulator.providers.accept("dockerhub", ["dckr_pat_" + "x" * 27])
    assert (
        client.post("/_providers/dockerhub/v2/auth/token", json={"secret": "x"}).status_code == 400
    )
    token = client.post(
        "/_providers/dockerhub/v2/auth/token",
        json={"identifier": "acme", "secret": "dckr_pat_" + "x" * 27},
    )
    assert token.status_code == 200 and token.json()["access_token"].startswith("eyJ")
    assert client.get("/_providers/slack/api/auth.test").status_code == 405
    assert client.get("/_providers/nosuch/x").status_code == 404
    assert client.get("/_providers/openai/v1/nothing").status_code == 404


def test_every_facet_answers_live_only_for_its_live_credentials(
    client: httpx.Client, secretsync_emulator: Emulator
) -> None:
    """Each facet's first route, with the credential where that provider expects it."""
    where = {"anthropic": "x-api-key", "pinecone": "Api-Key", "gitlab": "PRIVATE-TOKEN"}
    scheme = {"pulumi": "token"}
    for provider, routes in PROVIDERS.items():
        route = routes[0]
        credential = f"{provider}-credential-1"

        def ask(value: str, route: object = route, provider: str = provider) -> httpx.Response:
            headers = {"anthropic-version": "2023-06-01"}
            body = None
            if provider == "dockerhub":
                body = {"identifier": "acme", "secret": value}
            elif provider in where:
                headers[where[provider]] = value
            else:
                headers["Authorization"] = f"{scheme.get(provider, 'Bearer')} {value}"
            path = f"/_providers/{provider}{route.path}"  # type: ignore[attr-defined]
            return client.request(route.method, path, headers=headers, json=body)  # type: ignore[attr-defined]

        before = ask(credential)
        secretsync_emulator.providers.accept(provider, [credential])
        after = ask(credential)
        assert after.status_code == 200, provider
        if provider == "slack":
            assert before.json()["ok"] is False and after.json()["ok"] is True
        else:
            assert before.status_code in (401, 403), provider
    logged = {e["path"].split("/")[2] for e in secretsync_emulator.request_log()}
    assert logged == set(PROVIDERS)  # provider requests are logged like API requests
