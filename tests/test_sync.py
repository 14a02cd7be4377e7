"""sync against the served emulator: request counts, conflicts, refusals, bookkeeping."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
import yaml
from sync_support import SYNC_MAP, json_source, pem, seed_app_environments

from secretsync.clients import EscClient, GitHubClient
from secretsync.clients.http import RetryPolicy
from secretsync.emulator import Emulator, ServedEmulator
from secretsync.errors import ConflictError, NotFoundError, RefusedError
from secretsync.map.load import parse_map
from secretsync.map.model import SecretMap
from secretsync.sync.apply import EnvResult, SyncOptions, github_times, sync_environments
from secretsync.sync.definition import EscDefinition, ManagedEntry
from secretsync.sync.plan import Action

EXISTING = """\
imports:
  - shared-base
values:
  region: eu-west-1   # set by the platform team
  environmentVariables:
    REGION: ${region}
"""
VALUES = {
    "OPENAI_API_KEY": "Q7vLx2Rk9mTz4Wp8Nc3Hb6Jd",
    "DB_PASSWORD": "u$e9Kq2{Vx7}Lm4$$Tn8Rz",
    "DEPLOY_KEY": pem(1),
}
ENVS = ["production", "staging"]


@pytest.fixture
def smap() -> SecretMap:
    return parse_map(SYNC_MAP)


@pytest.fixture
def served(secretsync_emulator_server: ServedEmulator) -> ServedEmulator:
    emu = secretsync_emulator_server.emulator
    emu.seed_esc_environment("acme-esc", "default", "shared-base", "values: {tier: web}\n")
    seed_app_environments(emu, EXISTING)
    return secretsync_emulator_server


def _esc(served: ServedEmulator, transport: httpx.AsyncBaseTransport | None = None) -> EscClient:
    return EscClient(token="test-token", base_url=served.esc_url, transport=transport)


def _sync(
    served: ServedEmulator,
    smap: SecretMap,
    values: dict[str, str],
    options: SyncOptions | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    environments: list[str] | None = None,
) -> list[EnvResult]:
    async def go() -> list[EnvResult]:
        async with _esc(served, transport) as esc:
            return await sync_environments(
                esc, smap, environments or ENVS, json_source(values), None, options or SyncOptions()
            )

    return asyncio.run(go())


def _esc_calls(emu: Emulator) -> list[tuple[str, str]]:
    """(method, what follows the project) for every ESC API request."""
    marker = "/environments/acme-esc/default/"
    return [
        (entry["method"], entry["path"].split(marker, 1)[1])
        for entry in emu.request_log()
        if marker in entry["path"]
    ]


def _definition_text(emu: Emulator, name: str) -> str:
    async def go() -> str:
        async with EscClient(
            token="t", base_url="http://127.0.0.1/api/esc", transport=emu.transport()
        ) as esc:
            return (await esc.get_definition("acme-esc", "default", name, decrypt=True)).yaml

    return asyncio.run(go())


def _definition(emu: Emulator, name: str) -> dict[str, Any]:
    return dict(yaml.safe_load(_definition_text(emu, name)))


def test_changing_sync_reads_once_and_writes_once_per_environment(
    served: ServedEmulator, smap: SecretMap
) -> None:
    emu = served.emulator
    emu.clear_request_log()
    results = _sync(served, smap, VALUES)
    assert [r.written for r in results] == [True, True]
    calls = sorted(_esc_calls(emu))
    assert calls == sorted(
        [
            ("GET", "app-production/decrypt"),
            ("PATCH", "app-production"),
            ("GET", "app-staging/decrypt"),
            ("PATCH", "app-staging"),
        ]
    )
    assert "region: eu-west-1   # set by the platform team" in _definition_text(
        emu, "app-production"
    )
    doc = _definition(emu, "app-production")
    assert doc["imports"] == ["shared-base"]
    assert doc["values"]["region"] == "eu-west-1"
    assert doc["values"]["environmentVariables"] == {
        "REGION": "${region}",
        "OPENAI_API_KEY": "${app.ai.openai_api_key}",
        "DATABASE_PASSWORD": "${app.ai.db_password}",
        "DEPLOY_KEY": "${app.ai.deploy_key}",
    }
    managed = doc["values"]["secretsync"]["managed"]
    assert set(managed) == {"app.ai.openai_api_key", "app.ai.db_password", "app.ai.deploy_key"}
    record = ManagedEntry.from_line(managed["app.ai.db_password"])
    assert record is not None and record.secret == "DB_PASSWORD"
    assert record.github_updated_at is None


def test_first_writes_are_edited_off_the_event_loop_one_at_a_time(
    served: ServedEmulator, smap: SecretMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each environment's first edit runs on the one editor thread, never on the event
    loop's, so the writes of environments edited earlier keep going out meanwhile."""
    from secretsync.sync import apply

    threads: list[str] = []
    real = apply._edited

    def edited(*args: Any) -> str | None:
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(apply, "_edited", edited)
    results = _sync(served, smap, VALUES)
    assert [r.written for r in results] == [True, True]
    assert len(threads) == 2 and len(set(threads)) == 1
    assert threads[0].startswith("secretsync-edit") and threads[0] != "MainThread"


def test_repeated_sync_reads_once_and_writes_nothing(
    served: ServedEmulator, smap: SecretMap
) -> None:
    _sync(served, smap, VALUES)
    served.emulator.clear_request_log()
    results = _sync(served, smap, VALUES)
    assert [r.written for r in results] == [False, False]
    assert all(item.action is Action.UNCHANGED for r in results for item in r.plan.items)
    assert sorted(_esc_calls(served.emulator)) == [
        ("GET", "app-production/decrypt"),
        ("GET", "app-staging/decrypt"),
    ]


class _ForeignWriter(httpx.AsyncBaseTransport):
    """Passes requests through; before our PATCH, another writer changes the environment."""

    def __init__(self, served: ServedEmulator, times: int = 1) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._served = served
        self.remaining = times
        self.injected = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and self.remaining > 0:
            self.remaining -= 1
            self.injected += 1
            name = request.url.path.rsplit("/", 1)[-1]
            async with _esc(self._served) as other:
                current = await other.get_definition("acme-esc", "default", name, decrypt=True)
                edited = EscDefinition.parse(current.yaml)
                edited.set_secret(f"foreign.value{self.injected}", "written by someone else")
                await other.update_definition(
                    "acme-esc", "default", name, edited.dump(), etag=current.etag
                )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def test_a_foreign_write_between_read_and_write_is_kept(
    served: ServedEmulator, smap: SecretMap
) -> None:
    foreign = _ForeignWriter(served)
    results = _sync(served, smap, VALUES, transport=foreign, environments=["staging"])
    assert results[0].written and results[0].attempts == 2
    doc = _definition(served.emulator, "app-staging")
    assert doc["values"]["foreign"]["value1"] == {"fn::secret": "written by someone else"}
    assert set(doc["values"]["secretsync"]["managed"]) == {
        "app.ai.openai_api_key",
        "app.ai.db_password",
        "app.ai.deploy_key",
    }
    statuses = [e["status"] for e in served.emulator.request_log() if e["method"] == "PATCH"]
    assert 409 in statuses


def test_conflicts_without_end_give_up_after_the_bound(
    served: ServedEmulator, smap: SecretMap
) -> None:
    foreign = _ForeignWriter(served, times=100)
    results = _sync(served, smap, VALUES, SyncOptions(max_attempts=3), foreign, ["staging"])
    error = results[0].error
    assert isinstance(error, ConflictError)
    assert "after 3 attempts" in error.message
    assert foreign.injected == 3
    assert not results[0].written


class _HoldWrites(httpx.AsyncBaseTransport):
    """Lets every PATCH wait until ``readers`` reads have happened: forces the race."""

    def __init__(self, readers: int) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._reads = 0
        self._readers = readers
        self._all_read = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            await self._all_read.wait()
        response = await self._inner.handle_async_request(request)
        if request.url.path.endswith("/decrypt"):
            self._reads += 1
            if self._reads >= self._readers:
                self._all_read.set()
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def test_two_racing_syncs_with_different_secrets_both_land(
    served: ServedEmulator, smap: SecretMap
) -> None:
    first = {"OPENAI_API_KEY": VALUES["OPENAI_API_KEY"]}
    second = {"DB_PASSWORD": VALUES["DB_PASSWORD"], "DEPLOY_KEY": VALUES["DEPLOY_KEY"]}

    async def go() -> list[list[EnvResult]]:
        hold = _HoldWrites(readers=2)
        async with _esc(served, hold) as one, _esc(served, hold) as two:
            return list(
                await asyncio.gather(
                    sync_environments(
                        one, smap, ["staging"], json_source(first), None, SyncOptions()
                    ),
                    sync_environments(
                        two, smap, ["staging"], json_source(second), None, SyncOptions()
                    ),
                )
            )

    results = asyncio.run(go())
    assert sorted(r[0].attempts for r in results) == [1, 2]
    doc = _definition(served.emulator, "app-staging")
    assert set(doc["values"]["environmentVariables"]) == {
        "REGION",
        "OPENAI_API_KEY",
        "DATABASE_PASSWORD",
        "DEPLOY_KEY",
    }
    assert set(doc["values"]["secretsync"]["managed"]) == {
        "app.ai.openai_api_key",
        "app.ai.db_password",
        "app.ai.deploy_key",
    }


def test_a_placeholder_anywhere_refuses_the_whole_run(
    served: ServedEmulator, smap: SecretMap
) -> None:
    served.emulator.clear_request_log()
    with pytest.raises(RefusedError, match="OPENAI_API_KEY") as caught:
        _sync(served, smap, {**VALUES, "OPENAI_API_KEY": "changeme"})
    assert "\n" not in caught.value.message  # one line; the classifier's reason, no value
    assert all(method == "GET" for method, _ in _esc_calls(served.emulator))


def test_prune_past_max_deletes_is_refused_and_writes_nothing(
    served: ServedEmulator, smap: SecretMap
) -> None:
    _sync(served, smap, VALUES)
    smaller = parse_map(SYNC_MAP.split("  DB_PASSWORD")[0])  # only OPENAI_API_KEY remains
    served.emulator.clear_request_log()
    with pytest.raises(RefusedError, match="delete 2 paths, more than --max-deletes 1"):
        _sync(served, smaller, VALUES, SyncOptions(prune=True, max_deletes=1))
    assert all(method == "GET" for method, _ in _esc_calls(served.emulator))
    results = _sync(served, smaller, VALUES, SyncOptions(prune=True, max_deletes=2))
    assert all(r.written for r in results)
    doc = _definition(served.emulator, "app-staging")
    assert set(doc["values"]["app"]["ai"]) == {"openai_api_key"}
    assert set(doc["values"]["environmentVariables"]) == {"REGION", "OPENAI_API_KEY"}


def test_a_missing_environment_fails_alone(served: ServedEmulator, smap: SecretMap) -> None:
    served.emulator.reset()
    served.emulator.seed_esc_environment("acme-esc", "default", "app-staging", "values: {}\n")
    results = _sync(served, smap, VALUES)
    production, staging = results
    assert isinstance(production.error, NotFoundError)
    assert staging.written and staging.error is None


def test_github_times_are_listed_per_scope_and_recorded(
    served: ServedEmulator, smap: SecretMap
) -> None:
    emu = served.emulator
    emu.seed_github_secret("orgs/acme", "OPENAI_API_KEY", "x", updated_at="2026-11-20T08:00:00Z")
    emu.seed_github_secret("orgs/acme", "DB_PASSWORD", "x", updated_at="2026-11-21T08:00:00Z")
    emu.seed_github_secret("repos/acme/web", "DEPLOY_KEY", "x", updated_at="2026-11-19T08:00:00Z")
    emu.clear_request_log()

    async def go() -> dict[str, str | None]:
        async with GitHubClient(token="t", base_url=served.github_url) as gh:
            times, warnings = await github_times(gh, smap, list(smap.secrets.values()))
        assert warnings == []
        return times

    times = asyncio.run(go())
    assert times == {
        "OPENAI_API_KEY": "2026-11-20T08:00:00Z",
        "DB_PASSWORD": "2026-11-21T08:00:00Z",
        "DEPLOY_KEY": "2026-11-19T08:00:00Z",
    }
    paths = sorted(e["path"] for e in emu.request_log())
    assert paths == ["/orgs/acme/actions/secrets", "/repos/acme/web/actions/secrets"]

    async def with_times() -> None:
        async with _esc(served) as esc:
            await sync_environments(
                esc, smap, ["staging"], json_source(VALUES), times, SyncOptions()
            )

    asyncio.run(with_times())
    managed = _definition(emu, "app-staging")["values"]["secretsync"]["managed"]
    record = ManagedEntry.from_line(managed["app.ai.deploy_key"])
    assert record is not None and record.github_updated_at == "2026-11-19T08:00:00Z"


class _DropAnswer(httpx.AsyncBaseTransport):
    """The first PATCH reaches the server and lands; its answer is lost on the way back."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.dropped = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method == "PATCH" and not self.dropped:
            self.dropped += 1
            await response.aread()
            raise httpx.RemoteProtocolError("server disconnected", request=request)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def test_a_write_whose_answer_was_lost_is_reported_as_written(
    served: ServedEmulator, smap: SecretMap
) -> None:
    drop = _DropAnswer()

    async def go() -> list[EnvResult]:
        policy = RetryPolicy(time_scale=0.001)
        async with EscClient(
            token="test-token", base_url=served.esc_url, transport=drop, policy=policy
        ) as esc:
            return await sync_environments(
                esc, smap, ["staging"], json_source(VALUES), None, SyncOptions()
            )

    (result,) = asyncio.run(go())
    statuses = [e["status"] for e in served.emulator.request_log() if e["method"] == "PATCH"]
    assert drop.dropped == 1 and statuses == [200, 409]  # landed; the retry met the new ETag
    assert result.written and result.error is None
    assert result.plan.count(Action.ADD) == 3  # what was written, not the empty re-plan
    doc = _definition(served.emulator, "app-staging")
    assert set(doc["values"]["secretsync"]["managed"]) == {
        "app.ai.openai_api_key",
        "app.ai.db_password",
        "app.ai.deploy_key",
    }


@pytest.mark.parametrize("comment", ["", "# platform team\n"])
def test_a_value_in_the_way_of_a_mapped_path_refuses_the_run(
    served: ServedEmulator, smap: SecretMap, comment: str
) -> None:
    emu = served.emulator
    emu.seed_esc_environment(
        "acme-esc",
        "default",
        "app-production",
        comment + "values:\n  app: https://app.internal/health\n  environmentVariables:\n"
        "    APP_URL: ${app}\n",
    )
    emu.clear_request_log()
    options = SyncOptions(allow_placeholders=True)  # not a placeholder question
    with pytest.raises(RefusedError, match=r"production: refused to overwrite") as caught:
        _sync(served, smap, VALUES, options)
    assert "OPENAI_API_KEY: values.app holds a value sync does not manage" in caught.value.message
    assert "https://" not in caught.value.message
    assert all(method == "GET" for method, _ in _esc_calls(emu))  # staging untouched too
    assert _definition(emu, "app-production")["values"]["app"] == "https://app.internal/health"


def test_a_path_sync_manages_may_become_a_parent(served: ServedEmulator) -> None:
    before = parse_map(SYNC_MAP.split("categories:")[0] + "secrets:\n  AI: {esc_path: app.ai}\n")
    only = {"AI": "Hv7Lq2Xp9Mz4Kw8Rb3Tn6Yc"}
    assert _sync(served, before, only, environments=["staging"])[0].written
    after = parse_map(SYNC_MAP)
    results = _sync(served, after, VALUES, SyncOptions(prune=True), environments=["staging"])
    assert results[0].written
    doc = _definition(served.emulator, "app-staging")
    assert set(doc["values"]["app"]["ai"]) == {"openai_api_key", "db_password", "deploy_key"}
