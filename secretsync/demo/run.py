"""``secretsync demo``: the whole cycle against an in-process emulator, explained.

The demo seeds a made-up organization from the map (:mod:`secretsync.demo.scenario`: fake
values made up for this run, never printed), then runs the REAL commands through
:func:`secretsync.cli.main.main` with the emulator's in-process transport and loopback URLs,
so what it shows is exactly what a user runs, and a settings load as a service does it.
Every step checks its exit code: a step that ends otherwise is a bug (exit 3).
"""

from __future__ import annotations

import io
import json
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from secretsync.cli.app import App
from secretsync.cli.main import main
from secretsync.demo.scenario import (
    LAST_SYNC_DAYS_AGO,
    Scenario,
    build_scenario,
    demo_map_path,
    packaged_map_path,
    seed,
)
from secretsync.emulator import Emulator
from secretsync.errors import SecretSyncError
from secretsync.map.load import MAP_ENV_VAR, load_map
from secretsync.masking import mask

__all__ = ["Demo", "StepRun", "run_demo"]

# Loopback URLs: credentials accept plain http only there, and no socket is ever opened
# (the in-process transport answers every request).
GITHUB_URL = "http://127.0.0.1:8900"
ESC_URL = "http://127.0.0.1:8900/api/esc"
PROVIDERS_URL = "http://127.0.0.1:8900/_providers"  # verify asks the emulator's facets
WIDTH = 88
# The docs are not installed with the package: point at where they are published.
DOCS_URL = "https://github.com/ai-cherry/secretsync/tree/main/docs"


@dataclass
class StepRun:
    """One command the demo ran: what it typed, what came back."""

    title: str
    argv: list[str]
    code: int
    output: str  # stdout and stderr as they came
    seconds: float


class Demo:
    """Runs the scenario's steps against one emulator, printing as it goes."""

    def __init__(self, app: App, sc: Scenario, map_path: Path) -> None:
        self.app, self.sc, self.map_path = app, sc, map_path
        # The installed copy's path is long and means nothing to a reader: say what it is.
        shipped = map_path == packaged_map_path()
        self.map_label = "the map shipped with secretsync" if shipped else str(map_path)
        self.emu = Emulator()
        self.runs: list[StepRun] = []
        # The emulator takes any token; these say what they are (scan: deliberate).
        self.environ = {
            MAP_ENV_VAR: str(map_path),
            "GH_TOKEN": "demo-github-token",  # secretsync: ignore
            "PULUMI_ACCESS_TOKEN": "demo-pulumi-token",  # secretsync: ignore
            "SECRETSYNC_GITHUB_API_URL": GITHUB_URL,
            "SECRETSYNC_ESC_API_URL": ESC_URL,
            "SECRETSYNC_PROVIDERS_URL": PROVIDERS_URL,
            "SECRETSYNC_ESC_TTL": "0",  # every settings load opens ESC again
            "NO_COLOR": "1",
        }
        app.redactor.add(sc.all_values())

    # -- output -----------------------------------------------------------------------
    def say(self, text: str) -> None:
        """A paragraph of explanation, wrapped."""
        paragraph = textwrap.fill(" ".join(text.split()), WIDTH, break_on_hyphens=False)
        self.app.stdout.write(self.app.redactor.redact(paragraph) + "\n\n")

    def heading(self, number: int, title: str) -> None:
        self.app.stdout.write(f"\n== {number}. {title} {'=' * max(3, WIDTH - len(title) - 8)}\n\n")

    def show(self, text: str) -> None:
        lines = self.app.redactor.redact(text).rstrip("\n").splitlines()
        self.app.stdout.write("".join(f"    {line}\n" for line in lines))

    # -- running the real commands --------------------------------------------------
    def github_json(self) -> str:
        """What ``${{ toJSON(secrets) }}`` gives a workflow: every secret GitHub holds."""
        found = {s["name"]: s["value"] for s in self.emu.state()["github"]["secrets"]}
        workflow_token = "demo-workflow-token"  # secretsync: ignore
        return json.dumps({**found, "github_token": workflow_token})

    def command(
        self, title: str, argv: list[str], expect: int, *, stdin: str = "", workflow: bool = False
    ) -> StepRun:
        """Run ``secretsync ARGV`` as a user would, show its output and exit code."""
        environ = dict(self.environ)
        if workflow:
            environ["SECRETSYNC_SECRETS_JSON"] = self.github_json()
        # One buffer for both streams keeps the order a terminal would show.
        buffer = io.StringIO()
        inner = App(
            environ=environ,
            stdout=buffer,
            stderr=buffer,
            stdin=io.StringIO(stdin),
            cwd=self.app.cwd,
            transport=self.emu.transport(),
            color=False,
        )
        inner.redactor.add(self.sc.all_values())
        shown = " ".join(argv) + (" < new-value.json" if stdin else "")
        prefix = "SECRETSYNC_SECRETS_JSON=... " if workflow else ""
        self.app.stdout.write(f"  $ {prefix}secretsync {shown}\n")
        started = time.perf_counter()
        code = main(argv, app=inner)
        output = self.app.redactor.redact(buffer.getvalue())
        run = StepRun(title, argv, code, output, time.perf_counter() - started)
        self.runs.append(run)
        self.show(run.output)
        self.app.stdout.write(f"  -> exit {code} ({run.seconds:.2f} s)\n\n")
        if code != expect:
            raise _unexpected(
                f"demo step {title!r}: `secretsync {' '.join(argv)}` exited {code}, "
                f"expected {expect}"
            )
        return run

    def load_settings(self, environment: str, expect_ok: bool) -> None:
        """What a service does at startup: settings from the synced ESC environment."""
        from secretsync.runtime import load_settings
        from secretsync.runtime.esc_source import clear_esc_cache

        self.app.stdout.write(
            f"  >>> load_settings(map_path, environment={environment!r}, sources=['esc'])\n"
        )
        environ = {k: self.environ[k] for k in ("PULUMI_ACCESS_TOKEN", "SECRETSYNC_ESC_API_URL")}
        environ["SECRETSYNC_ESC_TTL"] = "0"
        started = time.perf_counter()
        try:
            loaded = load_settings(
                self.map_path,
                environment,
                ["esc"],
                environ,
                transport=self.emu.transport(),
            )
        except SecretSyncError as exc:
            self.show(f"error: {exc.message}".replace("; ", ";\n  "))
            if expect_ok:
                raise _unexpected(f"demo step 'settings': {exc.message}") from None
            return
        finally:
            clear_esc_cache()
        if not expect_ok:
            raise _unexpected("demo step 'settings': a placeholder was accepted")
        rows = []
        for name in type(loaded).model_fields:
            value = getattr(loaded, name)
            kind = type(value).__name__
            shown = (
                mask(value.get_secret_value())
                if hasattr(value, "get_secret_value")
                else ("None" if value is None else mask(str(value)))
            )
            rows.append(f"{name:<26} {kind:<10} {shown}")
        rows.append(f"({len(rows)} fields, {time.perf_counter() - started:.2f} s)")
        self.show("\n".join(rows))
        self.app.stdout.write("\n")


def run_demo(app: App, scenario: Scenario | None = None) -> int:
    """The demo, start to end; 0 when every step ended the way it should."""
    started = time.perf_counter()
    map_path = demo_map_path(app)
    sc = scenario or build_scenario(load_map(map_path))
    demo = Demo(app, sc, map_path)
    seed(demo.emu, sc)
    for step, (title, body) in enumerate(_steps(sc), start=1):
        demo.heading(step, title)
        body(demo)
    total = time.perf_counter() - started
    requests = len(demo.emu.request_log())
    demo.say(
        f"Done in {total:.1f} s: {len(demo.runs)} commands and 2 settings loads, {requests} API "
        "requests, all answered in-process by the emulator; no credentials, no network. "
        "Next: `secretsync emulator` serves the same API on http://127.0.0.1:8900 for your "
        "own scripts and services; the real procedures are in SECRET_MANAGEMENT.md at "
        f"{DOCS_URL}, and every map key in MAP.md there."
    )
    return 0


Body = Callable[[Demo], None]


def _steps(sc: Scenario) -> Sequence[tuple[str, Body]]:
    smap = sc.smap
    n_secrets = len(smap.secrets)
    envs = ", ".join(f"{e} -> {v.esc_env}" for e, v in smap.environments.items())
    fix = {sc.placeholder: sc.fixes[sc.placeholder]}

    def intro(d: Demo) -> None:
        d.say(
            f"An in-process emulator of the GitHub Actions secrets API and the Pulumi ESC "
            f"API now holds the organization of {d.map_label}: {len(sc.values)} of its "
            f"{n_secrets} secrets in GitHub '{smap.github_org}', and the ESC environments "
            f"({envs}) as a sync {LAST_SYNC_DAYS_AGO} days ago left them. Every value is "
            "fake, made up for this run, and never printed: where one would appear you see "
            "a fingerprint or ••••••. Seeded for the demo to find: a placeholder "
            f"({sc.placeholder}), a stale secret ({sc.stale}), a secret rotated in GitHub "
            f"since the last sync ({sc.rotated}), a path in ESC whose secret the map dropped "
            f"({sc.orphan}), and a secret the map has but GitHub does not yet ({sc.new})."
        )

    def checklist(d: Demo) -> None:
        d.say(
            "`checklist` renders the map for a human: one line per secret with its GitHub "
            "scope, ESC path, exported variable, owner and age limit. Look at the scope "
            "column (org, repo or environment secrets) and the ESC path each value lands on. "
            "`--format sh` gives a `gh secret set` script that prompts for each value."
        )
        d.command("checklist", ["checklist"], 0)

    def push(d: Demo) -> None:
        d.say(
            f"{sc.new} is in the map but not in GitHub yet. `push` writes values into GitHub "
            "secrets at each secret's mapped scope, encrypted as a sealed box with the "
            "scope's public key. The value comes from a JSON file on stdin (never from the "
            "command line, which the shell history and `ps` would keep). Look at 'created' "
            "versus 'updated', and the scope each secret went to."
        )
        d.command(
            "push",
            ["push", "--only", sc.new, "--source", "json:-"],
            0,
            stdin=json.dumps({sc.new: sc.fixes[sc.new]}),
        )

    def plan(d: Demo) -> None:
        d.say(
            "The sync workflow hands secretsync every secret GitHub holds as "
            "SECRETSYNC_SECRETS_JSON=${{ toJSON(secrets) }}. `plan` compares those values "
            "with each ESC environment and writes nothing. Look at the action column: "
            f"'add' for {sc.new} (just pushed), 'change' for {sc.rotated} (rotated in "
            f"GitHub), 'orphan' for {sc.orphan} (kept unless you pass --prune). Old and new "
            "values show as fingerprints: equal fingerprints, equal values."
        )
        d.command("plan", ["plan", "--all"], 0, workflow=True)

    def sync(d: Demo) -> None:
        d.say(
            "`sync` applies that plan: one read and one conditional write (ETag) per ESC "
            "environment, each value as `fn::secret` plus its `environmentVariables` entry, "
            "and bookkeeping of what it manages and when GitHub last changed each secret. "
            f"Note {sc.placeholder}: its placeholder was in ESC before and is unchanged, so "
            "sync leaves it (it refuses only to write a new placeholder); that is the "
            "audit's job."
        )
        d.command("sync", ["sync", "--all"], 0, workflow=True)

    def audit(d: Demo) -> None:
        d.say(
            "`audit` is the pre-deploy gate: it reads GitHub's secret metadata, the decrypted "
            "ESC environments and the workflows, and checks them against the map. It exits 1 "
            "here, as it should: the placeholder is an error (a deploy would ship it); the "
            "stale secret and the orphan path are warnings. Look at the rule, the secret, "
            "the environment and where (system and path); never at a value."
        )
        d.command("audit", ["audit", "--all"], 1)

    def settings_before(d: Demo) -> None:
        d.say(
            "A service reads its settings from the map and the opened ESC environment "
            "instead of os.getenv. With a placeholder in ESC it refuses to start, with one "
            "error naming every bad field and the reason, never the value."
        )
        d.load_settings(next(iter(smap.environments)), expect_ok=False)

    def fixing(d: Demo) -> None:
        d.say(
            f"The fix, as the rotation procedure does it: push a real value for "
            f"{sc.placeholder} into GitHub, then sync. `--prune` also deletes the orphan "
            "path, which only ever touches paths sync itself manages (and refuses more "
            "than --max-deletes at once)."
        )
        d.command(
            "push (fix)",
            ["push", "--only", sc.placeholder, "--source", "json:-"],
            0,
            stdin=json.dumps(fix),
        )
        d.command("sync (fix)", ["sync", "--all", "--prune"], 0, workflow=True)
        d.say(
            "The audit again: the error is gone and it exits 0. The stale secret is still "
            "a warning (the default gate is --fail-on error; use --fail-on warning to "
            f"block on it too): rotate {sc.stale} the same way."
        )
        d.command("audit (after the fix)", ["audit", "--all"], 0)

    def verifying(d: Demo) -> None:
        revoked = sc.revoked
        if revoked is None:
            d.say("The map has no credential whose provider verify can ask; skipped.")
            return
        d.say(
            "The gate passed, yet a deploy can still fail: audit knows that each value is "
            "present, real-looking and fresh, not that its provider still accepts it. "
            "`verify` asks each credential's own provider, with its documented read-only "
            "request (GitHub GET /user, OpenAI GET /v1/models, Slack auth.test, ...), here "
            "answered by the emulator's provider facets. Look at the status column: "
            f"{revoked} was revoked at its provider, so it comes back 'rejected' and verify "
            "exits 1; secrets it cannot ask about say why (no format, a webhook, ...)."
        )
        d.command("verify", ["verify", "--all"], 1)
        fix = sc.fixes[revoked]
        d.say(
            f"Rotate it: issue a new {revoked} at the provider (the demo tells the emulator "
            "it is live), push it into GitHub and sync; then the gate with --verify, as a "
            "deploy would run it, passes."
        )
        d.command(
            "push (rotation)",
            ["push", "--only", revoked, "--source", "json:-"],
            0,
            stdin=json.dumps({revoked: fix}),
        )
        d.command("sync (rotation)", ["sync", "--all"], 0, workflow=True)
        d.command("audit --verify", ["audit", "--all", "--verify"], 0)

    def settings_after(d: Demo) -> None:
        d.say(
            "And the service starts: every field typed from the map (secrets as SecretStr, "
            "which never print), values opened from ESC. Shown: type and length only."
        )
        d.load_settings(next(iter(smap.environments)), expect_ok=True)

    return (
        ("the scenario", intro),
        ("checklist: what the map asks for", checklist),
        ("push: a new secret into GitHub", push),
        ("plan: what sync would change", plan),
        ("sync: GitHub values into ESC", sync),
        ("audit: the pre-deploy gate", audit),
        ("settings: a service starting", settings_before),
        ("fix the placeholder, sync, audit again", fixing),
        ("verify: does each credential still work?", verifying),
        ("settings again", settings_after),
    )


def _unexpected(message: str) -> SecretSyncError:
    """A step that did not end as the demo expects is a bug in secretsync: exit 3."""
    return SecretSyncError(message, hint="this is a bug in secretsync; rerun with -v and report it")
