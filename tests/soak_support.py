"""One soak trial: sync or push against the served emulator while faults fly and another
writer keeps editing, then every invariant the issue names is checked.

Shared by ``tests/test_soak.py`` (a fixed, small set of seeds) and
``benchmarks/soak_bench.py`` (many more). Invariants checked after each trial:

1. each ESC environment is exactly as before or exactly as a clean sync leaves it (never
   half-applied); each GitHub secret holds its old or its new value;
2. the other writer's confirmed changes are all still there;
3. the exit code is 0 exactly when everything landed (and only 0 or 1). At the issue's
   fault rates (30 % drops, 30 % 503s) both directions are checked. Past them (the 70 %
   trials) only "exit 0 means it landed": a write whose answer was lost is confirmed by one
   more read of up to twice the usual attempts, and at 70 % 503s plus 30 % drops all of
   those fail about one time in ten (0.79^10), so an honest exit 1 over a landed write is
   expected there;
4. stderr is clean: no traceback, a failure says ``error:`` once per failed target, each
   line one readable line;
5. no value appears on stdout or stderr.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import yaml
from canary_support import Run, run_cli
from sync_support import records_without_times

from secretsync.emulator import Emulator, Faults, ServedEmulator
from secretsync.sync.definition import EscDefinition

__all__ = ["NEW", "OLD", "Soak", "Trial"]

SCALE = "0.005"  # client waits x SCALE (see the fault matrix)
ORG, PROJECT, GH_ORG = "acme-esc", "default", "acme"
ENVS = {"production": "app-production", "staging": "app-staging"}
WRITER_ENV = "app-staging"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
MAP = """\
version: 1
github: {org: acme}
esc: {org: acme-esc, project: default}
environments:
  production: {esc_env: app-production}
  staging: {esc_env: app-staging}
categories:
  app: app.secrets
secrets:
  API_TOKEN: {category: app}
  DB_PASSWORD: {category: app, env_var: DATABASE_PASSWORD}
  SIGNING_KEY: {category: app, environments: [production]}
"""
PATHS = {
    "API_TOKEN": "app.secrets.api_token",
    "DB_PASSWORD": "app.secrets.db_password",
    "SIGNING_KEY": "app.secrets.signing_key",
}
OLD = {
    "API_TOKEN": "tok_soakOLDnBRNsp3EaBNeBMoh",
    "DB_PASSWORD": "old$soak-Pa55-w0rd-Qz7%x",
    "SIGNING_KEY": "sig_soakOLD_9f8e7d6c5b4a3210",
}
NEW = {
    "API_TOKEN": "tok_soakNEWVJ7VFFzkxsg8Xhym",
    "DB_PASSWORD": "new$${soak}-wörd-Zx8\u2028",
    "SIGNING_KEY": "sig_soakNEW_q8Zt3kLw9XpV2mRb",
}
FOREIGN = "other_team"


@dataclass
class Trial:
    """What one trial did and every invariant it broke (empty: all held)."""

    command: str
    seed: int
    code: int = -1
    landed: bool = False
    writer_edits: int = 0
    faults_seen: int = 0
    confirmable: bool = True  # faults mild enough that a landed write must be confirmed
    violations: list[str] = field(default_factory=list)


def _shape(text: str) -> Any:
    """A definition minus sync's timestamps and the other writer's key."""
    document = yaml.safe_load(text) or {}
    values = document.get("values") or {}
    values.pop(FOREIGN, None)
    return records_without_times(document)


def _holds(text: str, env: str, values: dict[str, str]) -> bool:
    definition = EscDefinition.parse(text)
    names = [n for n in PATHS if n != "SIGNING_KEY" or env == "app-production"]
    return all(definition.secret_value(PATHS[n]) == values[n] for n in names)


class _Writer:
    """Another team's client, over HTTP: edits its own key every ``period`` seconds and
    remembers each edit the emulator confirmed (a lost answer is not a confirmation)."""

    def __init__(self, served: ServedEmulator, command: str, period: float, seed: int) -> None:
        self.served, self.command, self.period = served, command, period
        self.confirmed: list[str] = []
        self.sent: list[str] = []
        self._stop = threading.Event()
        self.started = threading.Event()  # set at its first confirmed edit
        self._rng = random.Random(seed)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Writer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        headers = {"Authorization": "token other-team"}
        with httpx.Client(base_url=self.served.url, headers=headers, timeout=10) as client:
            while not self._stop.wait(self.period * self._rng.uniform(0.5, 1.5)):
                # A dropped answer: the edit may or may not have landed; not confirmed.
                with contextlib.suppress(httpx.HTTPError):
                    self._edit(client)

    def _edit(self, client: httpx.Client) -> None:
        if self.command == "push":
            value = f"theirs-{len(self.sent)}-7Hq2Lp9X"
            self.sent.append(value)
            self.served.emulator.seed_github_secret(f"orgs/{GH_ORG}", "OTHER_TEAM_TOKEN", value)
            self.confirmed.append(value)
            self.started.set()
            return
        path = f"/api/esc/environments/{ORG}/{PROJECT}/{WRITER_ENV}"
        current = client.get(path + "/decrypt")
        if current.status_code != 200:
            return
        document = yaml.safe_load(current.text) or {}
        key = f"edit_{len(self.sent)}"
        self.sent.append(key)
        document.setdefault("values", {}).setdefault(FOREIGN, {})[key] = "on"
        answer = client.patch(
            path,
            content=yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode(),
            headers={"ETag": current.headers["etag"], "Content-Type": "application/x-yaml"},
        )
        if answer.status_code == 200:
            self.confirmed.append(key)
            self.started.set()


class Soak:
    """The served emulator, a map, and the reference definitions every trial is judged by."""

    def __init__(self, served: ServedEmulator, folder: Path) -> None:
        self.served, self.emu = served, served.emulator
        self.map_file = folder / "secret_map.yaml"
        self.map_file.write_text(MAP)
        self.old_yaml = self._reference(OLD)

    def _reference(self, values: dict[str, str]) -> dict[str, str]:
        emu = Emulator()
        self._seed(emu, {})
        result = run_cli(["sync", "--all"], self._environ(values), transport=emu.transport())
        assert result.code == 0, result.err
        return {e["name"]: e["yaml_decrypted"] for e in emu.state()["esc"]["environments"]}

    def _seed(self, emu: Emulator, definitions: dict[str, str]) -> None:
        emu.reset()
        emu.clock.set(T0)
        for name, value in OLD.items():
            emu.seed_github_secret(f"orgs/{GH_ORG}", name, value, updated_at=T0)
        emu.clock.set(NOW)
        for name in ENVS.values():
            emu.seed_esc_environment(
                ORG, PROJECT, name, definitions.get(name, "values:\n  region: eu\n")
            )

    def _environ(
        self, values: dict[str, str], served: ServedEmulator | None = None
    ) -> dict[str, str]:
        environ = {
            "SECRETSYNC_MAP": str(self.map_file),
            "PULUMI_ACCESS_TOKEN": "pul-soak-token",
            "GH_TOKEN": "gh-soak-token",
            "SECRETSYNC_SECRETS_JSON": json.dumps(values),
            "SECRETSYNC_RETRY_SCALE": SCALE,
        }
        if served is not None:
            environ["SECRETSYNC_GITHUB_API_URL"] = served.github_url
            environ["SECRETSYNC_ESC_API_URL"] = served.esc_url
        return environ

    @contextmanager
    def _faults(self, faults: Faults) -> Iterator[None]:
        self.emu.set_faults(faults)
        try:
            yield
        finally:
            self.emu.set_faults(Faults())

    def trial(
        self,
        command: str,
        seed: int,
        *,
        drop_rate: float = 0.3,
        fail_rate: float = 0.3,
        writer_period: float = 0.02,
    ) -> Trial:
        """One run of ``command`` (``sync`` or ``push``) under faults beside a writer."""
        self._seed(self.emu, self.old_yaml)
        trial = Trial(command, seed, confirmable=fail_rate <= 0.3 and drop_rate <= 0.3)
        argv = ["sync", "--all", "--format", "json"] if command == "sync" else ["push"]
        faults = Faults(drop_rate=drop_rate, fail_rate=fail_rate, fail_status=503, seed=seed)
        self.emu.clear_request_log()
        with _Writer(self.served, command, writer_period, seed) as writer:
            writer.started.wait(5)  # the run starts with the other writer already busy
            with self._faults(faults):
                result = run_cli(argv, self._environ(NEW, self.served))
        trial.code, trial.writer_edits = result.code, len(writer.confirmed)
        trial.faults_seen = sum(1 for e in self.emu.request_log() if e["fault"])
        if command == "sync":
            self._judge_sync(trial, writer)
        else:
            self._judge_push(trial, writer)
        self._judge_output(trial, result)
        return trial

    def _judge_sync(self, trial: Trial, writer: _Writer) -> None:
        state = {e["name"]: e["yaml_decrypted"] for e in self.emu.state()["esc"]["environments"]}
        new_shapes = self._new_shapes(state)
        landed = []
        for env, text in state.items():
            shape = _shape(text)
            if shape == _shape(self.old_yaml[env]):
                landed.append(False)
                if not _holds(text, env, OLD):
                    trial.violations.append(f"{env}: old shape, but not the old values")
            elif shape == new_shapes[env] and _holds(text, env, NEW):
                landed.append(True)
            else:
                trial.violations.append(f"{env}: half-applied (neither old nor new)")
        kept = (yaml.safe_load(state[WRITER_ENV])["values"] or {}).get(FOREIGN) or {}
        lost = [key for key in writer.confirmed if key not in kept]
        if lost:
            trial.violations.append(f"the other writer's confirmed edits were lost: {lost}")
        trial.landed = all(landed) and len(landed) == len(ENVS)

    def _new_shapes(self, state: dict[str, str]) -> dict[str, Any]:
        """What a clean sync of NEW leaves, from a reference emulator (computed once)."""
        if not hasattr(self, "_new"):
            emu = Emulator()
            self._seed(emu, self.old_yaml)
            run = run_cli(["sync", "--all"], self._environ(NEW), transport=emu.transport())
            assert run.code == 0, run.err
            self._new = {
                e["name"]: _shape(e["yaml_decrypted"]) for e in emu.state()["esc"]["environments"]
            }
        return self._new

    def _judge_push(self, trial: Trial, writer: _Writer) -> None:
        values = {s["name"]: s["value"] for s in self.emu.state()["github"]["secrets"]}
        landed = []
        for name in NEW:
            if values.get(name) == NEW[name]:
                landed.append(True)
            elif values.get(name) == OLD[name]:
                landed.append(False)
            else:
                trial.violations.append(f"{name}: neither its old nor its new value")
        if writer.confirmed:
            last = writer.sent.index(writer.confirmed[-1])
            if values.get("OTHER_TEAM_TOKEN") not in writer.sent[last:]:
                trial.violations.append("the other writer's secret was lost or rolled back")
        trial.landed = all(landed)

    def _judge_output(self, trial: Trial, result: Run) -> None:
        if trial.code not in (0, 1):
            trial.violations.append(f"exit {trial.code}: {result.err.strip()[:300]}")
        missed = trial.code != 0 and trial.landed and trial.confirmable
        if (trial.code == 0 and not trial.landed) or missed:
            trial.violations.append(
                f"exit {trial.code} but {'everything' if trial.landed else 'not all'} landed: "
                + result.err.strip()[:300]
            )
        if "Traceback" in result.err:
            trial.violations.append("a traceback on stderr")
        errors = [line for line in result.err.splitlines() if line.startswith("error:")]
        if trial.code == 1 and not errors:
            trial.violations.append("exit 1 without an error line")
        if trial.code == 0 and errors:
            trial.violations.append(f"exit 0 with an error line: {errors[0][:200]}")
        if len(errors) > len(ENVS):
            trial.violations.append(f"{len(errors)} error lines for {len(ENVS)} targets")
        if any(len(line) > 600 for line in result.err.splitlines()):
            trial.violations.append("an stderr line longer than 600 characters")
        for value in (*OLD.values(), *NEW.values()):
            if value in result.out or value in result.err:
                trial.violations.append("a value was printed")
                break
