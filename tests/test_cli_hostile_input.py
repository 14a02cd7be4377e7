"""The CLI's own settings and inputs, hostile or broken: exit 2, one line, nothing sent.

Every run goes to a served emulator whose request log proves that nothing was sent; the
hostile inputs are the ones a user makes by accident (a pasted newline, a wrong path).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from canary_support import run_cli
from map_support import map_head

from secretsync.emulator import ServedEmulator
from secretsync.map.load import MAP_MAX_BYTES
from secretsync.sync.sources import JSON_MAX_BYTES

MAP = map_head(production="app-production") + (
    "categories:\n  app: app.secrets\nsecrets:\n  API_TOKEN: {category: app}\n"
)
TOKEN = "tok_nBRNsp3EaBNeBMohNjxAwq"


@pytest.fixture
def environ(tmp_path: Path, secretsync_emulator_server: ServedEmulator) -> dict[str, str]:
    served = secretsync_emulator_server
    served.emulator.seed_esc_environment("acme-esc", "default", "app-production", "values: {}\n")
    (tmp_path / "secret_map.yaml").write_text(MAP)
    return {
        "SECRETSYNC_MAP": str(tmp_path / "secret_map.yaml"),
        "SECRETSYNC_ESC_API_URL": served.esc_url,
        "SECRETSYNC_GITHUB_API_URL": served.github_url,
        "PULUMI_ACCESS_TOKEN": "pul-test-token",
        "GH_TOKEN": "gh-test-token",
        "SECRETSYNC_SECRETS_JSON": json.dumps({"API_TOKEN": TOKEN}),
        "SECRETSYNC_RETRY_SCALE": "0.005",
    }


def _one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith("hint:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


BROKEN = {
    "newline": "\n X-Injected: 1",
    "carriage return": "\r",
    "NUL": "\x00",
    "escape": "\x1b[31m",
    "line separator": "\u2028",
}


@pytest.mark.parametrize("variable", ["SECRETSYNC_ESC_API_URL", "SECRETSYNC_GITHUB_API_URL"])
@pytest.mark.parametrize("command", ["sync", "push", "plan"])
@pytest.mark.parametrize("broken", list(BROKEN.values()), ids=list(BROKEN))
def test_a_control_character_in_an_endpoint_exits_2_with_nothing_sent(
    environ: dict[str, str],
    secretsync_emulator_server: ServedEmulator,
    variable: str,
    command: str,
    broken: str,
) -> None:
    environ[variable] = environ[variable] + broken + "/x"
    argv = [command] if command == "push" else [command, "--all"]
    result = run_cli(argv, environ)
    if command == "push" and variable == "SECRETSYNC_ESC_API_URL":
        assert result.code == 0  # push never talks to ESC: that URL is not its business
        return
    assert result.code == 2, result.err
    line = _one_error(result.err)
    assert variable in line and "control character" in line
    assert secretsync_emulator_server.emulator.request_log() == []


@pytest.mark.parametrize("variable", ["PULUMI_ACCESS_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"])
@pytest.mark.parametrize("broken", list(BROKEN.values()), ids=list(BROKEN))
def test_a_control_character_in_a_token_exits_2_with_nothing_sent(
    environ: dict[str, str],
    secretsync_emulator_server: ServedEmulator,
    variable: str,
    broken: str,
) -> None:
    if variable == "GITHUB_TOKEN":
        del environ["GH_TOKEN"]
    token = "tok-" + broken + "-rest"
    environ[variable] = token
    command = ["sync", "--all"] if variable == "PULUMI_ACCESS_TOKEN" else ["push"]
    result = run_cli(command, environ)
    assert result.code == 2, result.err
    line = _one_error(result.err)
    assert f"${variable}" in line and "control character" in line
    assert "-rest" not in result.err  # the token is never shown
    assert secretsync_emulator_server.emulator.request_log() == []


def test_a_github_token_that_is_broken_stops_sync_instead_of_being_skipped(
    environ: dict[str, str], secretsync_emulator_server: ServedEmulator
) -> None:
    """sync goes on without a GitHub token; a broken one must not pass for a missing one."""
    environ["GH_TOKEN"] = "ghp_abc\ndef"
    result = run_cli(["sync", "--all"], environ)
    assert result.code == 2
    assert "$GH_TOKEN" in _one_error(result.err)
    assert secretsync_emulator_server.emulator.request_log() == []


def test_map_from_dev_zero_exits_2(environ: dict[str, str]) -> None:
    if not os.path.exists("/dev/zero"):  # pragma: no cover
        pytest.skip("no /dev/zero here")
    result = run_cli(["--map", "/dev/zero", "validate"], environ)
    assert result.code == 2
    line = _one_error(result.err)
    assert "/dev/zero" in line and "too large for a secret map" in line


def test_an_oversized_map_file_is_refused_before_it_is_read_whole(
    environ: dict[str, str], tmp_path: Path
) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(MAP.encode() + b"#" * MAP_MAX_BYTES)
    result = run_cli(["--map", str(big), "validate"], environ)
    assert result.code == 2
    assert f"{big}: larger than 4 MB" in _one_error(result.err)


def test_a_json_source_from_dev_zero_exits_2(
    environ: dict[str, str], secretsync_emulator_server: ServedEmulator
) -> None:
    if not os.path.exists("/dev/zero"):  # pragma: no cover
        pytest.skip("no /dev/zero here")
    del environ["SECRETSYNC_SECRETS_JSON"]
    result = run_cli(["sync", "--all", "--source", "json:/dev/zero"], environ)
    assert result.code == 2
    assert "/dev/zero: larger than 64 MB" in _one_error(result.err)
    assert secretsync_emulator_server.emulator.request_log() == []


def test_an_oversized_json_on_stdin_exits_2(environ: dict[str, str]) -> None:
    del environ["SECRETSYNC_SECRETS_JSON"]
    stdin = '{"API_TOKEN": "' + "x" * JSON_MAX_BYTES + '"}'
    result = run_cli(["plan", "--all", "--source", "json:-"], environ, stdin=stdin)
    assert result.code == 2
    assert "<stdin>: larger than 64 MB" in _one_error(result.err)


def test_push_only_with_20000_unknown_names_prints_one_short_line(
    environ: dict[str, str], secretsync_emulator_server: ServedEmulator
) -> None:
    names = [f"NOPE_{i:05d}" for i in range(20_000)]
    result = run_cli(["push", "--only", *names], environ)
    assert result.code == 2
    line = _one_error(result.err)
    assert len(line) < 400, len(line)
    assert "20000 secret(s) the map does not have" in line
    assert "NOPE_00000" in line and "and 19990 more" in line
    assert secretsync_emulator_server.emulator.request_log() == []
