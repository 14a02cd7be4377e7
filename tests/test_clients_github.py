"""GitHub client: wire shapes pinned with respx, behaviour against the emulator."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import pytest
import respx
from concurrency_support import InFlightProbe
from nacl.public import PrivateKey, SealedBox

from secretsync.clients import USER_AGENT, GitHubClient, Scope, github_from_env
from secretsync.clients.github import PublicKey
from secretsync.emulator import Emulator, Faults, ServedEmulator
from secretsync.errors import ConfigError, CredentialsError, NotFoundError, ServiceError

API = "https://api.github.com"
ORG = Scope.org("acme")

pytestmark = pytest.mark.anyio


def _client(emu: Emulator, **kw: Any) -> GitHubClient:
    return GitHubClient(token="t0ken", transport=emu.transport(), writes_per_minute=6000, **kw)


def _stored(emu: Emulator, scope_path: str) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in emu.state()["github"]["secrets"] if s["scope"] == scope_path}


def test_scope_names_and_paths() -> None:
    env = Scope.env("acme", "web app", "prod/eu")
    assert str(ORG) == "organization acme"
    assert str(Scope.repo("acme", "web")) == "repository acme/web"
    assert str(env) == "environment acme/web app:prod/eu"
    assert ORG.secrets_path == "/orgs/acme/actions/secrets"
    assert env.secrets_path == "/repos/acme/web%20app/environments/prod%2Feu/secrets"


def test_sealed_box_opens_with_the_private_half() -> None:
    private = PrivateKey.generate()
    key = PublicKey("k1", base64.b64encode(bytes(private.public_key)).decode())
    sealed = key.seal("välue with ${dollar}\n")
    assert SealedBox(private).decrypt(base64.b64decode(sealed)).decode() == "välue with ${dollar}\n"


@respx.mock
async def test_put_wire_shape() -> None:
    private = PrivateKey.generate()
    respx.get(f"{API}/orgs/acme/actions/secrets/public-key").respond(
        json={
            "key_id": "568250167242549743",
            "key": base64.b64encode(bytes(private.public_key)).decode(),
        }
    )
    put = respx.put(f"{API}/orgs/acme/actions/secrets/API_KEY").respond(201, json={})
    async with GitHubClient(token="ghp_abc", base_url=API) as gh:
        created = await gh.put_secret(ORG, "API_KEY", "s3cr3t-value", "selected", [7, 9])
    assert created is True
    request = put.calls.last.request
    assert request.headers["authorization"] == "Bearer ghp_abc"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["user-agent"] == USER_AGENT
    body = json.loads(request.content)
    assert set(body) == {"encrypted_value", "key_id", "visibility", "selected_repository_ids"}
    assert body["key_id"] == "568250167242549743"
    assert body["visibility"] == "selected"
    assert body["selected_repository_ids"] == [7, 9]
    plain = SealedBox(private).decrypt(base64.b64decode(body["encrypted_value"]))
    assert plain == b"s3cr3t-value"
    assert b"s3cr3t-value" not in request.content


@respx.mock
async def test_repo_scope_put_sends_no_visibility() -> None:
    private = PrivateKey.generate()
    respx.get(f"{API}/repos/acme/web/actions/secrets/public-key").respond(
        json={"key_id": "1", "key": base64.b64encode(bytes(private.public_key)).decode()}
    )
    put = respx.put(f"{API}/repos/acme/web/actions/secrets/TOKEN").respond(204)
    async with GitHubClient(token="t", base_url=API) as gh:
        assert await gh.put_secret(Scope.repo("acme", "web"), "TOKEN", "x") is False
        with pytest.raises(ConfigError, match="organization secrets only"):
            await gh.put_secret(Scope.repo("acme", "web"), "TOKEN", "x", visibility="all")
    assert set(json.loads(put.calls.last.request.content)) == {"encrypted_value", "key_id"}


@respx.mock
async def test_link_paging_when_total_count_is_absent() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "1"))
        headers = {
            "Link": f'<{API}/orgs/acme/actions/secrets?per_page=100&page={n + 1}>; rel="next"'
        }
        item = {
            "name": f"S{n}",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-02T00:00:00Z",
        }
        return httpx.Response(200, json={"secrets": [item]}, headers=headers if n < 3 else {})

    route = respx.get(f"{API}/orgs/acme/actions/secrets").mock(side_effect=page)
    async with GitHubClient(token="t", base_url=API) as gh:
        names = [s.name for s in await gh.list_secrets(ORG)]
    assert names == ["S1", "S2", "S3"]
    assert route.call_count == 3
    assert route.calls[0].request.url.params["per_page"] == "100"


@respx.mock
async def test_a_smaller_server_page_cap_is_respected() -> None:
    everything = [
        {
            "name": f"S{n:02d}",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }
        for n in range(70)
    ]

    def page(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params["page"])  # this server ignores per_page and sends 30
        return httpx.Response(
            200, json={"total_count": 70, "secrets": everything[(n - 1) * 30 : n * 30]}
        )

    route = respx.get(f"{API}/orgs/acme/actions/secrets").mock(side_effect=page)
    async with GitHubClient(token="t", base_url=API) as gh:
        names = [s.name for s in await gh.list_secrets(ORG)]
    assert names == [item["name"] for item in everything]
    assert route.call_count == 3


def _listing(total: int) -> list[dict[str, str]]:
    return [
        {
            "name": f"S{n:03d}",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }
        for n in range(total)
    ]


@respx.mock
async def test_expected_pages_go_out_with_page_1() -> None:
    """The caller expects 250 secrets: pages 1-3 are asked at once (page 1's answer waits
    here until pages 2 and 3 have arrived, which they only do if sent alongside it)."""
    everything = _listing(250)
    arrived: set[int] = set()
    both = asyncio.Event()

    async def page(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params["page"])
        arrived.add(n)
        if {2, 3} <= arrived:
            both.set()
        if n == 1:
            await asyncio.wait_for(both.wait(), timeout=10)
        chunk = everything[(n - 1) * 100 : n * 100]
        return httpx.Response(200, json={"total_count": 250, "secrets": chunk})

    route = respx.get(f"{API}/orgs/acme/actions/secrets").mock(side_effect=page)
    async with GitHubClient(token="t", base_url=API) as gh:
        names = [s.name for s in await gh.list_secrets(ORG, expected=250)]
    assert names == [item["name"] for item in everything]
    assert route.call_count == 3


@pytest.mark.parametrize(
    ("expected", "total", "calls"),
    [(500, 120, 5), (150, 420, 5), (0, 120, 2)],
    ids=["guessed-too-many", "guessed-too-few", "no-guess"],
)
@respx.mock
async def test_a_wrong_guess_costs_requests_never_answers(
    expected: int, total: int, calls: int
) -> None:
    everything = _listing(total)

    def page(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params["page"])
        chunk = everything[(n - 1) * 100 : n * 100]  # past the end: an empty list
        return httpx.Response(200, json={"total_count": total, "secrets": chunk})

    route = respx.get(f"{API}/orgs/acme/actions/secrets").mock(side_effect=page)
    async with GitHubClient(token="t", base_url=API) as gh:
        names = [s.name for s in await gh.list_secrets(ORG, expected=expected)]
    assert names == [item["name"] for item in everything]
    assert route.call_count == calls


@respx.mock
async def test_401_and_plain_403_are_credentials_errors_without_waiting() -> None:
    route = respx.get(f"{API}/orgs/acme/actions/secrets")
    route.side_effect = [
        httpx.Response(401, json={"message": "Bad credentials"}),
        httpx.Response(403, json={"message": "Resource not accessible by integration"}),
    ]
    async with GitHubClient(token="t", base_url=API) as gh:
        with pytest.raises(CredentialsError) as first:
            await gh.list_secrets(ORG)
        with pytest.raises(CredentialsError, match="denied access") as second:
            await gh.list_secrets(ORG)
    assert "secretsync login github" in (first.value.hint or "")
    assert "organization acme" in str(second.value)
    assert route.call_count == 2  # neither was retried


async def test_listing_1000_org_secrets_takes_10_requests_the_last_9_at_once(
    secretsync_emulator: Emulator,
) -> None:
    emu = secretsync_emulator
    for i in range(1000):
        emu.seed_github_secret("orgs/acme", f"SECRET_{i:04d}", "v")
    # Latency holds each answer (asyncio.sleep in the transport), so requests the client
    # sends together are seen together by the probe: concurrency observed, not timed.
    emu.set_faults(Faults(latency_ms=50))
    probe = InFlightProbe(emu.transport())
    async with GitHubClient(token="t0ken", transport=probe, writes_per_minute=6000) as gh:
        secrets = await gh.list_secrets(ORG)
        assert gh.request_count == len(emu.request_log())
    assert sorted(s.name for s in secrets) == [f"SECRET_{i:04d}" for i in range(1000)]
    log = emu.request_log()
    assert sorted(entry["query"] for entry in log) == sorted(
        f"per_page=100&page={n}" for n in range(1, 11)
    )
    assert log[0]["query"] == "per_page=100&page=1"  # the total comes with page 1
    assert probe.requests == 10
    assert probe.peak == 9  # pages 2-10 were all in flight at once, not one by one


async def test_listing_over_real_http(secretsync_emulator_server: ServedEmulator) -> None:
    served = secretsync_emulator_server
    for i in range(250):
        served.emulator.seed_github_secret("orgs/acme", f"S{i:03d}", "v")
    served.emulator.seed_github_secret("repos/acme/web/environments/prod", "ENV_ONLY", "v")
    environ = {"GH_TOKEN": "t", "SECRETSYNC_GITHUB_API_URL": served.github_url}
    async with github_from_env(environ) as gh:
        secrets = await gh.list_secrets(ORG)
        assert gh.request_count == 3
        in_env = await gh.list_secrets(Scope.env("acme", "web", "prod"))
    assert len(secrets) == 250
    assert [s.name for s in in_env] == ["ENV_ONLY"]
    assert in_env[0].scope == Scope.env("acme", "web", "prod")
    assert in_env[0].updated_at.tzinfo is not None


async def test_put_creates_then_updates_and_the_emulator_decrypts(
    secretsync_emulator_server: ServedEmulator,
) -> None:
    emu = secretsync_emulator_server.emulator
    async with GitHubClient(
        token="t", base_url=secretsync_emulator_server.url, writes_per_minute=6000
    ) as gh:
        assert await gh.put_secret(ORG, "OPENAI_API_KEY", "sk-first") is True
        assert await gh.put_secret(ORG, "OPENAI_API_KEY", "sk-second $x\nline") is False
        meta = await gh.get_secret(ORG, "OPENAI_API_KEY")
    stored = _stored(emu, "orgs/acme")["OPENAI_API_KEY"]
    assert stored["value"] == "sk-second $x\nline"
    assert stored["visibility"] == "private"
    assert meta.name == "OPENAI_API_KEY" and meta.visibility == "private"
    key_reads = [e for e in emu.request_log() if e["path"].endswith("/public-key")]
    assert len(key_reads) == 1  # cached per scope


async def test_selected_visibility_with_repository_ids(secretsync_emulator: Emulator) -> None:
    emu = secretsync_emulator
    expected = emu.add_repository("acme", "web")
    async with _client(emu) as gh:
        repo_id = await gh.repository_id("acme", "web")
        await gh.put_secret(
            ORG, "DEPLOY_KEY", "v", visibility="selected", selected_repository_ids=[repo_id]
        )
    assert repo_id == expected
    assert _stored(emu, "orgs/acme")["DEPLOY_KEY"]["selected_repository_ids"] == [expected]


async def test_delete_reports_whether_there_was_a_secret(secretsync_emulator: Emulator) -> None:
    emu = secretsync_emulator
    emu.seed_github_secret("repos/acme/web", "OLD", "v")
    scope = Scope.repo("acme", "web")
    async with _client(emu) as gh:
        assert await gh.delete_secret(scope, "OLD") is True
        assert await gh.delete_secret(scope, "OLD") is False
        with pytest.raises(NotFoundError, match="secret OLD in repository acme/web not found"):
            await gh.get_secret(scope, "OLD")
    assert _stored(emu, "repos/acme/web") == {}


async def test_rotated_public_key_is_fetched_again(secretsync_emulator: Emulator) -> None:
    emu = secretsync_emulator
    async with _client(emu) as gh:
        await gh.put_secret(ORG, "A", "one")
        emu.rotate_public_key("orgs/acme")
        await gh.put_secret(ORG, "A", "two")
    assert _stored(emu, "orgs/acme")["A"]["value"] == "two"
    statuses = [e["status"] for e in emu.request_log() if e["method"] == "PUT"]
    assert statuses == [201, 422, 204]


def test_github_from_env_refuses_plain_http_to_a_remote_host() -> None:
    environ = {"GH_TOKEN": "t", "SECRETSYNC_GITHUB_API_URL": "http://github.example.com"}
    with pytest.raises(ConfigError, match="loopback"):
        github_from_env(environ)


@pytest.mark.parametrize(
    "elsewhere",
    [
        "http://collector.example.net/steal?page=2",  # another host
        "http://api.github.com/steal?page=2",  # downgraded scheme
        "https://api.github.com:8443/steal?page=2",  # another port
    ],
)
@respx.mock
async def test_a_link_off_the_base_origin_is_refused_before_the_token_is_sent(
    elsewhere: str,
) -> None:
    link = {"Link": f'<{elsewhere}>; rel="next"'}
    respx.get(f"{API}/orgs/acme/actions/secrets").mock(
        side_effect=[httpx.Response(200, json={"secrets": []}, headers=link)]
    )
    trap = respx.route(path="/steal").respond(200, json={"secrets": []})
    async with GitHubClient(token="ghp_CANARYtoken", base_url=API) as gh:
        with pytest.raises(ServiceError, match="refusing to list secrets of organization acme"):
            await gh.list_secrets(ORG)
    assert trap.call_count == 0
    assert len(respx.calls) == 1


@respx.mock
async def test_a_link_on_the_same_origin_with_the_default_port_spelled_out_is_followed() -> None:
    link = {"Link": '<https://api.github.com:443/orgs/acme/actions/secrets?page=2>; rel="next"'}
    item = {"name": "S", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T10:00:00Z"}
    route = respx.get(f"{API}/orgs/acme/actions/secrets")
    route.side_effect = [
        httpx.Response(200, json={"secrets": []}, headers=link),
        httpx.Response(200, json={"secrets": [item]}),
    ]
    async with GitHubClient(token="t", base_url=API) as gh:
        [meta] = await gh.list_secrets(ORG)
    assert route.call_count == 2
    assert meta.updated_at.isoformat() == "2026-01-02T10:00:00+00:00"
