"""The CLI frame: map discovery, exit codes, the one error handler, validate, checklist."""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from canary_support import run_cli
from map_support import map_head, write_map
from sync_support import SYNC_MAP, seed_app_environments

from secretsync import __version__
from secretsync.cli import main as cli_main
from secretsync.cli.app import App
from secretsync.cli.commands import validate as validate_cmd
from secretsync.emulator import ServedEmulator
from secretsync.errors import RefusedError

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "config" / "secret_map.yaml"

BAD_MAP = (
    map_head("ai-cherry", "scoobyjava-org", production="sophia-ai-production")
    + """\
categories:
  ai: sophia.ai
secrets:
  OPENAI_API_KEY:
    category: ai
    category: ai
  GITHUB_TOKEN:
    category: ai
  OPENAI_KEY:
    category: ai
    esc_path: sophia.ai.openai_api_key
"""
)


def run(
    argv: list[str], capsys: pytest.CaptureFixture[str], **app_kw: object
) -> tuple[int, str, str]:
    code = cli_main.main(argv, app=App(**app_kw))  # type: ignore[arg-type]
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    shutil.copy(SHIPPED, tmp_path / "config" / "secret_map.yaml")
    (tmp_path / "services" / "api").mkdir(parents=True)
    return tmp_path


def test_validate_shipped_map(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--map", str(SHIPPED), "validate"], capsys)
    assert code == 0, err
    assert "valid, 17 secrets" in out


def test_validate_bad_map_prints_three_positions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_MAP)
    code, out, err = run(["--map", str(bad), "validate"], capsys)
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if not line.startswith("hint:")]
    assert lines == [
        f"{bad}:11:5: duplicate key 'category' (first at line 10); YAML would silently keep "
        "only the last one",
        f"{bad}:12:3: secret name 'GITHUB_TOKEN': GitHub reserves names starting with GITHUB_ "
        "(GITHUB_TOKEN is the token GitHub gives every workflow run); pick another name, "
        "e.g. GH_TOKEN",
        f"{bad}:16:15: ESC path 'sophia.ai.openai_api_key' is already used by OPENAI_API_KEY "
        "(line 9)",
    ]
    assert "Traceback" not in err


def test_map_discovery_walks_up(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project / "services" / "api")
    code, out, _ = run(["validate"], capsys, environ={})
    assert code == 0
    assert out.startswith("../../config/secret_map.yaml: valid")


def test_map_from_environment_variable(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"SECRETSYNC_MAP": str(project / "config" / "secret_map.yaml")}
    code, out, _ = run(["validate"], capsys, cwd=tmp_path.parent, environ=env)
    assert code == 0 and "valid" in out


def test_no_map_found_is_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["validate"], capsys, cwd=tmp_path, environ={})
    assert code == 2
    assert err.startswith("error: no config/secret_map.yaml in ")
    assert "hint: pass --map PATH or set SECRETSYNC_MAP" in err


def test_missing_map_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--map", str(tmp_path / "x.yaml"), "validate"], capsys)
    assert code == 2 and "no such map file" in err


@pytest.mark.parametrize("argv", [["--bogus"], ["validate", "--bogus"], ["nosuchcommand"], []])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert "usage:" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"secretsync {__version__}"


def _raising(exc: BaseException):  # type: ignore[no-untyped-def]
    def boom(args: argparse.Namespace, app: App) -> int:
        raise exc

    return boom


def test_internal_error_exit_3_without_traceback_or_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = "sk-CANARY-internal-0123456789abcdef"
    monkeypatch.setattr(validate_cmd, "run", _raising(ValueError(f"bad value {canary}")))
    code, out, err = run(["--map", str(SHIPPED), "validate"], capsys)
    assert code == 3
    assert "internal error (ValueError)" in err
    assert "Traceback" not in err and canary not in err + out


def test_verbose_shows_redacted_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = "sk-CANARY-internal-0123456789abcdef"
    monkeypatch.setattr(validate_cmd, "run", _raising(ValueError(f"bad value {canary}")))
    app = App()
    app.redactor.add([canary])
    code = cli_main.main(["-v", "--map", str(SHIPPED), "validate"], app=app)
    _, err = capsys.readouterr()
    assert code == 3
    assert "Traceback" in err and "ValueError: bad value" in err
    assert canary not in err


def test_keyboard_interrupt_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(validate_cmd, "run", _raising(KeyboardInterrupt()))
    code, _, err = run(["--map", str(SHIPPED), "validate"], capsys)
    assert code == 130 and "interrupted" in err


def test_domain_error_exit_code_and_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(validate_cmd, "run", _raising(RefusedError("refused", hint="do X")))
    code, _, err = run(["--map", str(SHIPPED), "validate"], capsys)
    assert (code, err) == (1, "error: refused\nhint: do X\n")


def test_quiet_and_no_color(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["-q", "--no-color", "--map", str(SHIPPED), "validate"], capsys)
    assert code == 0 and "\x1b[" not in out


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code, out, _ = run(["--map", str(SHIPPED), "validate", "--format", "json"], capsys)
    payload = json.loads(out)
    assert code == 0
    assert payload["valid"] is True and payload["secrets"] == 17
    assert payload["environments"] == {
        "production": "sophia-ai-production",
        "staging": "sophia-ai-staging",
    }


def test_checklist_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--map", str(SHIPPED), "checklist"], capsys)
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("| [ ] |")]
    assert len(rows) == 17
    ssh = next(r for r in rows if "LAMBDA_LABS_SSH_KEY" in r)
    assert "| infrastructure | production |" in ssh
    assert "`sophia.infrastructure.lambda_ssh_key`" in ssh and "`LAMBDA_SSH_KEY`" in ssh
    assert "org ai-cherry" in ssh and "180 d" in ssh
    assert "- **staging** -> ESC `scoobyjava-org/default/sophia-ai-staging`: 16 secrets" in out


def test_checklist_script_reads_values_from_prompt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "set.sh"
    code, out, _ = run(
        ["--map", str(SHIPPED), "checklist", "--format", "sh", "-o", str(target)], capsys
    )
    assert code == 0 and out == ""
    script = target.read_text()
    assert subprocess.run(["sh", "-n", str(target)], check=False).returncode == 0
    gh_lines = [line for line in script.splitlines() if "gh secret set" in line]
    assert len(gh_lines) == 17
    for line in gh_lines:
        assert "--body" not in line and " -b " not in line  # never a value on argv
    assert (
        "printf '%s' \"$value\" | gh secret set OPENAI_API_KEY --org ai-cherry "
        "--visibility private" in script
    )
    assert (
        'gh secret set LAMBDA_LABS_SSH_KEY --org ai-cherry --visibility private < "$value_file"'
        in script
    )


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_checklist_script_pipes_value_on_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run the script with a fake `gh` that records its argv and stdin."""
    target = tmp_path / "set.sh"
    run(["--map", str(SHIPPED), "checklist", "--format", "sh", "-o", str(target)], capsys)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "gh.log"
    fake = bin_dir / "gh"
    fake.write_text(
        f'#!/bin/sh\necho "ARGV $*" >> {log}\nprintf "STDIN " >> {log}\ncat >> {log}\necho >> {log}\n'
    )
    fake.chmod(0o755)
    canary = "sk-CANARY-value-on-stdin-42"
    # First prompt answered, the rest left empty (skipped); PEM prompt gets no file.
    answers = canary + "\n" + "\n" * 20
    result = subprocess.run(
        ["sh", str(target)],
        input=answers,
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    recorded = log.read_text()
    assert recorded.count("ARGV") == 1
    assert "ARGV secret set OPENAI_API_KEY --org ai-cherry --visibility private" in recorded
    assert f"STDIN {canary}" in recorded
    assert canary not in result.stdout + result.stderr


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "secretsync", "--map", str(SHIPPED), "validate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "valid" in result.stdout


def test_consoles_are_built_lazily_and_work() -> None:
    import io

    app = App(stdout=io.StringIO(), stderr=io.StringIO(), environ={"NO_COLOR": "1"})
    app.out.print("[bold]hello[/bold]")
    app.err.print("to stderr")
    assert app.stdout.getvalue() == "hello\n"  # type: ignore[attr-defined]
    assert app.stderr.getvalue() == "to stderr\n"  # type: ignore[attr-defined]


def test_every_command_has_a_module() -> None:
    import importlib

    for name in cli_main.COMMANDS:
        module = importlib.import_module(f"secretsync.cli.commands.{name}")
        assert callable(module.register) and callable(module.run), name


def test_map_discovery_with_app_cwd_differing_from_process(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["validate"], capsys, cwd=project / "services" / "api", environ={})
    assert code == 0
    assert out.startswith("../../config/secret_map.yaml: valid")


def test_relative_output_is_written_in_the_app_folder(tmp_path: Path) -> None:
    import io

    app = App(cwd=tmp_path, stdout=io.StringIO())
    app.write_output("report", Path("out.txt"))
    assert (tmp_path / "out.txt").read_text() == "report\n"


def test_app_repr_holds_no_environment_value() -> None:
    canary = "ghp_CANARYrepr0123456789abcdefABCDEF0123"
    app = App(environ={"GH_TOKEN": canary, "SECRETSYNC_SECRETS_JSON": f'{{"A": "{canary}x"}}'})
    assert canary not in repr(app)
    assert "verbosity=0" in repr(app)  # the repr still says something useful


_LOG_CANARIES = {
    "OPENAI_API_KEY": "canaryOPENAI7Hq2Lp9Xv4Mz8Wk3",
    "DB_PASSWORD": "canary$DB{Rt5}Yu8Io1Pa3Sd",
    "DEPLOY_KEY": "canaryDEPLOY0Zx9Cv8Bn7Mq6Wr5",
}


def _served_environ(served: ServedEmulator, tmp_path: Path) -> dict[str, str]:
    seed_app_environments(served.emulator, "values:\n  region: eu\n")
    served.emulator.add_repository("acme", "web")
    return {
        "SECRETSYNC_MAP": str(write_map(tmp_path, SYNC_MAP)),
        "SECRETSYNC_GITHUB_API_URL": served.github_url,
        "SECRETSYNC_ESC_API_URL": served.esc_url,
        "PULUMI_ACCESS_TOKEN": "pul-CANARYtoken0123456789abcdef",
        "GH_TOKEN": "ghp_CANARYtoken0123456789abcdefABCDEF",
        "SECRETSYNC_SECRETS_JSON": json.dumps(_LOG_CANARIES),
    }


@pytest.mark.parametrize("flag", ["-v", "-vv"])
def test_verbose_logs_client_requests_without_values(
    secretsync_emulator_server: ServedEmulator, tmp_path: Path, flag: str
) -> None:
    environ = _served_environ(secretsync_emulator_server, tmp_path)
    result = run_cli([flag, "sync", "-e", "staging"], environ)
    assert result.code == 0, result.err
    requests = [line for line in result.err.splitlines() if line.startswith("secretsync.")]
    assert any(re.search(r"ESC PATCH /environments/\S+ -> 200 \(\d+ ms\)$", r) for r in requests)
    assert any(re.search(r"GitHub GET /orgs/acme/actions/secrets -> 200", r) for r in requests)
    for secret in [*_LOG_CANARIES.values(), environ["PULUMI_ACCESS_TOKEN"], environ["GH_TOKEN"]]:
        assert secret not in result.err + result.out
    logger = logging.getLogger("secretsync")
    assert logger.handlers == [] and logger.propagate  # all undone after the run


def test_without_verbose_no_log_line_and_no_handler(
    secretsync_emulator_server: ServedEmulator, tmp_path: Path
) -> None:
    environ = _served_environ(secretsync_emulator_server, tmp_path)
    root_handlers = list(logging.getLogger().handlers)
    result = run_cli(["sync", "-e", "staging"], environ)
    assert result.code == 0, result.err
    assert "GET /" not in result.err and "PATCH /" not in result.err
    assert logging.getLogger().handlers == root_handlers
    assert logging.getLogger("secretsync").handlers == []
