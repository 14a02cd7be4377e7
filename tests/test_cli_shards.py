"""Past 100 organization secrets, end to end over real HTTP: the audit sees what the sync
workflow cannot, ``shards --apply`` splits the secrets over two sync repositories, and two
``sync --shard`` runs at once leave ESC with every value."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from canary_support import Interposer, Rule, Run, run_cli
from map_support import map_head

from secretsync.emulator import Emulator, ServedEmulator

ORG, ESC_ORG, ESC_ENV = "acme", "acme-esc", "app-production"
SYNC = ("secrets-sync-1", "secrets-sync-2")
CONSUMERS = ("app", "web")  # repositories that read the secrets today
NAMES = [f"K{i:03d}" for i in range(150)]


def map_text(sync: tuple[str, ...], names: list[str] = NAMES) -> str:
    body = "".join(f"  {n}: {{esc_path: app.{n.lower()}}}\n" for n in names)
    return (
        map_head(ORG, ESC_ORG, production=ESC_ENV)
        + f"sync: {{repositories: [{', '.join(sync)}]}}\nsecrets:\n"
        + body
    )


def value_of(name: str) -> str:
    return f"v-{name.lower()}-Zq8!x{name[::-1]}"


@pytest.fixture
def org(secretsync_emulator_server: ServedEmulator) -> ServedEmulator:
    emu = secretsync_emulator_server.emulator
    for repo in (*SYNC, *CONSUMERS):
        emu.add_repository(ORG, repo)
    for name in NAMES:
        emu.seed_github_secret(f"orgs/{ORG}", name, value_of(name), visibility="all")
    emu.seed_esc_environment(ESC_ORG, "default", ESC_ENV, "values:\n  region: eu\n")
    return secretsync_emulator_server


def environ(served: ServedEmulator, tmp_path: Path, sync: tuple[str, ...]) -> dict[str, str]:
    path = tmp_path / "secret_map.yaml"
    path.write_text(map_text(sync))
    return {
        "SECRETSYNC_MAP": str(path),
        "SECRETSYNC_GITHUB_API_URL": served.github_url,
        "SECRETSYNC_ESC_API_URL": served.esc_url,
        "GH_TOKEN": "gh-test",
        "PULUMI_ACCESS_TOKEN": "pul-test",
        "SECRETSYNC_RETRY_SCALE": "0.002",  # writes paced 500x faster, same logic
        "NO_COLOR": "1",
    }


def workflow_secrets(served: ServedEmulator, repo: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{served.url}/_emulator/workflow-secrets", params={"repository": f"{ORG}/{repo}"}
    )
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


def source_for(served: ServedEmulator, repo: str) -> str:
    """``toJSON(secrets)`` in that repository's workflow: exactly what it would see."""
    seen = workflow_secrets(served, repo)["secrets"]
    state = {s["name"]: s["value"] for s in served.emulator.state()["github"]["secrets"]}
    return json.dumps({"github_token": "ghs_x", **{n: state[n] for n in seen}})


def hidden(run: Run) -> set[str]:
    report = json.loads(run.out)
    return {f["secret"] for f in report["findings"] if f["rule"] == "hidden-from-sync"}


def esc_values(emu: Emulator) -> dict[str, str]:
    from secretsync.sync.definition import EscDefinition

    envs = emu.state()["esc"]
    text = next(e["yaml_decrypted"] for e in envs["environments"] if e["name"] == ESC_ENV)
    definition = EscDefinition.parse(text)
    return {n: v for n in NAMES if (v := definition.secret_value(f"app.{n.lower()}"))}


def test_audit_names_exactly_the_50_past_the_first_100(org: ServedEmulator, tmp_path: Path) -> None:
    env = environ(org, tmp_path, SYNC[:1])
    run = run_cli(["audit", "-e", "production", "--format", "json"], env)
    assert run.code == 1, run.err
    assert hidden(run) == set(NAMES[100:])
    report = json.loads(run.out)
    message = next(
        f["message"]
        for f in report["findings"]
        if f["secret"] == "K120" and f["rule"] == "hidden-from-sync"
    )
    assert "past its first 100" in message and "number 121 of 150" in message
    assert "add one to sync.repositories" in message


def test_shards_apply_then_two_shards_sync_at_once(org: ServedEmulator, tmp_path: Path) -> None:
    emu = org.emulator
    env = environ(org, tmp_path, SYNC)
    assert len(hidden(run_cli(["audit", "-e", "production", "--format", "json"], env))) == 50

    planned = run_cli(["shards", "--format", "json"], env)
    assert planned.code == 0, planned.err
    plan = json.loads(planned.out)
    assert plan["schema"] == "secretsync/shards/v1" and len(plan["changes"]) == 150
    assert all(c["was"] == "all" and c["rewrites_value"] for c in plan["changes"])
    assert not any(s["name"] for s in emu.state()["github"]["secrets"] if s["visibility"] != "all")

    values = tmp_path / "values.json"
    values.write_text(json.dumps({n: value_of(n) for n in NAMES}))
    emu.clear_request_log()
    applied = run_cli(["shards", "--apply", "--source", f"json:{values}"], env)
    assert applied.code == 0, applied.err
    writes = [r for r in emu.request_log() if r["method"] == "PUT"]
    assert len(writes) == 150 and all(r["status"] == 204 for r in writes)

    views = {repo: workflow_secrets(org, repo) for repo in SYNC}
    seen = [set(views[repo]["organization"]) for repo in SYNC]
    assert not seen[0] & seen[1] and seen[0] | seen[1] == set(NAMES)
    for repo, names in zip(SYNC, seen, strict=True):
        assert len(names) <= 100 and not views[repo]["organization_past_limit"]
    for stored in emu.state()["github"]["secrets"]:
        assert stored["visibility"] == "selected"
        assert {f"{ORG}/{c}" for c in CONSUMERS} <= set(stored["selected_repositories"])
        assert stored["value"] == value_of(stored["name"])  # rewritten, but the same value
    assert hidden(run_cli(["audit", "-e", "production", "--format", "json"], env)) == set()
    again = run_cli(["shards", "--format", "json"], env)
    assert json.loads(again.out)["changes"] == []  # applied: nothing left to do

    results: dict[str, Run] = {}

    def shard(repo: str) -> None:
        results[repo] = run_cli(
            ["sync", "-e", "production", "--shard", repo, "--format", "json"],
            {**env, "SECRETSYNC_SECRETS_JSON": source_for(org, repo)},
        )

    threads = [threading.Thread(target=shard, args=(repo,)) for repo in SYNC]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for repo in SYNC:
        assert results[repo].code == 0, (repo, results[repo].err)
    assert esc_values(emu) == {n: value_of(n) for n in NAMES}


def test_push_after_shards_apply_keeps_every_shards_access(
    org: ServedEmulator, tmp_path: Path
) -> None:
    """The map still says ``all`` (the default the fixture seeds); a push after sharding
    used to write that over the shard's selected list, and the shard's workflow lost the
    secret. It keeps GitHub's list now, and says so."""
    emu = org.emulator
    env = environ(org, tmp_path, SYNC)
    old = tmp_path / "old.json"
    old.write_text(json.dumps({n: value_of(n) for n in NAMES}))
    assert run_cli(["shards", "--apply", "--source", f"json:{old}"], env).code == 0
    before = {repo: set(workflow_secrets(org, repo)["organization"]) for repo in SYNC}
    lists = {s["name"]: s["selected_repositories"] for s in emu.state()["github"]["secrets"]}

    rotated = {n: value_of(n) + "-rotated" for n in NAMES}
    new = tmp_path / "new.json"
    new.write_text(json.dumps(rotated))
    pushed = run_cli(["push", "--source", f"json:{new}", "--format", "json"], env)
    assert pushed.code == 0, pushed.err
    report = json.loads(pushed.out)
    assert sorted(report["kept_access"]) == sorted(rotated)
    assert "150 organization secret(s) kept the repositories GitHub lists" in pushed.err

    assert {repo: set(workflow_secrets(org, repo)["organization"]) for repo in SYNC} == before
    for stored in emu.state()["github"]["secrets"]:
        assert stored["visibility"] == "selected"
        assert stored["selected_repositories"] == lists[stored["name"]]
        assert stored["value"] == rotated[stored["name"]]


def test_push_without_shards_writes_the_maps_visibility(
    org: ServedEmulator, tmp_path: Path
) -> None:
    """No ``sync.repositories``: the map is the truth for access, as before."""
    emu = org.emulator
    emu.seed_github_secret(f"orgs/{ORG}", NAMES[0], "x", visibility="selected")
    env = environ(org, tmp_path, ())
    path = tmp_path / "secret_map.yaml"
    path.write_text(map_text((), NAMES[:1]).replace("sync: {repositories: []}\n", ""))
    values = tmp_path / "v.json"
    values.write_text(json.dumps({NAMES[0]: value_of(NAMES[0])}))
    pushed = run_cli(["push", "--source", f"json:{values}", "--format", "json"], env)
    assert pushed.code == 0, pushed.err
    assert json.loads(pushed.out)["kept_access"] == []
    stored = next(s for s in emu.state()["github"]["secrets"] if s["name"] == NAMES[0])
    assert stored["visibility"] == "private"  # the map's default


def test_a_shard_that_meets_another_shards_write_re_reads_and_keeps_both(
    org: ServedEmulator, tmp_path: Path
) -> None:
    """Shard 2 writes between shard 1's read and write: shard 1 gets 409, re-reads,
    re-applies its own share, and shard 2's share stays."""
    emu = org.emulator
    env = environ(org, tmp_path, SYNC)
    values = tmp_path / "values.json"
    values.write_text(json.dumps({n: value_of(n) for n in NAMES}))
    assert run_cli(["shards", "--apply", "--source", f"json:{values}"], env).code == 0
    sources = {repo: source_for(org, repo) for repo in SYNC}
    other: list[Run] = []

    async def let_the_other_shard_write(request: httpx.Request) -> httpx.Response | None:
        if not other:
            other.append(
                await asyncio.to_thread(
                    run_cli,
                    ["sync", "-e", "production", "--shard", SYNC[1]],
                    {**env, "SECRETSYNC_SECRETS_JSON": sources[SYNC[1]]},
                )
            )
        return None

    rule = Rule("PATCH", "/environments/", let_the_other_shard_write, times=1)
    first = run_cli(
        ["sync", "-e", "production", "--shard", SYNC[0], "--format", "json"],
        {**env, "SECRETSYNC_SECRETS_JSON": sources[SYNC[0]]},
        transport=Interposer(emu.transport(), [rule]),
    )
    assert rule.hits and other and other[0].code == 0, other[0].err if other else "no run"
    assert first.code == 0, first.err
    assert json.loads(first.out)["environments"][0]["attempts"] == 2
    assert esc_values(emu) == {n: value_of(n) for n in NAMES}


ROOT = Path(__file__).resolve().parents[1]


def _shard_step() -> str:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "sync_secrets.yml").read_text())
    step = next(s for s in workflow["jobs"]["sync"]["steps"] if s.get("id") == "shard")
    script: str = step["run"].split("<<'PY'\n", 1)[1].rsplit("PY", 1)[0]
    return script


@pytest.mark.parametrize(
    ("sync", "here", "code", "flags"),
    [
        (SYNC, "acme/Secrets-Sync-2", 0, "flags=--shard secrets-sync-2"),
        (SYNC[:1], "acme/secrets-sync-1", 0, "flags="),
        (SYNC, "acme/elsewhere", 1, ""),
    ],
)
def test_the_workflow_passes_its_own_shard(
    tmp_path: Path, sync: tuple[str, ...], here: str, code: int, flags: str
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "secret_map.yaml").write_text(map_text(sync, NAMES[:2]))
    done = subprocess.run(
        [sys.executable, "-c", _shard_step()],
        cwd=tmp_path,
        env={**os.environ, "GITHUB_REPOSITORY": here},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert done.stdout.strip() == flags
    if code:
        assert "not one of the map's sync.repositories" in done.stderr
    runs = [s.get("run", "") for s in yaml.safe_load(
        (ROOT / ".github" / "workflows" / "sync_secrets.yml").read_text()
    )["jobs"]["sync"]["steps"]]  # fmt: skip
    assert any("secretsync sync" in r and "steps.shard.outputs.flags" in r for r in runs)


@pytest.mark.parametrize(
    ("shard", "extra"), [("secrets-sync-2", ["--shard", "secrets-sync-2"]), ("", [])]
)
def test_the_action_passes_its_shard_input(tmp_path: Path, shard: str, extra: list[str]) -> None:
    """The composite action's bash, run for real against a stub that records its argv."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["inputs"]["shard"]["default"] == ""
    (step,) = [s for s in action["runs"]["steps"] if "secretsync --map" in s.get("run", "")]
    stub = tmp_path / "bin" / "secretsync"
    stub.parent.mkdir()
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_FILE"\n')
    stub.chmod(0o755)
    env = {
        "PATH": f"{stub.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "ARGS_FILE": str(tmp_path / "args"),
        "INPUT_COMMAND": "sync",
        "INPUT_ENVIRONMENT": "all",
        "INPUT_MAP": "m.yaml",
        "INPUT_ARGS": "",
        "INPUT_VERIFY": "",
        "INPUT_SHARD": shard,
    }
    done = subprocess.run(
        ["bash", "-c", step["run"]], env=env, cwd=tmp_path, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    argv = (tmp_path / "args").read_text().splitlines()
    assert argv == ["--map", "m.yaml", "sync", "--all", *extra]
