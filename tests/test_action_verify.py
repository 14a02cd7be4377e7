"""The composite action's and the sync workflow's opt-in ``verify``: their bash, run for real
with a stand-in ``secretsync`` on PATH that records its arguments."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _stub(folder: Path) -> Path:
    """A ``secretsync`` that writes one argument per line to $ARGS_FILE."""
    stub = folder / "bin" / "secretsync"
    stub.parent.mkdir()
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_FILE"\n')
    stub.chmod(0o755)
    return stub.parent


def _run(script: str, folder: Path, env: dict[str, str]) -> tuple[int, list[str], str]:
    args_file = folder / "args"
    bin_dir = folder / "bin" if (folder / "bin").exists() else _stub(folder)
    environ = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "ARGS_FILE": str(args_file),
        "GITHUB_STEP_SUMMARY": str(folder / "summary.md"),
        **env,
    }
    done = subprocess.run(
        ["bash", "-c", script], env=environ, cwd=folder, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    argv = args_file.read_text().splitlines() if args_file.exists() else []
    return done.returncode, argv, done.stderr


def _action_script() -> str:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["inputs"]["verify"]["default"] == "false"
    (step,) = [s for s in action["runs"]["steps"] if "secretsync --map" in s.get("run", "")]
    return str(step["run"])


@pytest.mark.parametrize(
    ("command", "verify", "expected"),
    [
        ("audit", "true", ["--map", "m.yaml", "audit", "--all", "--verify"]),
        ("audit", "false", ["--map", "m.yaml", "audit", "--all"]),
        ("audit", "", ["--map", "m.yaml", "audit", "--all"]),
        ("sync", "true", ["--map", "m.yaml", "sync", "--all"]),
    ],
)
def test_the_action_adds_verify_to_audit_only_when_asked(
    tmp_path: Path, command: str, verify: str, expected: list[str]
) -> None:
    env = {
        "INPUT_COMMAND": command,
        "INPUT_ENVIRONMENT": "all",
        "INPUT_MAP": "m.yaml",
        "INPUT_ARGS": "",
        "INPUT_VERIFY": verify,
    }
    code, argv, err = _run(_action_script(), tmp_path, env)
    assert code == 0, err
    assert argv == expected
    assert ("applies to the audit command only" in err) == (command == "sync")


def test_the_action_refuses_a_verify_value_it_does_not_know(tmp_path: Path) -> None:
    env = {"INPUT_COMMAND": "audit", "INPUT_ENVIRONMENT": "", "INPUT_MAP": "m.yaml",
           "INPUT_ARGS": "", "INPUT_VERIFY": "yes"}  # fmt: skip
    code, argv, err = _run(_action_script(), tmp_path, env)
    assert code == 2 and argv == []
    assert "verify must be true or false" in err


@pytest.mark.parametrize("verify", ["true", "false"])
def test_the_workflow_audit_step_passes_verify_when_opted_in(tmp_path: Path, verify: str) -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "sync_secrets.yml").read_text())
    dispatch = workflow[True]["workflow_dispatch"]["inputs"]["verify"]
    assert dispatch["type"] == "boolean" and dispatch["default"] is False
    (step,) = [s for s in workflow["jobs"]["sync"]["steps"] if s.get("name") == "Audit"]
    assert "vars.SECRETSYNC_VERIFY == 'true'" in step["env"]["VERIFY"]
    script = step["run"].replace("${{ steps.target.outputs.flags }}", "--all")
    # The stub exits 0 and records the last run (the SARIF one).
    code, argv, err = _run(script, tmp_path, {"VERIFY": verify})
    assert code == 0, err
    assert ("--verify" in argv) == (verify == "true")
    assert argv[:2] == ["audit", "--all"] and argv[-2:] == ["-o", "audit.sarif"]
