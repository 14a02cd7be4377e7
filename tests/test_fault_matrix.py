"""sync, push and audit on a bad day: every emulator fault, then three questions.

1. Is every ESC environment either exactly as before or exactly as a clean sync leaves it
   (never half-applied), and every GitHub secret either its old or its new value?
2. Is nobody's change lost (a concurrent writer's edit is still there)?
3. Does the exit code tell the truth: 0 only when everything landed (a clean follow-up
   sync then has nothing to write); an audit that could not read is ``unreachable``,
   never a pass and never a made-up ``missing``?

Time is compressed, not skipped: ``SECRETSYNC_RETRY_SCALE`` shrinks every client wait
(backoff, ``retry-after``, write pacing) and the emulator's secondary-limit clock runs
faster by the same factor, so a 60 s ``retry-after`` is a real 60 "emulator seconds"
waited out in 0.3 s of wall time. Seeds are fixed; the served emulator is reached over
real HTTP except where a test needs to act between two requests (``Interposer``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from canary_support import Interposer, Rule, Run, answer, run_cli
from map_support import ACME_HEAD
from sync_support import records_without_times, seed_app_environments

from secretsync.clients import EscClient, RetryPolicy
from secretsync.emulator import Emulator, Faults, ServedEmulator
from secretsync.sync.definition import EscDefinition

SCALE = 0.005  # client waits x SCALE; the emulator's write-limit clock runs 1 / SCALE faster
ORG, PROJECT, GH_ORG = "acme-esc", "default", "acme"
ESC_ENVS = {"production": "app-production", "staging": "app-staging"}
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)

MAP = (
    ACME_HEAD
    + """\
categories:
  app: app.secrets
secrets:
  API_TOKEN: {category: app}
  DB_PASSWORD: {category: app, env_var: DATABASE_PASSWORD}
  DEPLOY_KEY: {category: app, type: pem, environments: [production]}
"""
)
PATHS = {
    "API_TOKEN": "app.secrets.api_token",
    "DB_PASSWORD": "app.secrets.db_password",
    "DEPLOY_KEY": "app.secrets.deploy_key",
}


def _pem(word: str) -> str:
    body = (word * 40)[:192]
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n"
    )


OLD = {
    "API_TOKEN": "tok_nBRNsp3EaBNeBMohNjxAwq",
    "DB_PASSWORD": "old$Pa55-w0rd-Qz7%x",
    "DEPLOY_KEY": _pem("MIIEoldKeyMaterialQ7x9Lp2"),
}
NEW = {
    "API_TOKEN": "tok_VJ7VFFzkxsg8Xhym2irCNS",
    "DB_PASSWORD": "new$${Pa55}-wörd-Zx8",
    "DEPLOY_KEY": _pem("MIIEnewKeyMaterialR4t6Kv1"),
}
FOREIGN_KEY = "other_team"  # what a concurrent writer adds under values:


def _fast_monotonic() -> Callable[[], float]:
    start = time.monotonic()
    return lambda: start + (time.monotonic() - start) / SCALE


@pytest.fixture
def secretsync_emulator() -> Emulator:
    """The plugin's emulator, with the secondary write limit on compressed time."""
    return Emulator(monotonic=_fast_monotonic())


@pytest.fixture(scope="module")
def synced_old_yaml(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What a clean sync of OLD leaves in each environment (made once, then seeded)."""
    emu = Emulator()
    _seed_github(emu, OLD)
    seed_app_environments(emu, "values:\n  region: eu\n")
    map_file = tmp_path_factory.mktemp("reference") / "secret_map.yaml"
    map_file.write_text(MAP)
    environ = _environ(map_file, OLD)
    result = run_cli(["sync", "--all"], environ, transport=emu.transport())
    assert result.code == 0, result.err
    return {env["name"]: env["yaml_decrypted"] for env in emu.state()["esc"]["environments"]}


def _seed_github(emu: Emulator, values: dict[str, str]) -> None:
    emu.clock.set(T0)
    for name, value in values.items():
        emu.seed_github_secret(f"orgs/{GH_ORG}", name, value, updated_at=T0)
    emu.clock.set(NOW)


def _environ(map_file: Path, values: dict[str, str], served: Any = None) -> dict[str, str]:
    environ = {
        "SECRETSYNC_MAP": str(map_file),
        "PULUMI_ACCESS_TOKEN": "pul-test-token",
        "GH_TOKEN": "gh-test-token",
        "SECRETSYNC_SECRETS_JSON": json.dumps(values),
        "SECRETSYNC_RETRY_SCALE": str(SCALE),
    }
    if served is not None:
        environ["SECRETSYNC_GITHUB_API_URL"] = served.github_url
        environ["SECRETSYNC_ESC_API_URL"] = served.esc_url
    return environ


@dataclass
class Bench:
    emu: Emulator
    served: ServedEmulator
    map_file: Path
    old_yaml: dict[str, str]
    foreign_edits: set[str] = field(default_factory=set)  # environments another writer edited

    def run(self, argv: list[str], values: dict[str, str], transport: Any = None) -> Run:
        return run_cli(argv, _environ(self.map_file, values, self.served), transport=transport)

    def definitions(self) -> dict[str, str]:
        envs = self.emu.state()["esc"]["environments"]
        return {env["name"]: env["yaml_decrypted"] for env in envs}

    def github_values(self) -> dict[str, str]:
        return {s["name"]: s["value"] for s in self.emu.state()["github"]["secrets"]}


@pytest.fixture
def bench(
    secretsync_emulator_server: ServedEmulator, tmp_path: Path, synced_old_yaml: dict[str, str]
) -> Iterator[Bench]:
    emu = secretsync_emulator_server.emulator
    _seed_github(emu, OLD)
    for name, text in synced_old_yaml.items():
        emu.seed_esc_environment(ORG, PROJECT, name, text)
    map_file = tmp_path / "secret_map.yaml"
    map_file.write_text(MAP)
    yield Bench(emu, secretsync_emulator_server, map_file, synced_old_yaml)
    emu.set_faults(Faults())


def _shape(text: str) -> Any:
    """A definition minus sync's timestamps, which differ between two correct runs."""
    return records_without_times(yaml.safe_load(text))


def _holds(text: str, env: str, values: dict[str, str]) -> bool:
    """Whether every mapped path of ``env`` holds ``values`` with its env var entry."""
    definition = EscDefinition.parse(text)
    names = [n for n in PATHS if n != "DEPLOY_KEY" or env == "app-production"]
    return all(definition.secret_value(PATHS[n]) == values[n] for n in names)


# -- faults ----------------------------------------------------------------------------
# Seeds chosen so that one of the first two requests draws the fault (asserted via the log).

FAULTS: dict[str, Faults] = {
    "latency": Faults(latency_ms=15),
    "fail-503": Faults(fail_rate=0.35, fail_status=503, seed=0),
    "fail-500": Faults(fail_rate=0.35, fail_status=500, seed=0),
    "drop": Faults(drop_rate=0.3, seed=4),
    "truncate": Faults(truncate_rate=0.3, seed=2),
    "throttle-429": Faults(fail_rate=0.3, fail_status=429, seed=0),
    "secondary-403": Faults(rate_limit_writes_per_minute=1, rate_limit_status=403),
    "secondary-429": Faults(rate_limit_writes_per_minute=1, rate_limit_status=429),
    "unreachable": Faults(fail_rate=1.0, fail_status=503),
}
INTERPOSED = (
    "esc-retry-after",
    "lost-answer",
    "one-target-down",
    "concurrent-writer",
    "conflict-storm",
)
COMMANDS = ("sync", "push", "audit")


async def _foreign_edit(emu: Emulator, env: str) -> None:
    """Another team's client: read, add its own key, write with the ETag it read."""
    async with EscClient(token="other-team", transport=emu.transport()) as other:
        current = await other.get_definition(ORG, PROJECT, env, decrypt=True)
        document = yaml.safe_load(current.yaml)
        bucket = document.setdefault("values", {}).setdefault(FOREIGN_KEY, {})
        bucket[f"edit_{len(bucket)}"] = "on"
        await other.update_definition(
            ORG, PROJECT, env, yaml.safe_dump(document, sort_keys=False), etag=current.etag
        )


def _interposer(bench: Bench, kind: str, command: str) -> tuple[Interposer, list[Rule]]:
    emu = bench.emu
    if kind == "esc-retry-after":
        limited = {"message": "API rate limit exceeded"}
        rules = [
            Rule("GET", "/decrypt", answer(429, limited, {"retry-after": "1"}), times=1),
            Rule("PATCH", "/environments/", answer(403, limited, {"retry-after": "1"}), times=1),
            Rule("PUT", "/actions/secrets/", answer(429, limited, {"retry-after": "1"}), times=2),
        ]
    elif kind == "lost-answer":
        # The write is applied, then the connection dies before the answer: the client
        # cannot know it landed (a PATCH retried with its old ETag then gets a 409).
        inner = emu.transport()

        async def apply_then_drop(request: httpx.Request) -> httpx.Response:
            await inner.handle_async_request(request)
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

        rules = [
            Rule("GET", "/decrypt", apply_then_drop, times=1),
            Rule("PATCH", "/environments/", apply_then_drop, times=1),
            Rule("PUT", "/actions/secrets/", apply_then_drop, times=1),
        ]
    elif kind == "one-target-down":
        # One environment (one secret for push) answers 503 to every try: a partial failure.
        down = answer(503, {"message": "Service Unavailable"})
        rules = [
            Rule("PATCH", "/app-staging", down, times=1000),
            Rule("GET", "/app-staging/decrypt", down, times=1000 if command == "audit" else 0),
            Rule("PUT", "/actions/secrets/DB_PASSWORD", down, times=1000),
        ]
    elif kind in ("concurrent-writer", "conflict-storm"):
        times = 1 if kind == "concurrent-writer" else 50

        async def before_patch(request: httpx.Request) -> None:
            env = request.url.path.rsplit("/", 1)[-1]
            bench.foreign_edits.add(env)
            await _foreign_edit(emu, env)

        async def before_put(request: httpx.Request) -> None:
            emu.seed_github_secret(f"orgs/{GH_ORG}", "OTHER_TEAM_TOKEN", "theirs-7Hq2Lp9X")

        async def before_read(request: httpx.Request) -> None:
            bench.foreign_edits.add(ESC_ENVS["staging"])
            await _foreign_edit(emu, ESC_ENVS["staging"])

        rules = [
            Rule("PATCH", "/environments/", before_patch, times=times),
            Rule("PUT", "/actions/secrets/DB_PASSWORD", before_put, times=times),
        ]
        if command == "audit":
            rules.append(Rule("GET", "/decrypt", before_read, times=1))
    else:  # pragma: no cover
        raise AssertionError(kind)
    return Interposer(emu.transport(), rules), rules


def _applies(kind: str, command: str) -> bool:
    """Whether a fault can reach the requests this command makes."""
    if kind.startswith("secondary-"):
        return command == "push"  # GitHub's write limit; sync and audit only read GitHub
    return not (kind == "conflict-storm" and command != "sync")


CASES = [
    pytest.param(kind, command, id=f"{command}-{kind}")
    for kind in (*FAULTS, *INTERPOSED)
    for command in COMMANDS
    if _applies(kind, command)
]


@pytest.mark.parametrize(("kind", "command"), CASES)
def test_fault_matrix(bench: Bench, kind: str, command: str) -> None:
    rules: list[Rule] = []
    transport = None
    if kind in FAULTS:
        bench.emu.set_faults(FAULTS[kind])
    else:
        transport, rules = _interposer(bench, kind, command)
    bench.emu.clear_request_log()
    before_github = bench.github_values()

    if command == "sync":
        result = bench.run(["sync", "--all", "--format", "json"], NEW, transport)
    elif command == "push":
        result = bench.run(["push", "--format", "json"], NEW, transport)
    else:
        result = bench.run(["audit", "--all", "--format", "json"], OLD, transport)
    log = bench.emu.request_log()
    bench.emu.set_faults(Faults())

    # The fault really happened (else this case proves nothing).
    if kind in FAULTS and kind != "latency":
        assert any(entry["fault"] for entry in log) or kind == "unreachable", log
    if rules:
        assert any(rule.hits for rule in rules), "the interposed event never happened"
    assert result.code in (0, 1), (result.code, result.err)
    assert "Traceback" not in result.err
    if result.code == 1:
        assert "error" in result.err.lower() or '"unreachable"' in result.out, result.err

    if command == "sync":
        _check_sync(bench, kind, result)
    elif command == "push":
        _check_push(bench, kind, result, before_github)
    else:
        _check_audit(kind, result)


def _check_sync(bench: Bench, kind: str, result: Run) -> None:
    after = bench.definitions()
    for env, text in after.items():
        foreign = yaml.safe_load(text)["values"].get(FOREIGN_KEY)
        assert bool(foreign) == (env in bench.foreign_edits), f"{env}: a foreign change was lost"
    if result.code == 0:
        assert all(_holds(text, env, NEW) for env, text in after.items()), "exit 0, not landed"
        document = json.loads(result.out)
        assert all(e["error"] is None for e in document["environments"])
    if kind == "unreachable":
        assert result.code == 1
        assert after == bench.old_yaml
    if kind == "one-target-down":
        assert result.code == 1, "a partial failure exited 0"
        assert _holds(after["app-production"], "app-production", NEW), "the healthy one waited"
        errors = {e["environment"]: e["error"] for e in json.loads(result.out)["environments"]}
        assert errors["production"] is None and errors["staging"], errors
    if kind == "conflict-storm":
        assert result.code == 1, "a write that never landed was reported as done"
        assert "another writer" in result.err

    # A clean follow-up converges; after a run that said 0 it has nothing left to write.
    bench.emu.clear_request_log()
    follow = bench.run(["sync", "--all", "--format", "json"], NEW)
    assert follow.code == 0, follow.err
    patches = [e for e in bench.emu.request_log() if e["method"] == "PATCH"]
    if result.code == 0:
        assert not patches, "exit 0 was reported but a clean sync still had to write"
    final = bench.definitions()

    # Each environment as the faulty run left it is exactly the old definition or exactly
    # the new one (what the clean follow-up converged to), a foreign edit aside.
    for env, text in after.items():
        shape = _without_foreign(text)
        old, new = _shape(bench.old_yaml[env]), _without_foreign(final[env])
        assert shape in (old, new), f"{env} is half-applied:\n{text}"
        assert _holds(text, env, OLD if shape == old else NEW)
        assert _holds(final[env], env, NEW)
        if env in bench.foreign_edits:
            assert yaml.safe_load(final[env])["values"].get(FOREIGN_KEY)
    if kind == "one-target-down":
        assert _shape(after["app-staging"]) == _shape(bench.old_yaml["app-staging"])


def _without_foreign(text: str) -> Any:
    shape = _shape(text)
    shape["values"].pop(FOREIGN_KEY, None)
    return shape


def _check_push(bench: Bench, kind: str, result: Run, before: dict[str, str]) -> None:
    after = bench.github_values()
    for name in NEW:
        assert after[name] in (OLD[name], NEW[name]), name
    if result.code == 0:
        assert all(after[name] == NEW[name] for name in NEW), "exit 0, not landed"
    if kind == "unreachable":
        assert result.code == 1
        assert after == before
    if kind == "concurrent-writer":
        assert after.get("OTHER_TEAM_TOKEN") == "theirs-7Hq2Lp9X"
    if kind == "one-target-down":
        assert result.code == 1 and after["DB_PASSWORD"] == OLD["DB_PASSWORD"]
    follow = bench.run(["push"], NEW)
    assert follow.code == 0, follow.err
    assert all(bench.github_values()[name] == NEW[name] for name in NEW)


def _check_audit(kind: str, result: Run) -> None:
    document = json.loads(result.out)
    rules = {finding["rule"] for finding in document["findings"]}
    # The state is clean: any finding other than `unreachable` is a read failure in disguise.
    assert rules <= {"unreachable"}, document["findings"]
    if result.code == 0:
        assert not rules and document["summary"]["passed"] is True
    else:
        assert rules == {"unreachable"} and document["summary"]["passed"] is False
    if kind in ("unreachable", "one-target-down"):
        assert result.code == 1


def test_retry_scale_knob_is_validated(tmp_path: Path) -> None:
    """``SECRETSYNC_RETRY_SCALE`` is a test knob: a bad value is a config error, not a hang."""
    from secretsync.errors import ConfigError

    assert RetryPolicy.from_environ({}).time_scale == 1.0
    assert RetryPolicy.from_environ({"SECRETSYNC_RETRY_SCALE": "0.01"}).time_scale == 0.01
    for bad in ("0", "-1", "2", "fast"):
        with pytest.raises(ConfigError, match="SECRETSYNC_RETRY_SCALE"):
            RetryPolicy.from_environ({"SECRETSYNC_RETRY_SCALE": bad})
