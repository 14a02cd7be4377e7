"""The leak canary: every command, on good days and bad, never shows a secret value.

Canary values (``canary_support.Canaries``: one per provider format, a multi-line PEM, one
with ``$``, ``${...}``, ``$$`` and unicode) go in through every door secretsync has: the
values source, ESC environments, GitHub, a scanned file, a token on stdin, the settings
environment. Then every way out is searched for any of them, whole, line by line, in
base64 or JSON escapes, or just their unique tag: stdout, stderr, files the command wrote,
log records at DEBUG (secretsync, httpx, httpcore) and exception messages.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from canary_support import (
    ESC_ENVS,
    ESC_ORG,
    ESC_PROJECT,
    Canaries,
    Canary,
    Interposer,
    Rule,
    Run,
    answer,
    canary_map,
    run_cli,
)
from map_support import map_head

from secretsync.emulator import Emulator, ServedEmulator

LOGGERS = ("secretsync", "httpx", "httpcore")


@pytest.fixture
def canaries() -> Canaries:
    return Canaries()


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)


@dataclass
class World:
    """A repository folder, a map of canaries, the served emulator, and every output seen."""

    root: Path
    served: ServedEmulator
    canaries: Canaries
    environ: dict[str, str]
    inputs: list[Path] = field(default_factory=list)
    runs: list[tuple[list[str], Run]] = field(default_factory=list)

    @property
    def emulator(self) -> Emulator:
        return self.served.emulator

    def run(self, argv: list[str], *, expect: int | set[int] | None = 0, **kw: Any) -> Run:
        environ = {**self.environ, **kw.pop("env", {})}
        result = run_cli(argv, environ, cwd=self.root, **kw)
        self.runs.append((argv, result))
        wanted = {expect} if isinstance(expect, int) else expect
        if wanted is not None:
            assert result.code in wanted, (argv, result.code, result.out, result.err)
        self.canaries.assert_clean(f"stdout of {argv}", result.out)
        self.canaries.assert_clean(f"stderr of {argv}", result.err)
        return result

    def assert_all_clean(self, caplog: pytest.LogCaptureFixture) -> None:
        files = self.canaries.assert_tree_clean(self.root, skip=self.inputs)
        records = self.canaries.assert_records_clean(caplog.records)
        assert self.runs and files >= 0 and records >= 0


@pytest.fixture
def world(tmp_path: Path, secretsync_emulator_server: ServedEmulator, canaries: Canaries) -> World:
    emu = secretsync_emulator_server.emulator
    for name in ESC_ENVS.values():
        emu.seed_esc_environment(ESC_ORG, ESC_PROJECT, name, "values:\n  region: eu\n")
    root = tmp_path / "repo"
    (root / "config").mkdir(parents=True)
    map_file = root / "config" / "secret_map.yaml"
    map_file.write_text(canary_map(canaries.items))
    environ = {
        "SECRETSYNC_GITHUB_API_URL": secretsync_emulator_server.github_url,
        "SECRETSYNC_ESC_API_URL": secretsync_emulator_server.esc_url,
        "SECRETSYNC_PROVIDERS_URL": secretsync_emulator_server.url + "/_providers",
        "PULUMI_ACCESS_TOKEN": "pul-test-token",
        "GH_TOKEN": "gh-test-token",
        "SECRETSYNC_SECRETS_JSON": json.dumps(canaries.values),
        "SECRETSYNC_RETRY_SCALE": "0.002",
        "NO_COLOR": "1",
    }
    return World(root, secretsync_emulator_server, canaries, environ, [map_file])


def _scan_fixture(world: World) -> Path:
    """A source file with canaries hard-coded, as a careless commit would have them."""
    c = world.canaries.values
    path = world.root / "app" / "client.py"
    path.parent.mkdir()
    path.write_text(
        "import os\n"
        f'OPENAI_API_KEY = "{c["OPENAI_API_KEY"]}"\n'
        f'stripe_key = "{c["STRIPE_SECRET_KEY"]}"\n'
        f'GH = "{c["GH_DEPLOY_TOKEN"]}"\n'
        'password = os.getenv("DB_PASSWORD", "' + c["DB_PASSWORD"].replace("$", "") + '")\n'
        'token = os.environ.get("SLACK_BOT_TOKEN")\n'
    )
    world.inputs.append(path)
    key = world.root / "deploy" / "id_ed25519"
    key.parent.mkdir()
    key.write_text(c["DEPLOY_SSH_KEY"])
    world.inputs.append(key)
    return path


def test_every_command_on_the_success_path(world: World, caplog: pytest.LogCaptureFixture) -> None:
    out = world.root / "out"
    out.mkdir()
    world.run(["validate"])
    world.run(["validate", "--format", "json"])
    world.run(["checklist", "-o", str(out / "checklist.md")])
    world.run(["checklist", "--format", "sh", "-o", str(out / "checklist.sh")])
    world.run(["plan", "--all"])
    world.run(["plan", "--all", "--format", "json", "-o", str(out / "plan.json"), "--exit-code"],
              expect=1)  # fmt: skip
    world.run(["sync", "--all"])
    world.run(["sync", "--all", "--format", "json", "-o", str(out / "sync.json")])
    world.run(["push", "--format", "json", "-o", str(out / "push.json")])
    world.run(["push"])  # the update path (204)
    world.run(["push", "--dry-run"])
    world.run(["push", "--dry-run", "--format", "json", "--source", "esc:production"])
    world.run(["push", "--source", "esc:production"], expect={0, 1})  # ESC as the source
    world.run(["push", "--source", "esc:production", "--format", "json"], expect={0, 1})
    world.run(["plan", "-e", "production", "--format", "json"])
    world.run(["plan", "--all", "--show-unchanged"])  # every path listed, fingerprints too
    # The values as a workflow hands them over in `env:` instead of JSON.
    from_env = {"SECRETSYNC_SECRETS_JSON": "", **world.canaries.values}
    world.run(["plan", "--all", "--source", "env", "--format", "json"], env=from_env)
    world.run(["-v", "sync", "--all", "--source", "env"], env=from_env)

    # Audit with findings that tempt a renderer to quote a value: a source value of the
    # wrong format (format-mismatch) and a placeholder-looking value in ESC.
    odd = dict(world.canaries.values)
    odd["OPENAI_API_KEY"] = "not-openai-" + world.canaries.items["OPENAI_API_KEY"].tag
    actions = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(out / "summary.md"),
        "SECRETSYNC_SECRETS_JSON": json.dumps(odd),
    }
    for fmt in ("table", "json", "sarif", "markdown"):
        world.run(
            ["audit", "--all", "--values", "env", "--fail-on", "never", "--format", fmt,
             "-o", str(out / f"audit.{fmt}")],
            env=actions,
        )  # fmt: skip
    gate = world.run(["audit", "--all", "--values", "env", "--fail-on", "warning"], env=actions,
                     expect=1)  # fmt: skip
    assert "::warning" in gate.err and "format-mismatch" in gate.out + gate.err

    _scan_fixture(world)
    for fmt in ("table", "json", "sarif", "markdown"):
        world.run(["scan", "--format", fmt, "-o", str(out / f"scan.{fmt}"), "app", "deploy"],
                  expect=1)  # fmt: skip
    baseline = out / "baseline.json"
    world.run(["scan", "--baseline", str(baseline), "--update-baseline", "app", "deploy"],
              expect={0, 1})  # fmt: skip
    assert baseline.is_file()
    world.run(["scan", "--baseline", str(baseline), "app", "deploy"])
    world.run(["lint", "app"], expect=1)
    world.run(["lint", "--format", "json", "app"], expect=1)
    world.run(["codegen", "settings", "-o", str(out / "settings.py")])

    # verify and audit --verify: every canary with a provider is asked (rejected, then
    # live), its answer rendered in every format; none may show.
    world.run(["verify", "--all"], expect=1)
    world.run(["-v", "verify", "--all", "--values", "env", "--format", "json",
               "-o", str(out / "verify.json")], expect=1)  # fmt: skip
    for canary in world.canaries.items.values():
        if canary.format in ("openai", "github", "stripe", "slack_token"):
            world.emulator.providers.accept(canary.format, [canary.value])
    world.run(["verify", "--all", "--strict"])
    world.run(["-v", "audit", "--all", "--verify", "--values", "env", "--fail-on", "never",
               "--format", "sarif", "-o", str(out / "audit-verify.sarif")], env=actions)  # fmt: skip
    verified = json.loads((out / "verify.json").read_text())
    assert {r["status"] for r in verified["results"]} >= {"rejected", "unverifiable"}

    scan_json = json.loads((out / "scan.json").read_text())
    assert {f["rule"] for f in scan_json["findings"]} >= {"hardcoded-secret"}
    assert world.emulator.state()["github"]["secrets"], "push wrote nothing: the test is void"
    world.assert_all_clean(caplog)


def _failing_world(world: World, rules: list[Rule]) -> Interposer:
    """The same emulator in-process, behind rules that answer some requests themselves."""
    return Interposer(world.emulator.transport(), rules)


def _echo(world: World) -> str:
    """What a careless service might say: the input, echoed. Every canary is in the run's
    values source, so every run knows them all."""
    return "invalid value: " + " / ".join(world.canaries.values.values())


ERROR_CASES: dict[str, tuple[list[str], str, str, int, dict[str, Any]]] = {
    # name: (argv, method, path part, status, body)
    "push-422": (["push"], "PUT", "/actions/secrets/", 422, {"message": "{echo}"}),
    "push-500": (["push"], "PUT", "/actions/secrets/", 500, {"message": "{echo}"}),
    "push-key-403": (["push"], "GET", "/public-key", 403, {"message": "{echo}"}),
    "sync-409": (["sync", "--all"], "PATCH", "/environments/", 409, {"message": "{echo}"}),
    "sync-500": (["sync", "--all"], "PATCH", "/environments/", 500, {"message": "{echo}"}),
    "sync-400": (
        ["sync", "--all"],
        "PATCH",
        "/environments/",
        400,
        {"message": "{echo}", "diagnostics": [{"summary": "{echo}", "range": None}]},
    ),
    "plan-500": (["plan", "--all"], "GET", "/decrypt", 500, {"message": "{echo}"}),
    "plan-422": (["plan", "--all"], "GET", "/decrypt", 422, {"message": "{echo}"}),
    "audit-500": (
        ["audit", "--all", "--values", "env", "--format", "json"],
        "GET",
        "/decrypt",
        500,
        {"message": "{echo}"},
    ),
    "verify-401": (["verify", "--all"], "GET", "/_providers/", 401, {"message": "{echo}"}),
    "verify-slack": (
        ["verify", "--all", "--values", "env"],
        "POST",
        "/_providers/slack/",
        200,
        {"ok": False, "error": "{echo}"},
    ),
    "verify-500": (
        ["verify", "--all", "--strict"],
        "GET",
        "/_providers/",
        500,
        {"message": "{echo}"},
    ),
    "audit-verify-401": (
        ["audit", "--all", "--verify", "--format", "json"],
        "GET",
        "/_providers/",
        401,
        {"error": {"message": "{echo}"}},
    ),
    "audit-verify-429": (
        ["audit", "--all", "--verify", "--values", "env", "--fail-on", "warning"],
        "GET",
        "/_providers/",
        429,
        {"message": "{echo}"},
    ),
    "audit-gh-403": (
        ["audit", "--all", "--values", "env", "--format", "sarif"],
        "GET",
        "/actions/secrets",
        403,
        {"message": "{echo}"},
    ),
}


@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "verbose"])
@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_service_errors_whose_bodies_echo_the_values(
    world: World, caplog: pytest.LogCaptureFixture, case: str, verbose: bool
) -> None:
    argv, method, part, status, body = ERROR_CASES[case]
    echo = _echo(world)
    document = json.loads(json.dumps(body).replace("{echo}", json.dumps(echo)[1:-1]))
    rule = Rule(method, part, answer(status, document), times=100)
    transport = _failing_world(world, [rule])
    if argv[0] in ("plan", "audit", "verify"):
        world.run(["sync", "--all"])  # ESC holds the values, the run reads them back
    result = world.run(["-v", *argv] if verbose else argv, expect={1, 2}, transport=transport)
    assert rule.hits, f"the failure was never injected: the test is void\n{result.err}"
    if not verbose:
        assert "Traceback" not in result.err  # service errors are expected failures
    world.assert_all_clean(caplog)


def _raise_with(*values: str) -> Callable[..., Any]:
    def boom(*args: Any, **kwargs: Any) -> Any:
        seen = [a for a in (*args, *kwargs.values()) if isinstance(a, str)]
        raise RuntimeError(f"deep failure with {seen!r} and {values!r}")

    return boom


# command -> (argv, dotted target to break, stdin)
INTERNAL_CASES: dict[str, tuple[list[str], str, str]] = {
    "plan": (["plan", "--all"], "secretsync.placeholders.judgement.classify", ""),
    "sync": (["sync", "--all"], "secretsync.sync.definition.EscDefinition.set_secret", ""),
    "push": (["push"], "secretsync.clients.github.PublicKey.seal", ""),
    "audit": (
        ["audit", "--all", "--values", "env"],
        "secretsync.placeholders.judgement.classify",
        "",
    ),
    "scan": (["scan", "app"], "secretsync.placeholders.classify", ""),
    "login": (["login", "github"], "secretsync.clients.credentials.store_token", "{token}"),
    "validate": (["validate"], "secretsync.map.load.load_map", ""),
    "checklist": (["checklist", "--format", "sh"], "secretsync.map.load.load_map", ""),
    "codegen": (["codegen", "settings"], "secretsync.map.load.load_map", ""),
    "lint": (["lint", "app"], "secretsync.map.load.load_map", ""),
    "verify": (["verify", "--all", "--values", "env"], "secretsync.verify.targets.judge", ""),
    "audit-verify": (
        ["audit", "--all", "--verify", "--values", "env"],
        "secretsync.verify.engine._judge",
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(INTERNAL_CASES))
def test_internal_error_tracebacks_with_v(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """A bug deep in a command raises with values in its message; -v shows the traceback,
    which must still not show them."""
    argv, target, stdin = INTERNAL_CASES[case]
    _scan_fixture(world)
    token = world.canaries.values["GH_DEPLOY_TOKEN"]
    module, _, attr = target.rpartition(".")
    owner: Any
    try:
        owner = importlib.import_module(module)
    except ModuleNotFoundError:
        module, _, cls = module.rpartition(".")
        owner = getattr(importlib.import_module(module), cls)
    # The message carries every canary: the ones the run knows (values it loaded) and,
    # through the patched function's own arguments, whatever it was handed.
    monkeypatch.setattr(owner, attr, _raise_with(*world.canaries.values.values()))
    result = world.run(["-v", *argv], expect=3, stdin=stdin.replace("{token}", token))
    assert "Traceback" in result.err and "RuntimeError" in result.err
    world.assert_all_clean(caplog)


def test_login_and_logout_with_a_token_canary(
    world: World, caplog: pytest.LogCaptureFixture, memory_keyring: Any
) -> None:
    token = world.canaries.values["GH_DEPLOY_TOKEN"]
    world.run(["login", "github"], stdin=token + "\n")
    assert memory_keyring.store[("secretsync", "github")] == token
    world.run(["-v", "login", "pulumi"], stdin=token + "\n", env={"PULUMI_ACCESS_TOKEN": token})
    world.run(["login", "github"], stdin=f"{token} {token}\n", expect=2)  # not a token
    world.run(["login", "github"], stdin=f"{token}\n{token}\n", expect=2)  # two lines
    world.run(["logout", "github"])
    world.run(["-v", "logout", "pulumi"])
    world.run(["logout", "github"])  # nothing stored any more: still 0
    assert not memory_keyring.store
    world.assert_all_clean(caplog)


def test_served_emulator_process_prints_no_value(world: World, tmp_path: Path) -> None:
    """``secretsync emulator`` as a user runs it: its own stdout and stderr stay clean
    while a sync and a push carry canaries through it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "PULUMI"))}
    seed = str(world.root / "config" / "secret_map.yaml")  # --seed: the ESC environments
    proc = subprocess.Popen(
        [sys.executable, "-m", "secretsync", "-v", "emulator", "--port", "0", "--seed", seed],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in first, first
        url = first.split("listening on ", 1)[1].split()[0].rstrip("/")
        environ = {
            **world.environ,
            "SECRETSYNC_GITHUB_API_URL": url,
            "SECRETSYNC_ESC_API_URL": url + "/api/esc",
        }
        world.environ = environ
        world.run(["push"])
        world.run(["sync", "--all"])
        world.run(["-v", "audit", "--all", "--values", "env"])
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode in (0, 130, -signal.SIGINT)
    world.canaries.assert_clean("emulator stdout", first + out)
    world.canaries.assert_clean("emulator stderr", err)


SETTINGS_MAP = (
    map_head(production="app-production")
    + """\
categories:
  app: app.secrets
secrets:
  OPENAI_API_KEY: {category: app, format: openai}
  DEPLOY_SSH_KEY: {category: app, type: pem}
  DB_PASSWORD: {category: app}
  WORKERS: {category: app, type: int}
  FEATURES: {category: app, type: json}
  CALLBACK_URL: {category: app, type: url}
"""
)


def test_settings_never_show_values(tmp_path: Path, canaries: Canaries) -> None:
    from secretsync.errors import SettingsError
    from secretsync.runtime import load_settings

    path = tmp_path / "secret_map.yaml"
    path.write_text(SETTINGS_MAP)
    c = canaries.values
    good = {
        "OPENAI_API_KEY": c["OPENAI_API_KEY"],
        "DEPLOY_SSH_KEY": c["DEPLOY_SSH_KEY"],
        "DB_PASSWORD": c["DB_PASSWORD"].replace("${", "$"),  # `${` would be a reference
        "WORKERS": "4",
        "FEATURES": '{"beta": true}',
        "CALLBACK_URL": f"https://user:{canaries.items['STRIPE_SECRET_KEY'].tag}@hooks.acme-ops.io/x",
    }
    settings = load_settings(path, "production", sources=["env"], environ=good)
    assert settings.openai_api_key.get_secret_value() == c["OPENAI_API_KEY"]  # type: ignore[attr-defined]
    for text in (repr(settings), str(settings), repr(settings.model_dump()),
                 settings.model_dump_json()):  # fmt: skip
        canaries.assert_clean("settings rendering", text)

    bad = {
        **good,
        "WORKERS": "CANARY-" + canaries.items["AWS_ACCESS_KEY_ID"].tag,  # not an int
        "FEATURES": '{"k": "' + canaries.items["SLACK_BOT_TOKEN"].tag + '"',  # not JSON
        "CALLBACK_URL": canaries.items["DB_PASSWORD"].value,  # not a URL
        "DEPLOY_SSH_KEY": "CANARY " + canaries.items["DEPLOY_SSH_KEY"].tag,  # not PEM armour
        "OPENAI_API_KEY": "sk-xxxxxxxxxxxxxxxxxxxxxxxx",
    }
    with pytest.raises(SettingsError) as caught:
        load_settings(path, "production", sources=["env"], environ=bad)
    exc = caught.value
    for text in (str(exc), repr(exc), str(exc.__cause__), repr(exc.__context__)):
        canaries.assert_clean("settings error", text)
    for name in ("workers", "features", "callback_url", "deploy_ssh_key", "openai_api_key"):
        assert name in str(exc).lower() or name.upper() in str(exc), (name, str(exc))


def test_library_objects_and_errors_never_show_values(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """reprs of what holds values, and the exceptions clients raise from echoing bodies."""
    import asyncio
    import io

    from secretsync.clients import EscClient, GitHubClient, RetryPolicy, Scope
    from secretsync.errors import SecretSyncError
    from secretsync.sync.sources import load_source

    world.run(["sync", "--all"])
    values = world.canaries.values
    source = load_source("json:-", {}, io.StringIO(json.dumps(values)))
    world.canaries.assert_clean("SourceValues repr", repr(source) + str(source))
    # A service that quotes what it was sent: the GitHub secret's value (as if it saw the
    # plaintext) and the ESC definition YAML, in a 422 message and 400 diagnostics.

    async def echo_secret(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        body = {"message": f"Invalid request. {values[name]} is not valid"}
        return httpx.Response(422, json=body, request=request)

    async def echo_yaml(request: httpx.Request) -> httpx.Response:
        sent = request.content.decode()
        diagnostics = [{"summary": f"cannot use {line}"} for line in sent.splitlines()]
        return httpx.Response(400, json={"message": sent, "diagnostics": diagnostics})

    rules = [
        Rule("PUT", "/actions/secrets/", echo_secret, times=100),
        Rule("PATCH", "/environments/", echo_yaml, times=100),
    ]
    transport = Interposer(world.emulator.transport(), rules)
    FAST = RetryPolicy(time_scale=0.002)

    async def go() -> list[str]:
        texts: list[str] = []
        async with EscClient(token="t", transport=transport, policy=FAST) as esc:
            definition = await esc.get_definition(
                ESC_ORG, ESC_PROJECT, ESC_ENVS["production"], decrypt=True
            )
            assert values["OPENAI_API_KEY"] in definition.yaml or "fromBase64" in definition.yaml
            texts += [repr(definition), str(definition), repr(esc)]
            try:
                await esc.update_definition(
                    ESC_ORG, ESC_PROJECT, ESC_ENVS["production"], definition.yaml,
                    etag=definition.etag,
                )  # fmt: skip
            except SecretSyncError as exc:
                texts += [str(exc), repr(exc), exc.message]
        async with GitHubClient(token="t", transport=transport, policy=FAST) as gh:
            for name, value in values.items():
                try:
                    await gh.put_secret(Scope.org("acme"), name, value)
                except SecretSyncError as exc:
                    texts += [str(exc), repr(exc), exc.message]
        return texts

    texts = asyncio.run(go())
    assert len(texts) == 3 + 3 + len(values) * 3  # every write failed, every failure seen
    for text in texts:
        world.canaries.assert_clean("library object or error", text)
    world.canaries.assert_records_clean(caplog.records)


@pytest.mark.skipif(
    importlib.util.find_spec("secretsync.demo.run") is None,
    reason="the demo does not exist yet",
)
def test_demo_prints_no_value(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The demo's own values (every one its scenario holds that is a real-looking secret)
    are the canaries: none may show in what it prints or logs."""
    import io
    import random

    from secretsync.cli.app import App
    from secretsync.demo.run import run_demo
    from secretsync.demo.scenario import build_scenario, demo_map_path
    from secretsync.map.load import load_map
    from secretsync.placeholders import Verdict, classify

    out, err = io.StringIO(), io.StringIO()
    app = App(environ={}, stdout=out, stderr=err, stdin=io.StringIO(), cwd=tmp_path)
    scenario = build_scenario(load_map(demo_map_path(app)), random.Random(20261122))
    secrets = {
        f"demo-{i}": value
        for i, value in enumerate(scenario.all_values())
        if classify(value).verdict is Verdict.SECRET and len(value) >= 8
    }
    assert len(secrets) >= 10, "the demo scenario holds too few values to be a test"
    canaries = Canaries(
        {name: Canary(name, value, value.strip()) for name, value in secrets.items()}
    )
    code = run_demo(app, scenario)
    assert code in (0, 1), err.getvalue()[-2000:]
    canaries.assert_clean("demo stdout", out.getvalue())
    canaries.assert_clean("demo stderr", err.getvalue())
    canaries.assert_records_clean(caplog.records)
    canaries.assert_tree_clean(tmp_path)


@pytest.fixture(autouse=True)
def _no_leftover_files(tmp_path: Path) -> Iterator[None]:
    yield
    stray = list(tmp_path.rglob("*.secretsync-tmp"))
    assert not stray, f"half-written output left behind: {stray}"


def _sharded_world(world: World) -> None:
    """The canary map with two sync repositories; GitHub holding every canary, visible to
    all (so `shards --apply` rewrites each with its value)."""
    map_file = world.root / "config" / "secret_map.yaml"
    map_file.write_text(
        map_file.read_text() + "sync:\n  repositories: [secrets-sync-1, secrets-sync-2]\n"
    )
    for repo in ("secrets-sync-1", "secrets-sync-2", "app"):
        world.emulator.add_repository("acme", repo)
    for name, value in world.canaries.values.items():
        world.emulator.seed_github_secret("orgs/acme", name, value, visibility="all")


def test_shards_on_good_days_and_bad(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sharded_world(world)
    out = world.root / "out"
    out.mkdir()
    values = world.root / "values.json"
    values.write_text(json.dumps(world.canaries.values))
    world.inputs.append(values)
    source = ["--source", f"json:{values}"]
    world.run(["shards"])
    world.run(["shards", "--format", "json", "-o", str(out / "shards.json")])
    world.run(["audit", "--all", "--fail-on", "never", "--format", "json"])

    # A service that echoes the request's values back in its refusal.
    rule = Rule("PUT", "/actions/secrets/", answer(422, {"message": _echo(world)}), times=100)
    for argv in (["shards", "--apply", *source], ["-v", "shards", "--apply", *source]):
        world.run(argv, expect=1, transport=_failing_world(world, [rule]))
    assert rule.hits
    # A bug deep in the apply, with every canary in its message.
    monkeypatch.setattr(
        "secretsync.clients.github.PublicKey.seal", _raise_with(*world.canaries.values.values())
    )
    failed = world.run(["-v", "shards", "--apply", *source], expect=3)
    assert "Traceback" in failed.err
    monkeypatch.undo()

    world.run(["shards", "--apply", *source, "--format", "json"])
    assert all(s["visibility"] == "selected" for s in world.emulator.state()["github"]["secrets"])
    for repo in ("secrets-sync-1", "secrets-sync-2"):
        world.run(["plan", "--all", "--shard", repo, "--format", "json"], expect={0, 1})
        world.run(["-v", "sync", "--all", "--shard", repo, "--prune"], expect={0, 1})
    world.run(["audit", "--all", "--values", "env", "--fail-on", "never", "--format", "sarif"])
    world.assert_all_clean(caplog)
