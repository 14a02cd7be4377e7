"""``push --source esc:ENV`` and ``push --dry-run``, against the served emulator.

The emulator really decrypts the sealed boxes, so its state shows the value GitHub holds;
its request log shows what was sent (a dry run sends no write).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from canary_support import run_cli
from map_support import write_map
from sync_support import SYNC_MAP, pem, seed_app_environments

from secretsync.emulator import Faults, ServedEmulator

VALUES = {
    "OPENAI_API_KEY": "sk-canaryESC7Hq2Lp9Xv4$Mz8Wk3$$x",
    "DB_PASSWORD": "pa$$w0rd\n${not.a.ref}\r\n é ü 🎉 中文\u2028",
    "DEPLOY_KEY": pem(7),
}
WRITES = {"PUT", "POST", "PATCH", "DELETE"}


@pytest.fixture
def served(secretsync_emulator_server: ServedEmulator) -> ServedEmulator:
    emu = secretsync_emulator_server.emulator
    seed_app_environments(emu, "values:\n  region: eu\n")
    emu.add_repository("acme", "web")
    return secretsync_emulator_server


def _environ(served: ServedEmulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "SECRETSYNC_MAP": str(write_map(tmp_path, SYNC_MAP)),
        "SECRETSYNC_GITHUB_API_URL": served.github_url,
        "SECRETSYNC_ESC_API_URL": served.esc_url,
        "PULUMI_ACCESS_TOKEN": "pul-test-token",
        "GH_TOKEN": "gh-test-token",
        **extra,
    }


def _github(served: ServedEmulator) -> dict[str, str]:
    return {s["name"]: s["value"] for s in served.emulator.state()["github"]["secrets"]}


def _sync_into_esc(served: ServedEmulator, tmp_path: Path) -> dict[str, str]:
    environ = _environ(served, tmp_path, SECRETSYNC_SECRETS_JSON=json.dumps(VALUES))
    assert run_cli(["sync", "-e", "production"], environ).code == 0
    environ.pop("SECRETSYNC_SECRETS_JSON")
    return environ


def test_push_from_esc_puts_the_values_byte_for_byte(
    served: ServedEmulator, tmp_path: Path
) -> None:
    environ = _sync_into_esc(served, tmp_path)
    served.emulator.clear_request_log()
    result = run_cli(["push", "--source", "esc:production", "--format", "json"], environ)
    assert result.code == 0, result.err
    assert _github(served) == VALUES
    reads = [e for e in served.emulator.request_log() if "/api/esc/" in e["path"]]
    assert [(e["method"], e["path"].rsplit("/", 2)[-2:]) for e in reads] == [
        ("GET", ["app-production", "decrypt"])
    ]
    document = json.loads(result.out)
    assert sorted(document["created"]) == sorted(VALUES)
    for value in VALUES.values():
        assert value not in result.out + result.err


def test_literals_and_plain_strings_read_as_esc_gives_them(
    served: ServedEmulator, tmp_path: Path
) -> None:
    served.emulator.seed_esc_environment(
        "acme-esc",
        "default",
        "app-production",
        "values:\n  app:\n    ai:\n"
        '      openai_api_key: {fn::secret: "lit$$eral$x"}\n'
        "      db_password: 'plain$$text'\n"
        "      deploy_key: 'has ${app.ai.db_password} in it'\n",
    )
    result = run_cli(["push", "--source", "esc:production"], _environ(served, tmp_path))
    assert result.code == 1
    # fn::secret is kept as written; a plain string's $$ is ESC's escaped $.
    assert _github(served) == {"OPENAI_API_KEY": "lit$$eral$x", "DB_PASSWORD": "plain$text"}
    assert (
        "DEPLOY_KEY: app.ai.deploy_key in ESC environment acme-esc/default/app-production "
        "holds an interpolation of other values; not pushed"
    ) in result.err


def test_a_secret_missing_from_esc_is_reported_and_the_rest_pushed(
    served: ServedEmulator, tmp_path: Path
) -> None:
    environ = _sync_into_esc(served, tmp_path)
    served.emulator.seed_esc_environment(
        "acme-esc",
        "default",
        "app-production",
        'values:\n  app:\n    ai:\n      openai_api_key: {fn::secret: "sk-only9Xv4Mz8Wk3Lp"}\n',
    )
    result = run_cli(["push", "--source", "esc:production"], environ)
    assert result.code == 1
    assert "DB_PASSWORD: app.ai.db_password is not in ESC environment" in result.err
    assert "DEPLOY_KEY: app.ai.deploy_key is not in ESC environment" in result.err
    assert _github(served)["OPENAI_API_KEY"] == "sk-only9Xv4Mz8Wk3Lp"


def test_placeholders_in_esc_are_refused_the_same_way(
    served: ServedEmulator, tmp_path: Path
) -> None:
    served.emulator.seed_esc_environment(
        "acme-esc",
        "default",
        "app-production",
        'values:\n  app:\n    ai:\n      openai_api_key: {fn::secret: "changeme"}\n',
    )
    result = run_cli(
        ["push", "--source", "esc:production", "--only", "OPENAI_API_KEY"],
        _environ(served, tmp_path),
    )
    assert result.code == 1
    assert "refused to push placeholder or empty values: OPENAI_API_KEY" in result.err
    assert _github(served) == {}


def test_esc_source_flags_are_checked(served: ServedEmulator, tmp_path: Path) -> None:
    environ = _environ(served, tmp_path)
    unknown = run_cli(["push", "--source", "esc:qa"], environ)
    assert unknown.code == 2 and "unknown environment 'qa'" in unknown.err
    other = run_cli(["push", "--source", "esc:production", "-e", "staging"], environ)
    assert other.code == 2 and "would push another environment's secrets" in other.err
    assert not [e for e in served.emulator.request_log() if e["method"] in WRITES]


@pytest.mark.parametrize("source", ["json", "esc"])
def test_dry_run_says_what_each_secret_would_get_and_writes_nothing(
    served: ServedEmulator, tmp_path: Path, source: str
) -> None:
    environ = _sync_into_esc(served, tmp_path)
    served.emulator.seed_github_secret("orgs/acme", "OPENAI_API_KEY", "old")
    if source == "json":
        (tmp_path / "values.json").write_text(json.dumps(VALUES), encoding="utf-8")
        spec = f"json:{tmp_path / 'values.json'}"
    else:
        spec = "esc:production"
    served.emulator.clear_request_log()
    before = _github(served)
    text = run_cli(["push", "--source", spec, "--dry-run"], environ)
    as_json = run_cli(["push", "--source", spec, "--dry-run", "--format", "json"], environ)
    assert text.code == as_json.code == 0, text.err
    assert not [e for e in served.emulator.request_log() if e["method"] in WRITES]
    assert _github(served) == before
    planned = {p["secret"]: p for p in json.loads(as_json.out)["planned"]}
    assert {name: p["action"] for name, p in planned.items()} == {
        "OPENAI_API_KEY": "update",
        "DB_PASSWORD": "create",
        "DEPLOY_KEY": "create",
    }
    assert planned["DEPLOY_KEY"]["scope"] == "repository acme/web"
    if source == "esc":
        assert planned["DB_PASSWORD"]["from"] == (
            "ESC acme-esc/default/app-production at app.ai.db_password"
        )
        assert "would create  DB_PASSWORD  (organization acme)  from ESC" in text.out
    else:
        assert planned["DB_PASSWORD"]["from"] == str(tmp_path / "values.json")
    assert "nothing written" in text.out
    for value in VALUES.values():
        assert value not in text.out + text.err + as_json.out


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_says_what_was_already_written(served: ServedEmulator, tmp_path: Path) -> None:
    """A real process, a real SIGINT, while GitHub's write limit paces the writes."""
    # Each request waits 1.5 s, so the signal sent just after the first write lands meets
    # the second one under way, however slowly a loaded machine polls (at 300 ms the push
    # sometimes finished first on CI).
    served.emulator.set_faults(Faults(latency_ms=1500))
    environ = {
        **os.environ,
        **_environ(served, tmp_path, SECRETSYNC_SECRETS_JSON=json.dumps(VALUES)),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "secretsync", "push"],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal delivers it: a disposition the test worker inherited (an
        # ignored SIGINT) would otherwise pass to the child and the signal never arrive.
        preexec_fn=_default_sigint,
    )
    try:
        for _ in range(600):  # wait (at most a minute) for the first write to land
            if _github(served):
                break
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130
    landed = set(_github(served))
    assert landed and len(landed) < len(VALUES)
    line = next(x for x in err.splitlines() if x.startswith("interrupted after"))
    named = set(line.split(": ", 1)[1].split(", ")) if ": " in line else set()
    # Every write that landed is named, or was the one under way.
    in_flight = {x.split()[3] for x in err.splitlines() if "was under way" in x}
    assert named <= landed <= named | in_flight
    assert "Traceback" not in err
    for value in VALUES.values():
        assert value not in out + err
