"""``secretsync audit`` through ``main``: formats, exit codes, annotations, no values out."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from audit_support import (
    MAP_TEXT,
    NOW,
    PRODUCTION,
    SEEDED_AT,
    STAGING,
    real_values,
    seed_clean,
    seed_esc,
)

from secretsync.cli.app import App
from secretsync.cli.commands import audit as audit_command
from secretsync.cli.main import main
from secretsync.emulator import Faults, ServedEmulator

SARIF_SCHEMA = (
    Path(__file__).resolve().parents[2] / "shared" / "apispecs" / "sarif-schema-2.1.0.json"
)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the map is found from the working folder, as for users
    monkeypatch.setattr(audit_command, "clock", lambda: NOW)  # ages against a fixed date
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "secret_map.yaml").write_text(MAP_TEXT, encoding="utf-8")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    return tmp_path


@pytest.fixture
def served(secretsync_emulator_server: ServedEmulator) -> ServedEmulator:
    seed_clean(secretsync_emulator_server.emulator)
    return secretsync_emulator_server


def environ(served: ServedEmulator, **extra: str) -> dict[str, str]:
    return {
        "SECRETSYNC_GITHUB_API_URL": served.github_url,
        "SECRETSYNC_ESC_API_URL": served.esc_url,
        "GH_TOKEN": "gh-test-token",
        "PULUMI_ACCESS_TOKEN": "pul-test-token",
        **extra,
    }


def audit(
    repo: Path, env: dict[str, str], *args: str, stdin: str = "", verbose: bool = False
) -> Result:
    out, err = io.StringIO(), io.StringIO()
    app = App(environ=env, stdout=out, stderr=err, stdin=io.StringIO(stdin), cwd=repo)
    code = main([*(["-v"] if verbose else []), "audit", *args], app=app)
    return Result(code, out.getvalue(), err.getvalue())


def test_clean_setup_exits_zero(repo: Path, served: ServedEmulator) -> None:
    result = audit(repo, environ(served), "--all")
    assert result.code == 0, result.err
    assert result.out.strip() == "audit passed (production, staging): 0 errors, 0 warnings"


def test_json_only_on_stdout(repo: Path, served: ServedEmulator) -> None:
    served.emulator.seed_github_secret(
        "orgs/ai-cherry", "LEGACY_TOKEN", "y" * 30, updated_at=SEEDED_AT
    )
    result = audit(repo, environ(served), "-e", "production", "--format", "json")
    assert result.code == 0  # a warning does not fail the default gate
    document = result.json()
    assert document["schema"] == "secretsync/audit/v1"
    assert document["map"] == "config/secret_map.yaml"
    assert document["environments"] == ["production"]
    assert document["summary"] == {
        "error": 0,
        "warning": 1,
        "note": 0,
        "passed": True,
        "fail_on": "error",
    }
    assert [(f["rule"], f["secret"]) for f in document["findings"]] == [
        ("orphan-github", "LEGACY_TOKEN")
    ]


@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1), ("never", 0)])
def test_fail_on(repo: Path, served: ServedEmulator, fail_on: str, code: int) -> None:
    served.emulator.seed_github_secret("orgs/ai-cherry", "LEGACY", "y" * 30)
    result = audit(repo, environ(served), "--all", "--fail-on", fail_on)
    assert result.code == code
    assert "orphan-github" in result.out


def test_errors_fail_the_gate_and_table_groups(repo: Path, served: ServedEmulator) -> None:
    values = real_values()
    seed_esc(
        served.emulator,
        "sophia-ai-staging",
        {n: (values[n] if n != "OPENAI_API_KEY" else "changeme") for n in STAGING},
    )
    result = audit(repo, environ(served), "--all")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == "staging:"
    assert lines[1].split() == [
        "error",
        "placeholder",
        "OPENAI_API_KEY",
        "scoobyjava-org/default/sophia-ai-staging:sophia.ai.openai_api_key",
    ]
    assert lines[-1] == "audit FAILED (production, staging): 1 error, 0 warnings"


def test_sarif_on_the_map_line(repo: Path, served: ServedEmulator) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    seed_esc(served.emulator, "sophia-ai-production", {n: "" for n in PRODUCTION})
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  t:\n    steps:\n      - run: x ${{ secrets['UNDEFINED_ONE'] }}\n",
        encoding="utf-8",
    )
    output = repo / "audit.sarif"
    result = audit(repo, environ(served), "--all", "--format", "sarif", "-o", str(output))
    assert result.code == 1
    assert result.out == ""
    log = json.loads(output.read_text(encoding="utf-8"))
    if SARIF_SCHEMA.is_file():
        jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    results = log["runs"][0]["results"]
    map_lines = {line.strip().rstrip(":"): n for n, line in enumerate(MAP_TEXT.splitlines(), 1)}
    placed = {
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results
    }
    assert placed == {
        ("empty-value", "config/secret_map.yaml", map_lines[name]) for name in PRODUCTION
    } | {("workflow-undefined", ".github/workflows/ci.yml", 5)}


def test_markdown_summary(repo: Path, served: ServedEmulator) -> None:
    served.emulator.seed_github_secret("orgs/ai-cherry", "LEGACY", "y" * 30)
    result = audit(repo, environ(served), "--all", "--format", "markdown")
    assert result.code == 0
    assert result.out.startswith("## ✅ secretsync audit passed")
    assert "| warning | orphan-github | LEGACY | all environments |" in result.out


def test_annotations_under_github_actions(repo: Path, served: ServedEmulator) -> None:
    served.emulator.seed_github_secret("orgs/ai-cherry", "LEGACY", "y" * 30)
    result = audit(repo, environ(served, GITHUB_ACTIONS="true"), "--all", "--format", "json")
    assert result.json()["summary"]["warning"] == 1
    assert (
        "::warning file=config/secret_map.yaml,title=secretsync orphan-github::"
        "[LEGACY] GitHub org/ai-cherry holds LEGACY" in result.err
    )
    quiet = audit(repo, environ(served), "--all", "--format", "json")
    assert "::warning" not in quiet.err
    summary_run = audit(
        repo,
        environ(served, GITHUB_ACTIONS="true"),
        "--all",
        "--format",
        "markdown",
        "--annotations",
        "never",
    )
    assert "::warning" not in summary_run.err
    forced = audit(repo, environ(served), "--all", "--annotations", "always")
    assert "::warning file=config/secret_map.yaml" in forced.err


def test_missing_credentials_is_exit_2(repo: Path, served: ServedEmulator) -> None:
    env = environ(served)
    del env["PULUMI_ACCESS_TOKEN"]
    result = audit(repo, env, "--all")
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("error: ")
    assert "Traceback" not in result.err
    assert served.emulator.request_log() == []  # stopped before any request


def test_service_down_fails_closed(repo: Path, served: ServedEmulator) -> None:
    served.emulator.set_faults(Faults(fail_rate=1.0, fail_status=503))
    result = audit(repo, environ(served), "-e", "staging", "--format", "json")
    assert result.code == 1
    assert {(f["rule"], f["location"]) for f in result.json()["findings"]} == {
        ("unreachable", "github:org/ai-cherry"),
        ("unreachable", "github:repo/ai-cherry/sophia-main"),
        ("unreachable", "scoobyjava-org/default/sophia-ai-staging"),
    }


def test_invalid_map_is_reported_as_findings(repo: Path, served: ServedEmulator) -> None:
    path = repo / "config" / "secret_map.yaml"
    path.write_text(MAP_TEXT.replace("  max_age_days: 90", "  max_age_days: 0"), encoding="utf-8")
    result = audit(repo, environ(served), "-e", "production", "--format", "json")
    assert result.code == 1
    [finding] = result.json()["findings"]
    assert finding["rule"] == "invalid-map"
    assert finding["file"] == "config/secret_map.yaml"
    assert finding["line"] == 14
    assert served.emulator.request_log() == []


def test_usage_errors(repo: Path, served: ServedEmulator) -> None:
    unknown = audit(repo, environ(served), "-e", "qa")
    assert unknown.code == 2
    assert "unknown environment 'qa'" in unknown.err
    source_alone = audit(repo, environ(served), "--all", "--source", "env")
    assert source_alone.code == 2
    assert "--values env" in source_alone.err
    no_env = audit(repo, environ(served))
    assert no_env.code == 2


def test_values_from_a_json_source(repo: Path, served: ServedEmulator) -> None:
    values = real_values()
    values["ANTHROPIC_API_KEY"] = "<anthropic-key>"
    result = audit(
        repo,
        environ(served),
        "-e",
        "production",
        "--values",
        "env",
        "--source",
        "json:-",
        "--format",
        "json",
        stdin=json.dumps({**values, "github_token": "ghs_x"}),
    )
    assert result.code == 1
    assert [
        (f["rule"], f["secret"], f["system"], f["location"]) for f in result.json()["findings"]
    ] == [("placeholder", "ANTHROPIC_API_KEY", "source", "source:ANTHROPIC_API_KEY")]


def test_canary_never_printed(repo: Path, served: ServedEmulator) -> None:
    canary = "CanaryQ9v7Lm2Xw8Rt5Yp3"
    values = real_values()
    bad = dict(values, OPENAI_API_KEY="sk-" + canary, OPTIONAL_TOKEN=f"<{canary}>")
    seed_esc(served.emulator, "sophia-ai-production", {n: bad[n] for n in PRODUCTION})
    served.emulator.seed_github_secret("orgs/ai-cherry", "LEGACY_" + "X", canary)
    source = json.dumps({name: f"<{canary}-{name}>" for name in PRODUCTION})
    env = environ(served, GITHUB_ACTIONS="true", SECRETSYNC_SECRETS_JSON=source)
    seen = []
    for fmt in ("table", "json", "sarif", "markdown"):
        result = audit(repo, env, "--all", "--values", "env", "--format", fmt, verbose=True)
        assert result.code == 1
        assert "format-mismatch" in result.out
        assert "placeholder" in result.out
        seen.append(result)
    for result in seen:
        assert canary not in result.out
        assert canary not in result.err


def test_rich_table_on_a_terminal(
    repo: Path, served: ServedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich treats the output as a terminal
    served.emulator.seed_github_secret("orgs/ai-cherry", "LEGACY", "y" * 30)
    result = audit(repo, environ(served), "--all")
    assert result.code == 0
    assert "┏━" in result.out  # a rich table, not the plain lines
    assert "orphan-github" in result.out
    assert "\x1b[" in result.out
    assert "audit passed (production, staging): 0 errors, 1 warning" in result.out


def test_values_from_the_environment_only_mapped_names(repo: Path, served: ServedEmulator) -> None:
    env = environ(served, OPENAI_API_KEY="changeme", UNRELATED_SETTING="changeme")
    result = audit(repo, env, "--all", "--values", "env", "--format", "json")
    assert result.code == 1
    assert [(f["rule"], f["secret"], f["system"]) for f in result.json()["findings"]] == [
        ("placeholder", "OPENAI_API_KEY", "source")
    ]


def test_after_a_real_sync_clean_then_drift(repo: Path, served: ServedEmulator) -> None:
    """The bookkeeping `sync` really writes is what the audit reads: clean right after a
    sync, drift once GitHub changes again."""
    emu = served.emulator
    emu.reset()
    values = real_values()
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPTIONAL_TOKEN"):
        emu.seed_github_secret("orgs/ai-cherry", name, values[name], updated_at=SEEDED_AT)
    emu.seed_github_secret(
        "repos/ai-cherry/sophia-main", "DATABASE_URL", values["DATABASE_URL"], updated_at=SEEDED_AT
    )
    for name in ("sophia-ai-production", "sophia-ai-staging"):
        emu.seed_esc_environment("scoobyjava-org", "default", name, "values: {}\n")
    env = environ(served, SECRETSYNC_SECRETS_JSON=json.dumps(values))
    synced = audit_sync(repo, env)
    assert synced.code == 0, synced.err
    clean = audit(repo, env, "--all", "--values", "env", "--format", "json")
    assert clean.json()["findings"] == [], clean.out
    emu.seed_github_secret("orgs/ai-cherry", "OPENAI_API_KEY", "sk-proj-" + "Wd5" * 20)
    drifted = audit(repo, env, "--all", "--format", "json")
    assert drifted.code == 1
    assert {(f["rule"], f["secret"], f["environment"]) for f in drifted.json()["findings"]} == {
        ("drift", "OPENAI_API_KEY", "production"),
        ("drift", "OPENAI_API_KEY", "staging"),
    }


def audit_sync(repo: Path, env: dict[str, str]) -> Result:
    out, err = io.StringIO(), io.StringIO()
    app = App(environ=env, stdout=out, stderr=err, stdin=io.StringIO(""), cwd=repo)
    return Result(main(["sync", "--all"], app=app), out.getvalue(), err.getvalue())


def test_placeholder_words_stay_readable(repo: Path, served: ServedEmulator) -> None:
    """A placeholder value is not a credential: the redactor must not learn it, or every
    'secret' in the output would turn into a mask."""
    values = dict(real_values(), OPTIONAL_TOKEN="secret")
    seed_esc(served.emulator, "sophia-ai-production", {n: values[n] for n in PRODUCTION})
    result = audit(repo, environ(served), "-e", "production", "--format", "json")
    assert result.code == 1
    [finding] = result.json()["findings"]
    assert finding["message"] == "value looks like a placeholder: placeholder word 'secret'"


@pytest.mark.parametrize("start", ["", "# edited by hand\n"])
def test_null_and_non_string_values_fail_the_gate(
    repo: Path, served: ServedEmulator, start: str
) -> None:
    values = real_values()
    text = start + (
        "values:\n  sophia:\n    ai:\n      openai_api_key:\n"
        f"    infrastructure:\n      database_url: 12345\n"
        f'      optional_token: {{fn::secret: "{values["OPTIONAL_TOKEN"]}"}}\n'
        "  environmentVariables:\n"
        "    OPENAI_API_KEY: ${sophia.ai.openai_api_key}\n"
        "    DATABASE_URL: ${sophia.infrastructure.database_url}\n"
        "    OPTIONAL_TOKEN: ${sophia.infrastructure.optional_token}\n"
    )
    served.emulator.seed_esc_environment("scoobyjava-org", "default", "sophia-ai-staging", text)
    result = audit(repo, environ(served), "-e", "staging", "--format", "json")
    assert result.code == 1
    found = {(f["rule"], f["secret"]) for f in result.json()["findings"] if f["system"] == "esc"}
    assert found == {("missing-esc", "OPENAI_API_KEY"), ("empty-value", "DATABASE_URL")}
