"""``secretsync emulator --seed MAP`` and the plugin's factory: an emulator that starts
holding what a map names, so push and sync work against it with no other set-up."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from canary_support import run_cli
from map_support import ACME_HEAD, write_map

from secretsync.demo.values import fake_value
from secretsync.emulator import Emulator
from secretsync.emulator.pytest_plugin import EmulatorFactory
from secretsync.map.load import load_map

ROOT = Path(__file__).resolve().parents[1]
AUTH = {"Authorization": "token any"}
SCOPED_MAP = (
    ACME_HEAD
    + """\
categories: {app: app}
secrets:
  ORG_KEY: {category: app}
  PICKED:
    category: app
    github: {scope: org, visibility: selected, repositories: [web, api]}
  REPO_KEY:
    category: app
    github: {scope: "repo:tools"}
  ENV_KEY:
    category: app
    environments: [production]
    github: {scope: "env:web/production"}
  ENV_KEY_TOO:
    category: app
    environments: [staging]
    github: {scope: "env:web/staging"}
"""
)


def test_seeding_creates_every_repository_environment_and_empty_esc_environment(
    tmp_path: Path,
) -> None:
    emu = Emulator()
    seeded = emu.seed_map(write_map(tmp_path, SCOPED_MAP))
    assert seeded.repositories == ["acme/web", "acme/api", "acme/tools"]
    assert seeded.environments == ["acme/web:production", "acme/web:staging"]
    assert seeded.esc_environments == [
        "acme-esc/default/app-production",
        "acme-esc/default/app-staging",
    ]
    repos = {r["full_name"]: r["environments"] for r in emu.state()["github"]["repositories"]}
    assert repos == {
        "acme/web": ["production", "staging"],
        "acme/api": [],
        "acme/tools": [],
    }
    esc = {e["name"]: (e["revision"], e["yaml"]) for e in emu.state()["esc"]["environments"]}
    assert esc == {"app-production": (1, ""), "app-staging": (1, "")}
    assert emu.state()["github"]["secrets"] == []  # no values: those are the user's
    assert "seeded GitHub environments: acme/web:production, acme/web:staging" in seeded.lines()


def test_seeding_twice_keeps_what_is_there(tmp_path: Path) -> None:
    emu = Emulator()
    smap = load_map(write_map(tmp_path, SCOPED_MAP))
    emu.seed_map(smap)
    emu.seed_esc_environment("acme-esc", "default", "app-production", "values:\n  a: 1\n")
    emu.seed_github_secret("repos/acme/tools", "KEEP", "v")
    emu.seed_map(smap)
    assert [s["name"] for s in emu.state()["github"]["secrets"]] == ["KEEP"]
    revisions = {e["name"]: e["revision"] for e in emu.state()["esc"]["environments"]}
    assert revisions["app-production"] == 2


def test_reset_returns_to_the_seeded_start(tmp_path: Path) -> None:
    emu = Emulator()
    emu.seed_map(write_map(tmp_path, SCOPED_MAP))
    start = emu.state()
    emu.seed_github_secret("repos/acme/web/environments/production", "GONE", "v")
    emu.add_repository("acme", "extra")
    emu.seed_esc_environment("acme-esc", "default", "app-staging", "values:\n  a: 1\n")
    with httpx.Client(transport=emu.transport(), base_url="https://api.github.com") as client:
        assert client.post("/_emulator/reset").status_code == 204
    after = emu.state()
    assert after["github"]["secrets"] == []
    names = [r["full_name"] for r in after["github"]["repositories"]]
    assert names == [r["full_name"] for r in start["github"]["repositories"]]
    assert {e["name"]: e["yaml"] for e in after["esc"]["environments"]} == {
        "app-production": "",
        "app-staging": "",
    }


def test_the_factory_serves_a_seeded_emulator(
    secretsync_emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    path = write_map(tmp_path, SCOPED_MAP)
    served = secretsync_emulator_factory(seed=path, serve=True)
    plain = secretsync_emulator_factory()
    with httpx.Client(base_url=served.url, headers=AUTH) as client:
        assert client.get("/repos/acme/web/environments/staging").status_code == 200
        listed = client.get("/api/esc/environments/acme-esc").json()["environments"]
        assert [e["name"] for e in listed] == ["app-production", "app-staging"]
    assert plain.state()["github"]["repositories"] == []


def test_cli_refuses_a_bad_seed_map_in_one_line(tmp_path: Path) -> None:
    bad = write_map(tmp_path, ACME_HEAD + "secrets:\n  GITHUB_NOPE: {}\n")
    result = run_cli(["emulator", "--port", "0", "--seed", str(bad)], {})
    assert result.code == 2
    assert result.out == ""
    assert f"{bad}:" in result.err and "Traceback" not in result.err


def _values(map_path: Path) -> dict[str, str]:
    rng = random.Random(15)
    return {s.name: fake_value(s, rng) for s in load_map(map_path).secrets.values()}


def test_served_seed_then_push_and_sync_work_with_no_other_setup(tmp_path: Path) -> None:
    """The shipped map, as a user would run it: emulator --seed, then push, then sync."""
    map_path = ROOT / "config" / "secret_map.yaml"
    values = _values(map_path)
    source = tmp_path / "values.json"
    source.write_text(json.dumps(values), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "PULUMI"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "secretsync", "emulator", "--port", "0", "--seed", str(map_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        export = proc.stdout.readline()
        assert export.startswith(f"export SECRETSYNC_GITHUB_API_URL={url} ")
        environ = dict(
            item.split("=", 1) for item in export.split("#")[0].split()[1:]
        )  # exactly what the line tells a user to export
        environ.update(
            SECRETSYNC_MAP=str(map_path),
            GH_TOKEN="anything",
            PULUMI_ACCESS_TOKEN="anything",
            SECRETSYNC_RETRY_SCALE="0.01",
        )
        pushed = run_cli(["push", "--source", f"json:{source}"], environ)
        assert pushed.code == 0, pushed.err
        synced = run_cli(["sync", "--all", "--source", f"json:{source}"], environ)
        assert synced.code == 0, synced.err
        again = run_cli(["plan", "--all", "--exit-code", "--source", f"json:{source}"], environ)
        assert again.code == 0, again.out + again.err
        state = httpx.get(f"{url}/_emulator/state").json()
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=10)
    assert {s["name"]: s["value"] for s in state["github"]["secrets"]} == values
    decrypted = {e["name"]: e["yaml_decrypted"] for e in state["esc"]["environments"]}
    assert set(decrypted) == {"sophia-ai-production", "sophia-ai-staging"}
    assert values["OPENAI_API_KEY"] in decrypted["sophia-ai-staging"]
    assert "seeded ESC environments (empty)" in err
    for value in values.values():
        assert value not in err


@pytest.mark.parametrize("host", ["0.0.0.0"])
def test_the_export_line_names_a_loopback_address_for_an_all_interfaces_bind(host: str) -> None:
    from secretsync.cli.commands.emulator import export_line

    line = export_line(f"http://{host}:8900")
    assert line.startswith("export SECRETSYNC_GITHUB_API_URL=http://127.0.0.1:8900 ")
    assert "SECRETSYNC_ESC_API_URL=http://127.0.0.1:8900/api/esc" in line


def test_emulator_help_says_how_to_point_secretsync_and_gh_at_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from secretsync.cli.commands.emulator import DESCRIPTION

    text = " ".join(DESCRIPTION.split())
    for needed in (
        "SECRETSYNC_GITHUB_API_URL=http://127.0.0.1:8900",
        "SECRETSYNC_ESC_API_URL=http://127.0.0.1:8900/api/esc",
        "Any token works",
        "sync never creates an ESC environment",
        "--seed MAP",
        "/api/esc/environments/ORG",  # how to make one by hand
        "GH_HOST=github.localhost",
    ):
        assert needed in text, needed
    shown = run_cli(["emulator", "--help"], {})
    printed = " ".join(capsys.readouterr().out.split())  # argparse prints help itself
    assert shown.code == 0 and "--seed MAP" in printed and "Any token works" in printed
