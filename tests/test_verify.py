"""verify: each provider's documented request, against the emulator's provider facets over
real HTTP (and in-process); respx only where the exact wire shape at the real host matters.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from canary_support import Run, run_cli
from map_support import ACME_HEAD

from secretsync.clients.http import RetryPolicy
from secretsync.demo import values as demo_values
from secretsync.emulator import Emulator, Faults, ServedEmulator
from secretsync.map.load import load_map
from secretsync.verify import CATALOG, Status, Verifier, spec
from secretsync.verify.catalog import Check

# One secret per provider, plus what verify must never send anywhere.
FORMATS = {
    "GH_DEPLOY_TOKEN": "github",
    "PULUMI_TOKEN": "pulumi",
    "OPENAI_API_KEY": "openai",
    "ANTHROPIC_API_KEY": "anthropic",
    "SLACK_BOT_TOKEN": "slack_token",
    "STRIPE_SECRET_KEY": "stripe",
    "VERCEL_TOKEN": "vercel",
    "DOCKER_HUB_TOKEN": "dockerhub",
    "PINECONE_API_KEY": "pinecone",
    "SENDGRID_API_KEY": "sendgrid",
    "NPM_TOKEN": "npm",
    "GITLAB_TOKEN": "gitlab",
    "HF_TOKEN": "huggingface",
}
PROVIDER_OF = {name: "slack" if fmt == "slack_token" else fmt for name, fmt in FORMATS.items()}
MAP = (
    ACME_HEAD
    + "categories:\n  app: app.secrets\nsecrets:\n"
    + "".join(f"  {name}: {{category: app, format: {fmt}}}\n" for name, fmt in FORMATS.items())
    + "  DOCKER_HUB_USERNAME: {category: app, type: string}\n"
    + "  SLACK_WEBHOOK: {category: app, type: url, format: slack_webhook}\n"
    + "  DB_PASSWORD: {category: app}\n"
    + "  WORKERS: {category: app, type: int}\n"
)


def make_values(path: Path, seed: int = 5) -> dict[str, str]:
    smap = load_map(path)
    rng = random.Random(seed)
    values = {s.name: demo_values.fake_value(s, rng) for s in smap.secrets.values()}
    values["DOCKER_HUB_USERNAME"] = "acme-bot"
    values["WORKERS"] = "4"
    return values


@dataclass
class World:
    root: Path
    served: ServedEmulator
    values: dict[str, str]
    environ: dict[str, str]

    @property
    def emulator(self) -> Emulator:
        return self.served.emulator

    def mark_live(self, *names: str) -> None:
        for name in names:
            self.emulator.providers.accept(FORMATS[name], [self.values[name]])

    def run(self, argv: list[str], **env: str) -> Run:
        return run_cli(argv, {**self.environ, **env}, cwd=self.root)

    def verify_json(self, *argv: str, **env: str) -> tuple[int, dict[str, Any], Run]:
        scope = [] if "-e" in argv else ["--all"]
        run = self.run(["verify", *scope, "--values", "env", "--format", "json", *argv], **env)
        assert run.out, (run.code, run.err)
        return run.code, json.loads(run.out), run

    def provider_requests(self) -> list[dict[str, Any]]:
        return [e for e in self.emulator.request_log() if e["path"].startswith("/_providers/")]


@pytest.fixture
def world(tmp_path: Path, secretsync_emulator_server: ServedEmulator) -> World:
    for name in ("app-production", "app-staging"):
        secretsync_emulator_server.emulator.seed_esc_environment(
            "acme-esc", "default", name, "values:\n  region: eu\n"
        )
    root = tmp_path / "repo"
    (root / "config").mkdir(parents=True)
    path = root / "config" / "secret_map.yaml"
    path.write_text(MAP)
    values = make_values(path)
    environ = {
        "SECRETSYNC_GITHUB_API_URL": secretsync_emulator_server.github_url,
        "SECRETSYNC_ESC_API_URL": secretsync_emulator_server.esc_url,
        "SECRETSYNC_PROVIDERS_URL": secretsync_emulator_server.url + "/_providers",
        "SECRETSYNC_SECRETS_JSON": json.dumps(values),
        "SECRETSYNC_RETRY_SCALE": "0.002",
        "GH_TOKEN": "gh-test-token",
        "PULUMI_ACCESS_TOKEN": "pul-test-token",
        "NO_COLOR": "1",
    }
    return World(root, secretsync_emulator_server, values, environ)


def by_secret(doc: dict[str, Any], environment: str = "production") -> dict[str, dict[str, Any]]:
    return {r["secret"]: r for r in doc["results"] if r["environment"] == environment}


# --------------------------------------------------------------------- each provider


def test_each_provider_live_and_rejected_over_real_http(world: World) -> None:
    """Two runs: half the providers accept their credential, then the other half; each
    provider is seen answering both ways, with its own documented request."""
    names = sorted(FORMATS)
    halves = (names[::2], names[1::2])
    for live in halves:
        world.emulator.providers.reset()
        world.mark_live(*live)
        world.emulator.clear_request_log()
        code, doc, _ = world.verify_json("-e", "production")
        results = by_secret(doc)
        for name in names:
            expected = "live" if name in live else "rejected"
            assert results[name]["status"] == expected, (name, results[name])
            assert results[name]["provider"] == PROVIDER_OF[name]
        assert code == 1
        asked = sorted((e["path"].split("/")[2], e["method"]) for e in world.provider_requests())
        assert asked == sorted(
            (PROVIDER_OF[n], spec(PROVIDER_OF[n]).checks[-1].method) for n in names
        )


def test_all_live_exits_0_in_process_with_every_secret_reported(world: World) -> None:
    world.mark_live(*FORMATS)
    emu = world.emulator
    run = run_cli(
        ["verify", "--all", "--values", "env", "--format", "json"],
        world.environ,
        transport=emu.transport(),
        cwd=world.root,
    )
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["schema"] == "secretsync/verify/v1"
    assert set(doc["results"][0]) == {"secret", "environment", "provider", "status", "detail"}
    smap = load_map(world.root / "config" / "secret_map.yaml")
    # Never silently skipped: every mapped secret of every environment has a row.
    assert {(r["secret"], r["environment"]) for r in doc["results"]} == {
        (s.name, env) for env in smap.environments for s in smap.secrets_for(env)
    }
    statuses = {r["secret"]: r["status"] for r in doc["results"]}
    assert {statuses[n] for n in FORMATS} == {"live"}
    assert {statuses[n] for n in ("SLACK_WEBHOOK", "DB_PASSWORD", "WORKERS")} == {"unverifiable"}
    # Two environments hold the same values: each credential was asked once.
    assert len(world.provider_requests()) == len(FORMATS)
    assert doc["summary"] == {"live": 26, "rejected": 0, "unknown": 0, "unverifiable": 8,
                              "passed": True}  # fmt: skip


def test_a_webhook_is_never_called_and_says_why(world: World) -> None:
    world.mark_live(*FORMATS)
    code, doc, _ = world.verify_json()
    assert code == 0
    hook = by_secret(doc)["SLACK_WEBHOOK"]
    assert hook["status"] == "unverifiable" and "webhook" in hook["detail"]
    slack_calls = [e for e in world.provider_requests() if "/slack/" in e["path"]]
    assert [(e["method"], e["path"]) for e in slack_calls] == [
        ("POST", "/_providers/slack/api/auth.test")
    ]
    assert not any("hooks" in e["path"] for e in world.emulator.request_log())


def test_unverifiable_reasons_are_named(world: World) -> None:
    values = dict(world.values)
    values["OPENAI_API_KEY"] = world.values["STRIPE_SECRET_KEY"]  # right secret, wrong place
    values["NPM_TOKEN"] = "npm_" + "x" * 36  # a placeholder
    del values["GITLAB_TOKEN"]
    del values["DOCKER_HUB_USERNAME"]
    code, doc, _ = world.verify_json(SECRETSYNC_SECRETS_JSON=json.dumps(values))
    results = by_secret(doc)
    assert "does not look like a openai" in results["OPENAI_API_KEY"]["detail"]
    assert results["NPM_TOKEN"]["detail"].startswith("not sent:")
    assert "not in" in results["GITLAB_TOKEN"]["detail"]
    assert "DOCKER_HUB_USERNAME" in results["DOCKER_HUB_TOKEN"]["detail"]
    assert results["DB_PASSWORD"]["detail"] == "no `format:` in the map names its provider"
    assert results["WORKERS"]["detail"] == "type int: not a credential"
    for name in ("OPENAI_API_KEY", "NPM_TOKEN", "GITLAB_TOKEN", "DOCKER_HUB_TOKEN"):
        assert results[name]["status"] == "unverifiable"
    asked = {e["path"].split("/")[2] for e in world.provider_requests()}
    # The Stripe key under OPENAI_API_KEY went to neither OpenAI nor (twice) Stripe.
    assert not {"openai", "npm", "gitlab", "dockerhub"} & asked
    assert code == 1  # the others are still rejected


def test_unreachable_providers_are_unknown_for_all_and_do_not_block(world: World) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = {"SECRETSYNC_PROVIDERS_URL": f"http://127.0.0.1:{port}/_providers"}
    code, doc, _run = world.verify_json(**closed)
    verifiable = [r for r in doc["results"] if r["secret"] in FORMATS]
    assert len(verifiable) == 2 * len(FORMATS)
    assert {r["status"] for r in verifiable} == {"unknown"}
    assert all("could not reach" in r["detail"] for r in verifiable)
    assert code == 0 and doc["summary"]["passed"] is True
    strict, _, _ = world.verify_json("--strict", **closed)
    assert strict == 1


def test_a_failing_provider_is_retried_once_then_unknown(world: World) -> None:
    world.mark_live(*FORMATS)
    world.emulator.set_faults(Faults(fail_rate=1.0, fail_status=503))
    code, doc, _ = world.verify_json("-e", "production")
    assert {by_secret(doc)[n]["status"] for n in FORMATS} == {"unknown"}
    assert code == 0
    per_provider: dict[str, int] = {}
    for entry in world.provider_requests():
        provider = entry["path"].split("/")[2]
        per_provider[provider] = per_provider.get(provider, 0) + 1
    assert per_provider == dict.fromkeys(PROVIDER_OF.values(), 2)


def test_a_refused_override_is_exit_2_before_anything_is_read(world: World) -> None:
    for url in ("http://10.0.0.1/_providers", "https://api.example.com", "ftp://127.0.0.1/"):
        run = world.run(["verify", "--all"], SECRETSYNC_PROVIDERS_URL=url)
        assert run.code == 2, run.err
        assert run.err.startswith("error: $SECRETSYNC_PROVIDERS_URL")
        assert "Traceback" not in run.err
        run = world.run(["audit", "--all", "--verify"], SECRETSYNC_PROVIDERS_URL=url)
        assert run.code == 2, run.err
    assert world.emulator.request_log() == []


def test_values_from_esc_by_default(world: World) -> None:
    assert world.run(["sync", "--all"]).code == 0
    world.mark_live(*[n for n in FORMATS if n != "PULUMI_TOKEN"])
    world.emulator.clear_request_log()
    run = world.run(["verify", "-e", "staging"])
    assert run.code == 1, run.err
    rows = [line.split("\t") for line in run.out.splitlines() if "\t" in line]
    status = {row[1]: row[0] for row in rows}
    assert status["PULUMI_TOKEN"] == "rejected"
    assert {status[n] for n in FORMATS if n != "PULUMI_TOKEN"} == {"live"}
    assert rows[0][:2] == ["rejected", "PULUMI_TOKEN"]  # worst first
    assert "verify FAILED (staging): 12 live, 1 rejected, 0 unknown" in run.out
    log = world.emulator.request_log()
    assert [e["path"] for e in log if "/api/esc/" in e["path"]] == [
        "/api/esc/environments/acme-esc/default/app-staging/decrypt"
    ]


def test_source_needs_values_env_and_esc_needs_a_token(world: World) -> None:
    run = world.run(["verify", "--all", "--source", "env"])
    assert run.code == 2 and "--source is only read with --values env" in run.err
    env = {k: v for k, v in world.environ.items() if k != "PULUMI_ACCESS_TOKEN"}
    run = run_cli(["verify", "--all"], env, cwd=world.root)
    assert run.code == 2 and "no Pulumi token" in run.err
    # --values env needs no Pulumi token at all.
    run = run_cli(["verify", "--all", "--values", "env"], env, cwd=world.root)
    assert run.code == 1, run.err


# --------------------------------------------------------------- the engine's limits


def _question(name: str, value: str) -> tuple[Any, Check, str]:
    provider = spec(name)
    check = provider.check_for(value)
    assert check is not None
    return provider, check, value


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def test_retry_after_is_honoured_once_and_a_long_one_is_not_waited(world: World) -> None:
    answers = iter([httpx.Response(429, headers={"retry-after": "7"})])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or httpx.Response(200)

    async def go(transport: httpx.AsyncBaseTransport, sleep: Recorder) -> Any:
        environ = {"SECRETSYNC_PROVIDERS_URL": "http://127.0.0.1:9/_providers"}
        async with Verifier(environ, transport=transport, sleep=sleep) as verifier:
            return await verifier.verify(*_question("openai", world.values["OPENAI_API_KEY"]))

    sleep = Recorder()
    outcome = asyncio.run(go(httpx.MockTransport(handler), sleep))
    assert outcome.status is Status.LIVE and sleep.sleeps == [7.0]

    answers = iter([httpx.Response(503, headers={"retry-after": "4"})])
    sleep = Recorder()
    outcome = asyncio.run(go(httpx.MockTransport(handler), sleep))
    assert outcome.status is Status.LIVE and sleep.sleeps == [4.0]

    sleep = Recorder()
    forever = httpx.MockTransport(lambda r: httpx.Response(429, headers={"retry-after": "3600"}))
    outcome = asyncio.run(go(forever, sleep))
    assert outcome.status is Status.UNKNOWN and sleep.sleeps == []
    assert "rate limited" in outcome.detail and "3600" in outcome.detail


def test_a_redirect_is_never_followed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"location": "https://collector.example/steal"})

    async def go() -> Any:
        async with Verifier({}, transport=httpx.MockTransport(handler)) as verifier:
            return await verifier.verify(*_question("github", "ghp_" + "aB3dE6gH9j" * 3 + "kLmN0p"))

    outcome = asyncio.run(go())
    assert outcome.status is Status.UNKNOWN and "redirect" in outcome.detail
    assert seen == ["https://api.github.com/user"]


def test_at_most_three_calls_in_flight_per_provider() -> None:
    in_flight = peak = 0

    class Slow(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            for _ in range(5):  # let the other tasks run while this one is "on the wire"
                await asyncio.sleep(0)
            in_flight -= 1
            return httpx.Response(401)

    rng = random.Random(3)
    keys = ["sk-proj-" + "".join(rng.choice("abcdefghijkLMNOP0123456789") for _ in range(60))
            for _ in range(10)]  # fmt: skip

    async def go() -> list[Any]:
        async with Verifier({}, transport=Slow()) as verifier:
            return await asyncio.gather(
                *(verifier.verify(*_question("openai", key)) for key in keys)
            )

    outcomes = asyncio.run(go())
    assert [o.status for o in outcomes] == [Status.REJECTED] * 10
    assert peak == 3


def test_timeouts_and_dropped_connections_are_unknown() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    async def go(handler: Any) -> Any:
        policy = RetryPolicy(time_scale=0.001)
        async with Verifier({}, transport=httpx.MockTransport(handler), policy=policy) as v:
            return await v.verify(*_question("pulumi", "pul-" + "0a1b2c3d4e" * 4)), v

    outcome, verifier = asyncio.run(go(timeout))
    assert outcome.status is Status.UNKNOWN and "did not answer in time" in outcome.detail
    assert verifier.request_count == 2  # one retry


# ------------------------------------------------------- wire shapes at the real hosts


@respx.mock
def test_wire_shapes_at_the_real_hosts() -> None:
    slack = respx.post("https://slack.com/api/auth.test").respond(
        200, json={"ok": False, "error": "invalid_auth"}
    )
    anthropic = respx.get("https://api.anthropic.com/v1/models").respond(200, json={"data": []})
    pulumi = respx.get("https://api.pulumi.com/api/user").respond(401)
    docker = respx.post("https://hub.docker.com/v2/auth/token").respond(200, json={})
    vercel = respx.get("https://api.vercel.com/v2/user").respond(403)
    stripe = respx.get("https://api.stripe.com/v1/balance").respond(403)
    rng = random.Random(9)
    slack_token = "xoxb-" + "".join(rng.choice("0123456789") for _ in range(12)) + "-" + "".join(
        rng.choice("0123456789") for _ in range(13)) + "-" + "aZ3kQ9xW2mP7vL5nB8cR4tY6"  # fmt: skip
    anthropic_key = "sk-ant-api03-" + "".join(rng.choice("abcXYZ019-_") for _ in range(93)) + "AA"

    async def go() -> list[Any]:
        async with Verifier({}) as v:
            return [
                await v.verify(*_question("slack", slack_token)),
                await v.verify(*_question("anthropic", anthropic_key)),
                await v.verify(*_question("pulumi", "pul-" + "0a1b2c3d4e" * 4)),
                await v.verify(*_question("dockerhub", "dckr_pat_" + "aB3-x_Y9z" * 3), "acme-bot"),
                await v.verify(*_question("vercel", "aB3xY9qW7eR5tY2uI8oP4aSd")),
                await v.verify(*_question("stripe", "rk_live_" + "aB3xY9qW7eR5tY2u" * 2)),
            ]

    outcomes = [o.status for o in asyncio.run(go())]
    assert outcomes == [Status.REJECTED, Status.LIVE, Status.REJECTED, Status.LIVE,
                        Status.REJECTED, Status.LIVE]  # fmt: skip
    sent = slack.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {slack_token}" and sent.content == b""
    sent = anthropic.calls.last.request
    assert sent.headers["x-api-key"] == anthropic_key
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers
    sent = pulumi.calls.last.request
    assert sent.headers["authorization"].startswith("token pul-")
    assert sent.headers["accept"] == "application/vnd.pulumi+8"
    sent = docker.calls.last.request
    assert json.loads(sent.content) == {"identifier": "acme-bot",
                                        "secret": "dckr_pat_" + "aB3-x_Y9z" * 3}  # fmt: skip
    assert vercel.called and stripe.called


@respx.mock
def test_an_answer_body_never_reaches_the_detail() -> None:
    echo = "CANARY-echo-of-the-request-body"
    respx.post("https://slack.com/api/auth.test").respond(200, json={"ok": False, "error": echo})
    respx.get("https://api.openai.com/v1/models").respond(418, json={"error": {"message": echo}})

    async def go() -> list[Any]:
        async with Verifier({}) as v:
            return [
                await v.verify(*_question("slack", "xoxb-1234567890-9876543210-aZ3kQ9xW2mP7")),
                await v.verify(*_question("openai", "sk-proj-" + "Ab3dE" * 10)),
            ]

    for outcome in asyncio.run(go()):
        assert outcome.status is Status.UNKNOWN
        assert echo not in outcome.detail


def test_every_provider_cites_https_docs_and_uses_a_fixed_https_host() -> None:
    from secretsync import providers

    required = {"github", "pulumi", "openai", "anthropic", "slack", "stripe", "vercel",
                "dockerhub", "pinecone", "sendgrid", "npm", "gitlab", "huggingface"}  # fmt: skip
    assert {p.name for p in CATALOG} == required
    for provider in CATALOG:
        assert "/" not in provider.host and "." in provider.host
        assert Verifier({}).base_url(provider) == f"https://{provider.host}"
        assert set(provider.formats) <= providers.format_names()
        for check in provider.checks:
            assert check.docs and all(d.startswith("https://") for d in check.docs)
            assert check.path.startswith("/") and "://" not in check.path
            assert check.live.isdisjoint(check.rejected)
        assert provider.checks[-1].prefixes == ()  # a catch-all check ends the list


# ----------------------------------------------------------------------- audit --verify


def _audit(world: World, *argv: str, **env: str) -> tuple[int, list[dict[str, Any]]]:
    run = world.run(["audit", "--all", "--verify", "--format", "json", *argv], **env)
    assert run.out, (run.code, run.err)
    return run.code, json.loads(run.out)["findings"]


def test_audit_verify_adds_rejected_credential_exactly_for_the_rejected(world: World) -> None:
    assert world.run(["push"]).code == 0
    assert world.run(["sync", "--all"]).code == 0
    rejected = {"PULUMI_TOKEN", "STRIPE_SECRET_KEY"}
    world.mark_live(*(set(FORMATS) - rejected))
    assert world.run(["audit", "--all"]).code == 0  # the values look right: audit passes

    code, findings = _audit(world, "--fail-on", "never")
    assert code == 0
    verify_rules = [f for f in findings if f["rule"].endswith("-credential")]
    assert {(f["rule"], f["secret"], f["environment"], f["system"]) for f in verify_rules} == {
        ("rejected-credential", name, env, "esc")
        for name in rejected
        for env in ("production", "staging")
    }
    assert all(f["severity"] == "error" for f in verify_rules)
    assert all(f["location"].startswith("acme-esc/default/app-") for f in verify_rules)
    # The same answer verify gives on its own.
    doc = json.loads(world.run(["verify", "--all", "--format", "json"]).out)
    assert {(r["secret"], r["environment"]) for r in doc["results"] if r["status"] == "rejected"} \
        == {(f["secret"], f["environment"]) for f in verify_rules}  # fmt: skip
    assert _audit(world)[0] == 1  # the gate fails on them

    # With --values env the source is asked too (same values: no new request).
    before = len(world.provider_requests())
    _, findings = _audit(world, "--values", "env", "--fail-on", "never")
    source = {(f["secret"], f["environment"]) for f in findings
              if f["rule"] == "rejected-credential" and f["system"] == "source"}  # fmt: skip
    assert source == {(name, None) for name in rejected}
    assert len(world.provider_requests()) - before == len(FORMATS)


def test_audit_verify_with_unreachable_providers_warns_and_does_not_block(world: World) -> None:
    assert world.run(["push"]).code == 0
    assert world.run(["sync", "--all"]).code == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = {"SECRETSYNC_PROVIDERS_URL": f"http://127.0.0.1:{port}/_providers"}
    code, findings = _audit(world, **closed)
    unverified = [f for f in findings if f["rule"] == "unverified-credential"]
    assert {(f["secret"], f["environment"]) for f in unverified} == {
        (name, env) for name in FORMATS for env in ("production", "staging")
    }
    assert all(f["severity"] == "warning" for f in unverified)
    assert not [f for f in findings if f["rule"] == "rejected-credential"]
    assert code == 0
    assert _audit(world, "--fail-on", "warning", **closed)[0] == 1
