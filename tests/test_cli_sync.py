"""``plan``, ``sync`` and ``push`` from the command line, against the served emulator."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from canary_support import run_cli
from map_support import write_map
from sync_support import SYNC_MAP, pem, seed_app_environments

from secretsync.cli.app import App
from secretsync.cli.main import main
from secretsync.emulator import ServedEmulator
from secretsync.map.load import load_map

# Canary values: none of them may ever appear in anything secretsync prints or writes.
CANARIES = {
    "OPENAI_API_KEY": "canaryOPENAI7Hq2Lp9Xv4Mz8Wk3",
    "DB_PASSWORD": "canary$DB{Rt5}Yu8Io1Pa3Sd",
    "DEPLOY_KEY": pem(2),
}


@pytest.fixture
def served(secretsync_emulator_server: ServedEmulator) -> ServedEmulator:
    emu = secretsync_emulator_server.emulator
    seed_app_environments(emu, "values:\n  region: eu\n")
    emu.add_repository("acme", "web")
    return secretsync_emulator_server


@pytest.fixture
def map_file(tmp_path: Path) -> Path:
    return write_map(tmp_path, SYNC_MAP)


def _environ(served: ServedEmulator, map_file: Path, **extra: str) -> dict[str, str]:
    return {
        "SECRETSYNC_MAP": str(map_file),
        "SECRETSYNC_GITHUB_API_URL": served.github_url,
        "SECRETSYNC_ESC_API_URL": served.esc_url,
        "PULUMI_ACCESS_TOKEN": "pul-test-token",
        "GH_TOKEN": "gh-test-token",
        "SECRETSYNC_SECRETS_JSON": json.dumps(CANARIES),
        **extra,
    }


def _assert_no_canary(*texts: str) -> None:
    for text in texts:
        for value in CANARIES.values():
            assert value not in text
            for line in value.splitlines():
                assert line not in text or line.startswith("-----")


def test_plan_sync_plan_cycle(served: ServedEmulator, map_file: Path) -> None:
    environ = _environ(served, map_file)
    before = run_cli(["plan", "--all", "--format", "json", "--exit-code"], environ)
    assert before.code == 1, before.err
    document = json.loads(before.out)
    assert document["schema"] == "secretsync/plan/v1" and document["pending"]
    assert [e["summary"]["add"] for e in document["environments"]] == [3, 3]

    synced = run_cli(["sync", "--all"], environ)
    assert synced.code == 0, synced.err
    assert "production: wrote 3 added" in synced.out
    assert "staging: wrote 3 added" in synced.out

    after = run_cli(["plan", "-e", "staging", "--exit-code"], environ)
    assert after.code == 0, after.err
    assert "0 to add, 0 to change, 0 to delete, 0 to refresh, 3 unchanged" in after.out

    again = run_cli(["sync", "-e", "production"], environ)
    assert again.code == 0
    assert "production: up to date, nothing written" in again.out
    _assert_no_canary(before.out, before.err, synced.out, synced.err, after.out, again.out)


def test_missing_secret_exits_1_and_the_rest_is_synced(
    served: ServedEmulator, map_file: Path
) -> None:
    values = {k: v for k, v in CANARIES.items() if k != "DB_PASSWORD"}
    environ = _environ(served, map_file, SECRETSYNC_SECRETS_JSON=json.dumps(values))
    result = run_cli(["sync", "-e", "staging", "--format", "json"], environ)
    assert result.code == 1
    assert "staging: DB_PASSWORD is not in the source; left as it is in ESC" in result.err
    document = json.loads(result.out)
    assert document["environments"][0]["written"] is True
    assert document["environments"][0]["missing_required"] == ["DB_PASSWORD"]


def test_placeholder_refusal_is_one_line_and_writes_nothing(
    served: ServedEmulator, map_file: Path
) -> None:
    values = {**CANARIES, "OPENAI_API_KEY": "sk-xxxxxxxxxxxxxxxxxxxxxxxx"}
    environ = _environ(served, map_file, SECRETSYNC_SECRETS_JSON=json.dumps(values))
    served.emulator.clear_request_log()
    result = run_cli(["sync", "--all"], environ)
    assert result.code == 1
    assert result.err.startswith("error: production: refused to write placeholder")
    assert "sk-xxxx" not in result.err
    assert "Traceback" not in result.err
    assert not [e for e in served.emulator.request_log() if e["method"] == "PATCH"]
    allowed = run_cli(["sync", "--all", "--allow-placeholders"], environ)
    assert allowed.code == 0, allowed.err


def test_bad_json_source_is_a_config_error_with_position(
    served: ServedEmulator, map_file: Path
) -> None:
    environ = _environ(served, map_file)
    bad = '{"OPENAI_API_KEY": "' + CANARIES["OPENAI_API_KEY"] + '",\n  oops}'
    result = run_cli(["plan", "--all", "--source", "json:-"], environ, stdin=bad)
    assert result.code == 2
    assert result.err.splitlines()[0].startswith("error: <stdin>:2:3: invalid JSON")
    _assert_no_canary(result.out, result.err)


def test_a_source_cut_off_at_100_names_is_warned_about(
    served: ServedEmulator, map_file: Path
) -> None:
    names = {f"AAA_{i:03d}": f"filler-{i}-Qw8Er7Ty6Ui5" for i in range(98)}
    names |= {k: v for k, v in CANARIES.items() if k != "DB_PASSWORD"}
    assert len(names) == 100
    environ = _environ(served, map_file, SECRETSYNC_SECRETS_JSON=json.dumps(names))
    result = run_cli(["plan", "--all"], environ)
    assert "a workflow sees only the first 100 organization secrets" in result.err
    complete = _environ(served, map_file)
    assert "first 100" not in run_cli(["plan", "--all"], complete).err


def test_without_a_github_token_times_are_null_and_it_is_said_once(
    served: ServedEmulator, map_file: Path
) -> None:
    environ = _environ(served, map_file)
    del environ["GH_TOKEN"]
    result = run_cli(["sync", "--all"], environ)
    assert result.code == 0, result.err
    assert result.err.count("no GitHub token") == 1


def test_prune_and_max_deletes_from_the_cli(
    served: ServedEmulator, map_file: Path, tmp_path: Path
) -> None:
    environ = _environ(served, map_file)
    assert run_cli(["sync", "--all"], environ).code == 0
    map_file.write_text(SYNC_MAP.split("  DB_PASSWORD")[0])
    refused = run_cli(["sync", "-e", "staging", "--prune", "--max-deletes", "1"], environ)
    assert refused.code == 1
    assert "more than --max-deletes 1" in refused.err
    plan = run_cli(["plan", "-e", "staging", "--prune"], environ)
    assert re.search(r"- delete +DB_PASSWORD +app\.ai\.db_password +fp:", plan.out), plan.out
    pruned = run_cli(["sync", "-e", "staging", "--prune"], environ)
    assert pruned.code == 0, pruned.err
    assert "2 deleted" in pruned.out


@pytest.mark.slow  # push is paced under GitHub's write limit: about one write a second
def test_leak_canary_across_every_output(
    served: ServedEmulator, map_file: Path, tmp_path: Path
) -> None:
    environ = _environ(served, map_file)
    outputs: list[str] = []
    for argv in (
        ["plan", "--all"],
        ["plan", "--all", "--format", "json", "-o", str(tmp_path / "plan.json")],
        ["-v", "sync", "--all", "--format", "json", "-o", str(tmp_path / "sync.json")],
        ["-v", "plan", "--all", "--format", "json"],
        ["push", "--format", "json", "-o", str(tmp_path / "push.json")],
        ["push"],
    ):
        result = run_cli(argv, environ)
        assert result.code == 0, (argv, result.err)
        outputs += [result.out, result.err]
    for name in ("plan.json", "sync.json", "push.json"):
        outputs.append((tmp_path / name).read_text())
    _assert_no_canary(*outputs)
    assert json.loads((tmp_path / "push.json").read_text())["created"] == sorted(
        CANARIES, key=list(CANARIES).index
    )


@pytest.mark.slow
def test_push_summary(served: ServedEmulator, map_file: Path) -> None:
    environ = _environ(served, map_file)
    first = run_cli(["push", "--only", "OPENAI_API_KEY", "DEPLOY_KEY"], environ)
    assert first.code == 0, first.err
    assert "2 created, 0 updated, 0 missing from the source" in first.out
    assert "created  DEPLOY_KEY  (repository acme/web)" in first.out
    second = run_cli(["push", "-e", "staging"], environ)
    assert "1 created, 2 updated" in second.out
    unknown = run_cli(["push", "-e", "qa"], environ)
    assert unknown.code == 2
    assert "unknown environment 'qa'" in unknown.err


class _Terminal(io.StringIO):
    """A captured stream that says it is a terminal: tables and progress bars."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_plan_draws_a_table_and_sync_a_progress_display(
    served: ServedEmulator, map_file: Path
) -> None:
    environ = _environ(served, map_file)
    out, err = _Terminal(), _Terminal()
    app = App(environ=environ, stdout=out, stderr=err, stdin=io.StringIO())
    assert main(["sync", "--all"], app=app) == 0, err.getvalue()
    out, err = _Terminal(), _Terminal()
    app = App(environ=environ, stdout=out, stderr=err, stdin=io.StringIO())
    assert main(["plan", "-e", "staging", "--show-unchanged"], app=app) == 0, err.getvalue()
    table = out.getvalue()
    assert "staging -> acme-esc/default/app-staging" in table
    assert re.search(r"│ = +│ unchanged +│", table), table
    assert "3 unchanged" in table
    assert "ESC: reading staging" in err.getvalue()  # the progress display, on stderr
    _assert_no_canary(table, err.getvalue())


ROOT = Path(__file__).resolve().parents[1]


def test_the_sync_workflow_runs_plan_sync_and_audit() -> None:
    text = (ROOT / ".github" / "workflows" / "sync_secrets.yml").read_text()
    workflow = yaml.safe_load(text)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"] and triggers["push"]["paths"] == ["config/secret_map.yaml"]
    choice = triggers["workflow_dispatch"]["inputs"]["environment"]
    assert choice["type"] == "choice"
    assert set(choice["options"]) == {"all", "production", "staging"}
    job = workflow["jobs"]["sync"]
    assert job["env"]["SECRETSYNC_SECRETS_JSON"] == "${{ toJSON(secrets) }}"
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    for command in (
        "secretsync plan",
        "secretsync sync",
        "--format json -o audit.json",
        '--format markdown >> "$GITHUB_STEP_SUMMARY"',
    ):
        assert command in runs
    assert any(step.get("uses", "").startswith("actions/upload-artifact@") for step in job["steps"])
    mapped = set(yaml.safe_load((ROOT / "config" / "secret_map.yaml").read_text())["secrets"])
    for name in re.findall(r"secrets\.([A-Za-z0-9_]+)", text):
        assert name in mapped or name == "GITHUB_TOKEN", name


def test_the_composite_action_installs_itself() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(action["inputs"]) >= {"command", "environment", "map", "args"}
    assert action["runs"]["using"] == "composite"
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert 'pip install --quiet "$GITHUB_ACTION_PATH"' in script
    assert 'secretsync --map "$INPUT_MAP" "$INPUT_COMMAND"' in script


def _seed_github(served: ServedEmulator, updated_at: str) -> None:
    emu = served.emulator
    for name in ("OPENAI_API_KEY", "DB_PASSWORD"):
        emu.seed_github_secret("orgs/acme", name, CANARIES[name], updated_at=updated_at)
    emu.seed_github_secret(
        "repos/acme/web", "DEPLOY_KEY", CANARIES["DEPLOY_KEY"], updated_at=updated_at
    )


def test_a_stale_source_is_warned_about_and_audit_still_sees_the_drift(
    served: ServedEmulator, map_file: Path
) -> None:
    environ = _environ(served, map_file)
    _seed_github(served, "2026-01-01T00:00:00Z")
    assert run_cli(["sync", "--all"], environ).code == 0
    # Someone rotates OPENAI_API_KEY in GitHub; the source still holds the old value.
    served.emulator.seed_github_secret(
        "orgs/acme", "OPENAI_API_KEY", "rotated-Zq9vX2mW7pL4", updated_at="2026-02-01T00:00:00Z"
    )
    again = run_cli(["sync", "--all"], environ)
    assert again.code == 0, again.err
    warning = (
        "warning: GitHub changed OPENAI_API_KEY since the last sync but the source value did "
        "not; is the source stale?"
    )
    assert again.err.count(warning) == 1  # two environments, one warning
    audit = run_cli(["audit", "-e", "staging", "--format", "json"], environ)
    drift = [f for f in json.loads(audit.out)["findings"] if f["rule"] == "drift"]
    assert [(f["secret"], f["environment"]) for f in drift] == [("OPENAI_API_KEY", "staging")]


CREDENTIAL_MAP = SYNC_MAP + "  PULUMI_ACCESS_TOKEN: {category: ai, required: false}\n"


def test_the_env_source_never_takes_secretsyncs_own_token_as_a_value(
    served: ServedEmulator, tmp_path: Path
) -> None:
    map_file = write_map(tmp_path, CREDENTIAL_MAP)
    environ = _environ(served, map_file, **CANARIES)
    del environ["SECRETSYNC_SECRETS_JSON"]
    result = run_cli(["plan", "-e", "staging", "--source", "env", "--format", "json"], environ)
    assert result.code == 0, result.err
    lines = [line for line in result.err.splitlines() if "PULUMI_ACCESS_TOKEN" in line]
    assert len(lines) == 1 and "--source json:" in lines[0]
    assert "pul-test-token" not in result.err + result.out
    items = json.loads(result.out)["environments"][0]["items"]
    token = next(i for i in items if i["secret"] == "PULUMI_ACCESS_TOKEN")
    assert token["action"] == "missing"
    # From JSON (toJSON(secrets) in a workflow) the same name is an ordinary value.
    values = {**CANARIES, "PULUMI_ACCESS_TOKEN": "pul-Zq9vX2mW7pL4rT8sHb6Jd"}
    from_json = _environ(served, map_file, SECRETSYNC_SECRETS_JSON=json.dumps(values))
    result = run_cli(["plan", "-e", "staging", "--format", "json"], from_json)
    assert "PULUMI_ACCESS_TOKEN" not in result.err
    items = json.loads(result.out)["environments"][0]["items"]
    assert next(i for i in items if i["secret"] == "PULUMI_ACCESS_TOKEN")["action"] == "add"


SETTINGS_MAP = (
    SYNC_MAP
    + "  FEATURE_ON: {category: ai, type: bool}\n"
    + "  DEPLOY_ENV: {category: ai, type: string}\n"
    + "  API_BASE: {category: ai, type: url}\n"
)
API_BASE = "https://api.acme.dev/v1"  # a url secret: taught, as webhook URLs carry tokens


@pytest.mark.parametrize(
    "argv",
    [
        ["sync", "--all", "--format", "json"],
        ["plan", "--all", "--format", "json"],
        ["push", "--only", "OPENAI_API_KEY", "API_BASE", "--format", "json"],
        ["audit", "--all", "--format", "json", "--values", "env", "--fail-on", "never"],
    ],
)
def test_only_credentials_are_taught_to_the_redactor(
    served: ServedEmulator, tmp_path: Path, argv: list[str]
) -> None:
    map_file = write_map(tmp_path, SETTINGS_MAP)
    values = {**CANARIES, "FEATURE_ON": "true", "DEPLOY_ENV": "production", "API_BASE": API_BASE}
    environ = _environ(served, map_file, SECRETSYNC_SECRETS_JSON=json.dumps(values))
    out, err = io.StringIO(), io.StringIO()
    app = App(environ=environ, stdout=out, stderr=err, stdin=io.StringIO())
    main(argv, app=app)
    assert json.loads(out.getvalue())["schema"].startswith("secretsync/")
    assert app.redactor.redact("true production") == "true production"  # settings, not credentials
    assert app.redactor.redact(API_BASE) != API_BASE
    assert app.redactor.redact(CANARIES["OPENAI_API_KEY"]) != CANARIES["OPENAI_API_KEY"]
    _assert_no_canary(out.getvalue(), err.getvalue())


class _RefuseSecondPut(httpx.AsyncHTTPTransport):
    """Real HTTP, except that the second PUT is answered 403."""

    puts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            self.puts += 1
            if self.puts == 2:
                return httpx.Response(403, json={"message": "Resource not accessible"})
        return await super().handle_async_request(request)


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_a_push_that_fails_part_way_reports_what_it_wrote(
    served: ServedEmulator, map_file: Path, fmt: str
) -> None:
    environ = _environ(served, map_file, SECRETSYNC_RETRY_SCALE="0.01")
    argv = ["push", "--only", "OPENAI_API_KEY", "DEPLOY_KEY", "--format", fmt]
    result = run_cli(argv, environ, transport=_RefuseSecondPut())
    assert result.code == 1
    if fmt == "json":
        document = json.loads(result.out)
        assert (document["created"], document["failed"]) == (["OPENAI_API_KEY"], "DEPLOY_KEY")
    else:
        assert "created  OPENAI_API_KEY" in result.out
        assert "failed   DEPLOY_KEY" in result.out
    assert "error: pushing DEPLOY_KEY failed after 1 written" in result.err
    assert "Traceback" not in result.err
    _assert_no_canary(result.out, result.err)


def test_plan_lists_what_changes_and_counts_the_rest(
    served: ServedEmulator, map_file: Path
) -> None:
    environ = _environ(served, map_file)
    assert run_cli(["sync", "-e", "staging"], environ).code == 0
    changed = dict(CANARIES, OPENAI_API_KEY="canaryOPENAI" + "Q7vR2x" * 4)
    environ = _environ(served, map_file, SECRETSYNC_SECRETS_JSON=json.dumps(changed))
    plain = run_cli(["plan", "-e", "staging"], environ)
    assert plain.code == 0, plain.err
    lines = plain.out.splitlines()
    assert [line.split()[1] for line in lines if line.startswith("  ~ ")] == ["change"]
    assert not any(" unchanged " in line for line in lines[1:-2])  # counted, not listed
    assert "0 to add, 1 to change, 0 to delete, 0 to refresh, 2 unchanged" in plain.out
    everything = run_cli(["plan", "-e", "staging", "--show-unchanged"], environ)
    assert sum(line.startswith("  = unchanged") for line in everything.out.splitlines()) == 2
    # The JSON always holds every item: it is for programs, which count for themselves.
    document = json.loads(run_cli(["plan", "-e", "staging", "--format", "json"], environ).out)
    assert len(document["environments"][0]["items"]) == 3
    _assert_no_canary(plain.out, plain.err, everything.out)


def test_plan_says_fingerprints_differ_between_runs(served: ServedEmulator, map_file: Path) -> None:
    # Two real runs (two processes): the fingerprint key is made once per process.
    environ = {**_environ(served, map_file), "PATH": os.environ.get("PATH", "")}
    runs = [
        subprocess.run(
            [sys.executable, "-m", "secretsync", "plan", "-e", "staging"],
            env=environ,
            capture_output=True,
            text=True,
            check=False,
        )
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    fingerprints = [re.findall(r"fp:[0-9a-f]{8}", run.stdout) for run in runs]
    assert fingerprints[0] and fingerprints[0] != fingerprints[1]  # by design
    assert "keyed per run" in runs[0].stdout  # and the output says so
    _assert_no_canary(runs[0].stdout, runs[0].stderr)


def test_plan_table_keeps_esc_paths_whole_at_120_columns(
    served: ServedEmulator, map_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    environ = _environ(served, map_file)
    out, err = _Terminal(), _Terminal()
    app = App(environ=environ, stdout=out, stderr=err, stdin=io.StringIO())
    assert main(["plan", "-e", "staging"], app=app) == 0, err.getvalue()
    table = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())  # styles are not columns
    for line in table.splitlines():
        assert len(line) <= 120
    smap = load_map(map_file)
    for secret in smap.secrets_for("staging"):
        assert secret.esc_path in table  # never cut with an ellipsis
    assert "…" not in table
    header = next(line for line in table.splitlines() if "action" in line)
    assert "note" not in header  # no column that every row leaves empty
