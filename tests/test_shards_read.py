"""Reading the arrangement and applying a shard plan, against the emulator over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from map_support import ACME_HEAD

from secretsync.clients import GitHubClient, RetryPolicy
from secretsync.emulator import Emulator, ServedEmulator
from secretsync.errors import ConfigError, RefusedError
from secretsync.map.validation import check_map
from secretsync.shards import plan_shards, read_arrangement
from secretsync.shards.apply import apply_shards
from secretsync.sync.sources import SourceValues

pytestmark = pytest.mark.anyio
MAP = ACME_HEAD + (
    "sync: {repositories: [sync-1, sync-2]}\n"
    "secrets:\n"
    "  ALPHA: {esc_path: app.alpha}\n"
    "  BETA: {esc_path: app.beta}\n"
    "  GAMMA: {esc_path: app.gamma}\n"
)


def client(served: ServedEmulator) -> GitHubClient:
    return GitHubClient(token="t", base_url=served.github_url, policy=RetryPolicy(time_scale=0.001))


@pytest.fixture
def served(secretsync_emulator_server: ServedEmulator) -> ServedEmulator:
    emu: Emulator = secretsync_emulator_server.emulator
    for repo in ("sync-1", "sync-2", "app"):
        emu.add_repository("acme", repo)
    emu.seed_github_secret("orgs/acme", "ALPHA", "a-value-1", visibility="all")
    emu.seed_github_secret("orgs/acme", "BETA", "b", visibility="selected", repositories=["app"])
    emu.seed_github_secret("orgs/acme", "OTHER", "o", visibility="private")
    return secretsync_emulator_server


async def test_selected_lists_page_past_100_repositories(served: ServedEmulator) -> None:
    emu = served.emulator
    names = [f"r{i:03d}" for i in range(130)]
    for name in names:
        emu.add_repository("acme", name)
    emu.seed_github_secret("orgs/acme", "WIDE", "w", visibility="selected", repositories=names)
    emu.clear_request_log()
    async with client(served) as gh:
        repos = await gh.list_selected_repositories("acme", "WIDE")
    assert sorted(r.name for r in repos) == names
    pages = [r for r in emu.request_log() if r["path"].endswith("/WIDE/repositories")]
    assert len(pages) == 2


async def test_the_arrangement_is_metadata_and_the_plan_follows_it(served: ServedEmulator) -> None:
    smap = check_map(MAP, Path("m.yaml"))
    async with client(served) as gh:
        arrangement = await read_arrangement(gh, smap)
    assert arrangement.secrets["BETA"].selected == frozenset({"app"})
    assert arrangement.secrets["ALPHA"].visibility == "all"
    assert {r: ref is not None for r, ref in arrangement.sync.items()} == {
        "sync-1": True,
        "sync-2": True,
    }
    plan = plan_shards(smap, arrangement)
    assert plan.missing == ["GAMMA"]
    assert plan.seen["sync-1"] + plan.seen["sync-2"] == 2 + 3  # OTHER counts in both


async def test_apply_refuses_before_any_write(served: ServedEmulator) -> None:
    emu = served.emulator
    smap = check_map(MAP, Path("m.yaml"))
    async with client(served) as gh:
        arrangement = await read_arrangement(gh, smap)
        # Without the repository list there is nobody to keep for ALPHA: no change planned.
        plan = plan_shards(smap, arrangement)
        assert [c.secret for c in plan.changes] == ["BETA"]
        emu.clear_request_log()
        report = await apply_shards(gh, smap, plan, arrangement, None)
        assert report.applied == ["BETA"]
        added = [r for r in emu.request_log() if r["method"] == "PUT"]
        assert len(added) == 1 and added[0]["status"] == 204
        state = {s["name"]: s for s in emu.state()["github"]["secrets"]}
        assert set(state["BETA"]["selected_repositories"]) == {
            "acme/app",
            f"acme/{plan.shard_of('BETA')}",
        }

    fake = plan_shards(smap, arrangement)
    fake.changes = [c for c in plan.changes]
    from secretsync.shards.assign import Change

    fake.changes.append(Change("ALPHA", "sync-1", "all", ("app", "sync-1")))
    emu.clear_request_log()
    async with client(served) as gh:
        with pytest.raises(ConfigError, match="values source"):
            await apply_shards(gh, smap, fake, arrangement, None)
        empty = SourceValues({}, "test")
        with pytest.raises(RefusedError, match="no value for them: ALPHA"):
            await apply_shards(gh, smap, fake, arrangement, empty)
        placeholder = SourceValues({"ALPHA": "changeme"}, "test")
        with pytest.raises(RefusedError, match="placeholder"):
            await apply_shards(gh, smap, fake, arrangement, placeholder)
    assert not [r for r in emu.request_log() if r["method"] == "PUT"]
