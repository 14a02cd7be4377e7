"""sync and push when answers are lost or other writers keep changing things (issue 19).

The exit code must tell the truth either way: 0 when the write is there, 1 when it is not.
Requests go to the real emulator; an :class:`Interposer` applies a request and then loses
its answer, or answers 503 without applying, exactly where each case needs it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from canary_support import Interposer, Rule, Run, answer, run_cli
from map_support import map_head

from secretsync.clients import EscClient
from secretsync.emulator import Emulator

ORG, PROJECT, ENV = "acme-esc", "default", "app-production"
TOKEN = "tok_nBRNsp3EaBNeBMohNjxAwq"
SCALE = "0.005"
MAP = map_head(production="app-production") + (
    "categories:\n  app: app.secrets\nsecrets:\n  API_TOKEN: {category: app}\n"
)


@pytest.fixture
def emu() -> Emulator:
    emu = Emulator()
    emu.seed_esc_environment(ORG, PROJECT, ENV, "values:\n  region: eu\n")
    return emu


def _run(tmp_path: Path, argv: list[str], transport: Any, values: dict[str, str]) -> Run:
    map_file = tmp_path / "secret_map.yaml"
    map_file.write_text(MAP)
    environ = {
        "SECRETSYNC_MAP": str(map_file),
        "PULUMI_ACCESS_TOKEN": "pul-test",
        "GH_TOKEN": "gh-test",
        "SECRETSYNC_RETRY_SCALE": SCALE,
        "SECRETSYNC_SECRETS_JSON": json.dumps(values),
    }
    return run_cli(argv, environ, transport=transport)


def _apply_then_lose(emu: Emulator) -> Any:
    inner = emu.transport()

    async def act(request: httpx.Request) -> httpx.Response:
        await inner.handle_async_request(request)
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    return act


UNAVAILABLE = answer(503, {"message": "Service Unavailable"})


def _esc_value(emu: Emulator) -> str:
    env = next(e for e in emu.state()["esc"]["environments"] if e["name"] == ENV)
    return str(env["yaml_decrypted"])


def _github_value(emu: Emulator) -> str | None:
    found = [s["value"] for s in emu.state()["github"]["secrets"] if s["name"] == "API_TOKEN"]
    return found[0] if found else None


# -- sync -------------------------------------------------------------------------------


def test_sync_whose_write_landed_unanswered_reports_success(emu: Emulator, tmp_path: Path) -> None:
    """The PATCH is applied, its answer lost, and every retry answers 503: the write is in
    ESC, so the run must say so (it used to exit 1 without looking)."""
    rules = [
        Rule("PATCH", "/environments/", _apply_then_lose(emu), times=1),
        Rule("PATCH", "/environments/", UNAVAILABLE, times=100),
    ]
    result = _run(
        tmp_path, ["sync", "--all", "--format", "json"], Interposer(emu.transport(), rules),
        {"API_TOKEN": TOKEN},
    )  # fmt: skip
    assert all(rule.hits for rule in rules)
    assert result.code == 0, result.err
    assert TOKEN in _esc_value(emu)
    (environment,) = json.loads(result.out)["environments"]
    assert environment["written"] is True and environment["error"] is None
    assert TOKEN not in result.out + result.err


def test_sync_whose_write_never_landed_still_fails(emu: Emulator, tmp_path: Path) -> None:
    """The other side of the same check: 503 before anything is applied, every time."""
    rules = [Rule("PATCH", "/environments/", UNAVAILABLE, times=100)]
    result = _run(
        tmp_path, ["sync", "--all"], Interposer(emu.transport(), rules), {"API_TOKEN": TOKEN}
    )
    assert result.code == 1
    assert TOKEN not in _esc_value(emu)
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "server error 503" in errors[0], result.err


def test_sync_confirms_with_a_read_that_tries_harder(emu: Emulator, tmp_path: Path) -> None:
    """The confirming read rides out more failures than an ordinary read would."""
    rules = [
        Rule("PATCH", "/environments/", _apply_then_lose(emu), times=1),
        Rule("PATCH", "/environments/", UNAVAILABLE, times=100),
        # The first read (the plan's) passes; then 7 failures: more than the 5 attempts
        # of an ordinary read, fewer than the 10 of the confirming one.
    ]
    reads = Rule("GET", "/decrypt", UNAVAILABLE, times=7)
    passes = Rule("GET", "/decrypt", _pass(emu), times=1)
    transport = Interposer(emu.transport(), [passes, reads, *rules])
    result = _run(tmp_path, ["sync", "--all"], transport, {"API_TOKEN": TOKEN})
    assert reads.hits == 7
    assert result.code == 0, result.err


def _pass(emu: Emulator) -> Any:
    inner = emu.transport()

    async def act(request: httpx.Request) -> httpx.Response:
        return await inner.handle_async_request(request)

    return act


async def _foreign_edit(emu: Emulator) -> None:
    """Another team's client: read, add a key of its own, write back with the ETag."""
    async with EscClient(token="other-team", transport=emu.transport()) as other:
        current = await other.get_definition(ORG, PROJECT, ENV, decrypt=True)
        document = yaml.safe_load(current.yaml)
        bucket = document.setdefault("values", {}).setdefault("other_team", {})
        bucket[f"edit_{len(bucket)}"] = "on"
        await other.update_definition(
            ORG, PROJECT, ENV, yaml.safe_dump(document, sort_keys=False), etag=current.etag
        )


def _storm(emu: Emulator, times: int) -> Rule:
    async def before_patch(request: httpx.Request) -> None:
        await _foreign_edit(emu)

    return Rule("PATCH", "/environments/", before_patch, times=times)


def test_sync_outlasts_a_writer_that_beats_it_six_times(emu: Emulator, tmp_path: Path) -> None:
    """Six foreign writes, each just before one of our PATCHes (five attempts used to be
    all sync had); the run lands, keeps every foreign key and counts the foreign writes."""
    storm = _storm(emu, 6)
    result = _run(
        tmp_path, ["sync", "--all", "--format", "json"], Interposer(emu.transport(), [storm]),
        {"API_TOKEN": TOKEN},
    )  # fmt: skip
    assert storm.hits == 6
    assert result.code == 0, result.err
    (environment,) = json.loads(result.out)["environments"]
    assert environment["attempts"] == 7 and environment["other_writes"] == 6
    document = yaml.safe_load(_esc_value(emu))
    assert len(document["values"]["other_team"]) == 6 and TOKEN in _esc_value(emu)


def test_a_writer_that_never_stops_is_reported_with_its_count(
    emu: Emulator, tmp_path: Path
) -> None:
    storm = _storm(emu, 1000)
    result = _run(
        tmp_path, ["sync", "--all"], Interposer(emu.transport(), [storm]), {"API_TOKEN": TOKEN}
    )
    assert result.code == 1
    (line,) = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert f"still changed by another writer after {storm.hits} attempts" in line
    # Each attempt after the first saw the foreign write made before the previous PATCH.
    assert f"{storm.hits - 1} changes by others seen" in line
    assert TOKEN not in _esc_value(emu)


def test_the_first_re_read_follows_a_conflict_at_once(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 409 is news that the other writer has just written: the re-read goes out at once,
    and only later ones wait a jittered pause, within the policy's short ceilings."""
    import asyncio

    from secretsync.sync import apply

    asked: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float) -> None:
        asked.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    storm = _storm(emu, 3)
    result = _run(
        tmp_path, ["sync", "--all"], Interposer(emu.transport(), [storm]), {"API_TOKEN": TOKEN}
    )
    assert result.code == 0, result.err
    options = apply.SyncOptions()
    # Attempts 2, 3, 4 re-read: none, then pauses below first * 2**0 and first * 2**1.
    assert len(asked) == 2, asked
    scale = float(SCALE)
    assert asked[0] < options.conflict_pause_first * scale
    assert asked[1] < 2 * options.conflict_pause_first * scale


def test_a_conflict_on_a_first_attempt_is_never_taken_for_our_own_write(
    emu: Emulator, tmp_path: Path
) -> None:
    """Another client writes exactly what sync meant to, just before sync's PATCH: the 409
    came on a first attempt, so nothing of ours landed, and sync must not say it wrote."""
    inner = emu.transport()

    async def same_write_first(request: httpx.Request) -> None:
        body = request.content
        headers = {"Authorization": "token other", "Content-Type": "application/x-yaml"}
        twin = httpx.Request("PATCH", request.url, headers=headers, content=body)
        response = await inner.handle_async_request(twin)
        assert response.status_code == 200

    rule = Rule("PATCH", "/environments/", same_write_first, times=1)
    result = _run(
        tmp_path,
        ["sync", "--all", "--format", "json"],
        Interposer(emu.transport(), [rule]),
        {"API_TOKEN": TOKEN},
    )
    assert result.code == 0, result.err
    (environment,) = json.loads(result.out)["environments"]
    assert environment["attempts"] == 2 and environment["other_writes"] == 1
    assert environment["written"] is False  # the other client's write, not ours
    assert TOKEN in _esc_value(emu)


# -- push -------------------------------------------------------------------------------


@pytest.mark.parametrize("existed", [False, True], ids=["new", "existing"])
def test_push_whose_write_landed_unanswered_reports_success(
    emu: Emulator, tmp_path: Path, existed: bool
) -> None:
    if existed:
        emu.seed_github_secret(
            "orgs/acme", "API_TOKEN", "old-value", updated_at="2026-01-01T00:00:00Z"
        )
    rules = [
        Rule("PUT", "/actions/secrets/API_TOKEN", _apply_then_lose(emu), times=1),
        Rule("PUT", "/actions/secrets/API_TOKEN", UNAVAILABLE, times=100),
    ]
    result = _run(
        tmp_path, ["push", "--format", "json"], Interposer(emu.transport(), rules),
        {"API_TOKEN": TOKEN},
    )  # fmt: skip
    assert all(rule.hits for rule in rules)
    assert result.code == 0, result.err
    assert _github_value(emu) == TOKEN
    report = json.loads(result.out)
    assert report[("updated" if existed else "created")] == ["API_TOKEN"]
    assert report["failed"] is None
    assert TOKEN not in result.out + result.err


def test_push_whose_write_never_landed_still_fails(emu: Emulator, tmp_path: Path) -> None:
    emu.seed_github_secret("orgs/acme", "API_TOKEN", "old-value", updated_at="2026-01-01T00:00:00Z")
    rules = [Rule("PUT", "/actions/secrets/API_TOKEN", UNAVAILABLE, times=100)]
    result = _run(tmp_path, ["push"], Interposer(emu.transport(), rules), {"API_TOKEN": TOKEN})
    assert result.code == 1
    assert _github_value(emu) == "old-value"
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "server error 503" in errors[0]


def test_the_rate_limit_line_says_what_was_waited(emu: Emulator, tmp_path: Path) -> None:
    """At SECRETSYNC_RETRY_SCALE=0.005 four waits of "60 s" are 1.2 s: the line says both."""
    limited = answer(429, {"message": "API rate limit exceeded"}, {"retry-after": "60"})
    rules = [Rule("PUT", "/actions/secrets/", limited, times=100)]
    result = _run(tmp_path, ["push"], Interposer(emu.transport(), rules), {"API_TOKEN": TOKEN})
    assert result.code == 1
    (line,) = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert "still rate limited after 5 attempts" in line
    assert "the service last asked to wait 60 s" in line
    assert "waited 1.20 s in all, waits shortened by $SECRETSYNC_RETRY_SCALE=0.005" in line
