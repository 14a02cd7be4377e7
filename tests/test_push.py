"""push against the served emulator: scopes, visibility, created vs updated, refusals."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from map_support import ACME_HEAD
from sync_support import json_source

from secretsync.clients import GitHubClient
from secretsync.emulator import ServedEmulator
from secretsync.errors import NotFoundError, RefusedError, UsageError
from secretsync.map.load import parse_map
from secretsync.map.model import SecretMap
from secretsync.sync.push import PushReport, push_secrets, select_secrets

MAP = (
    ACME_HEAD
    + """\
categories:
  ai: app.ai
secrets:
  OPENAI_API_KEY: {category: ai}
  DEPLOY_KEY: {category: ai, github: {scope: "repo:web"}}
  STAGING_TOKEN: {category: ai, environments: [staging], github: {scope: "env:web/staging"}}
  SHARED_KEY:
    category: ai
    environments: [production]
    github: {scope: org, visibility: selected, repositories: [web, api]}
"""
)
VALUES = {
    "OPENAI_API_KEY": "Q7vLx2Rk9mTz4Wp8Nc3Hb6Jd",
    "DEPLOY_KEY": "Hv7Lq2Xp9Mz4Kw8Rb3Tn6Yc",
    "STAGING_TOKEN": "Zx8Vb2Nm5Kl7Qw3Er9Ty4Ui",
    "SHARED_KEY": "Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es",
}


@pytest.fixture
def smap() -> SecretMap:
    return parse_map(MAP)


@pytest.fixture
def served(secretsync_emulator_server: ServedEmulator) -> ServedEmulator:
    emu = secretsync_emulator_server.emulator
    emu.add_repository("acme", "web")
    emu.add_repository("acme", "api")
    emu.add_environment("acme", "web", "staging")
    return secretsync_emulator_server


def _push(
    served: ServedEmulator,
    smap: SecretMap,
    values: dict[str, str],
    environment: str | None = None,
    only: list[str] | None = None,
    allow: bool = False,
) -> PushReport:
    source = json_source(values)

    async def go() -> PushReport:
        async with GitHubClient(
            token="t", base_url=served.github_url, writes_per_minute=6000
        ) as gh:
            secrets = select_secrets(smap, environment, only)
            return await push_secrets(gh, smap, secrets, source, allow_placeholders=allow)

    return asyncio.run(go())


def _stored(served: ServedEmulator) -> dict[str, dict[str, Any]]:
    """name -> what the emulator holds (plaintext, scope, visibility)."""
    return {s["name"]: s for s in served.emulator.state()["github"]["secrets"]}


def test_push_writes_each_secret_at_its_scope(served: ServedEmulator, smap: SecretMap) -> None:
    report = _push(served, smap, VALUES)
    assert sorted(report.created) == sorted(VALUES)
    assert report.updated == [] and report.missing == []
    assert report.scopes == {
        "OPENAI_API_KEY": "organization acme",
        "DEPLOY_KEY": "repository acme/web",
        "STAGING_TOKEN": "environment acme/web:staging",
        "SHARED_KEY": "organization acme",
    }
    stored = _stored(served)
    # The emulator opened every sealed box with its private key: values arrived intact.
    assert {name: stored[name]["value"] for name in VALUES} == VALUES
    paths = [e["path"] for e in served.emulator.request_log() if e["method"] == "PUT"]
    assert sorted(paths) == sorted(
        [
            "/orgs/acme/actions/secrets/OPENAI_API_KEY",
            "/repos/acme/web/actions/secrets/DEPLOY_KEY",
            "/repos/acme/web/environments/staging/secrets/STAGING_TOKEN",
            "/orgs/acme/actions/secrets/SHARED_KEY",
        ]
    )
    assert stored["SHARED_KEY"]["visibility"] == "selected"
    assert sorted(stored["SHARED_KEY"]["selected_repositories"]) == ["acme/api", "acme/web"]
    assert stored["DEPLOY_KEY"]["scope"] == "repos/acme/web"


def test_second_push_updates(served: ServedEmulator, smap: SecretMap) -> None:
    _push(served, smap, VALUES)
    report = _push(
        served,
        smap,
        {**VALUES, "OPENAI_API_KEY": "Nn4Mm3Ll2Kk1Jj0Hh9Gg8Ff"},
        only=["openai_api_key"],
    )
    assert (report.created, report.updated) == ([], ["OPENAI_API_KEY"])
    assert _stored(served)["OPENAI_API_KEY"]["value"] == "Nn4Mm3Ll2Kk1Jj0Hh9Gg8Ff"


def test_environment_selects_its_secrets_and_missing_ones_are_reported(
    served: ServedEmulator, smap: SecretMap
) -> None:
    values = {k: v for k, v in VALUES.items() if k != "DEPLOY_KEY"}
    report = _push(served, smap, values, environment="staging")
    assert sorted(report.created) == ["OPENAI_API_KEY", "STAGING_TOKEN"]
    assert report.missing == ["DEPLOY_KEY"]


def test_placeholders_refuse_the_whole_push(served: ServedEmulator, smap: SecretMap) -> None:
    with pytest.raises(RefusedError, match="DEPLOY_KEY") as caught:
        _push(served, smap, {**VALUES, "DEPLOY_KEY": "your-api-key-here"})
    assert caught.value.message.startswith("refused to push placeholder or empty values:")
    assert not [e for e in served.emulator.request_log() if e["method"] == "PUT"]
    report = _push(served, smap, {**VALUES, "DEPLOY_KEY": "your-api-key-here"}, allow=True)
    assert "DEPLOY_KEY" in report.created


def test_unknown_only_names_are_a_usage_error(smap: SecretMap) -> None:
    with pytest.raises(UsageError, match="NOPE"):
        select_secrets(smap, None, ["nope"])


def _puts(served: ServedEmulator) -> list[str]:
    return [e["path"] for e in served.emulator.request_log() if e["method"] == "PUT"]


def test_an_unknown_selected_repository_fails_before_any_write(
    served: ServedEmulator, smap: SecretMap
) -> None:
    ghost = parse_map(MAP.replace("repositories: [web, api]", "repositories: [web, ghost]"))
    with pytest.raises(NotFoundError, match="ghost"):
        _push(served, ghost, VALUES)
    assert _puts(served) == []  # OPENAI_API_KEY comes first in the map: not written either


def test_an_unreadable_scope_key_fails_before_any_write(
    served: ServedEmulator, smap: SecretMap
) -> None:
    gone = parse_map(MAP.replace("env:web/staging", "env:web/nowhere"))
    with pytest.raises(NotFoundError):
        _push(served, gone, VALUES, environment="staging")
    assert _puts(served) == []


class _RefuseSecondPut(httpx.AsyncBaseTransport):
    """Passes requests through, except that the second PUT is answered 403."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.puts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            self.puts += 1
            if self.puts == 2:
                return httpx.Response(403, json={"message": "Resource not accessible"})
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def test_a_failed_write_stops_the_push_and_reports_what_was_written(
    served: ServedEmulator, smap: SecretMap
) -> None:
    transport = _RefuseSecondPut()

    async def go() -> PushReport:
        async with GitHubClient(
            token="t", base_url=served.github_url, writes_per_minute=6000, transport=transport
        ) as gh:
            secrets = select_secrets(smap, None, None)
            return await push_secrets(gh, smap, secrets, json_source(VALUES))

    report = asyncio.run(go())
    assert report.created == ["OPENAI_API_KEY"]
    assert report.failed == "DEPLOY_KEY"
    assert report.error is not None and "(403)" in report.error.message
    assert transport.puts == 2  # nothing after the failure was attempted
    document = report.as_json()
    assert document["failed"] == "DEPLOY_KEY" and document["error"]
    assert not any(value in json.dumps(document) for value in VALUES.values())


def test_values_are_judged_by_their_type(served: ServedEmulator) -> None:
    typed = parse_map(
        ACME_HEAD
        + "categories: {ai: app.ai}\nsecrets:\n"
        + "  DEPLOY_USER: {category: ai, type: string}\n"
        + "  FEATURE_ON: {category: ai, type: bool}\n"
    )
    report = _push(served, typed, {"DEPLOY_USER": "admin", "FEATURE_ON": "1"})
    assert sorted(report.created) == ["DEPLOY_USER", "FEATURE_ON"]
    with pytest.raises(RefusedError, match="FEATURE_ON: not a boolean"):
        _push(served, typed, {"DEPLOY_USER": "admin", "FEATURE_ON": "maybe"})
