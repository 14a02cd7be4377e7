"""``secretsync scan`` end to end: formats, exit codes, baseline, file selection, git hook."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from canary_support import run_in
from rich.console import Console

from secretsync.cli import main as cli_main
from secretsync.cli.app import App

# Built at run time so no scanner (ours, GitHub push protection) sees a token in this file.
CANARY = "ghp_" + "k9Xq2Lm7Wv4Rt8Yp3Nz6Bc1Hd5Jf0Gs7Ua2Q"
CANARY_PASSWORD = "Xk9#mQ2vL8pZ"
REPO = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = REPO.parent / "shared" / "apispecs" / "sarif-schema-2.1.0.json"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "app.yaml").write_text(
        "name: example\n"
        "openai_api_key: sk-xxxxxxxxxxxxxxxxxxxx\n"
        f"github_token: {CANARY}\n"
        "workflow_token: ${GH_TOKEN}\n",
        encoding="utf-8",
    )
    (tmp_path / "app.py").write_text(
        f"DB_PASSWORD = '{CANARY_PASSWORD}'\nNAME = 'service'\n", encoding="utf-8"
    )
    (tmp_path / "clean.py").write_text("import os\nKEY = os.getenv('KEY')\n", encoding="utf-8")
    return tmp_path


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_json_shape_and_exit_1(project: Path) -> None:
    code, out, err = run_in(["scan", "--format", "json", "config", "app.py"], project)
    assert code == 1
    document = json.loads(out)  # JSON is the only thing on stdout
    assert document == {
        "schema": "secretsync/scan/v1",
        "findings": [
            {
                "rule": "hardcoded-secret",
                "path": "app.py",
                "line": 1,
                "column": 16,
                "key": "DB_PASSWORD",
                "kind": "high-entropy",
                "message": "DB_PASSWORD holds a hard-coded high-entropy value; "
                "keep it in the secret store",
            },
            {
                "rule": "placeholder",
                "path": "config/app.yaml",
                "line": 2,
                "column": 17,
                "key": "openai_api_key",
                "kind": "provider-placeholder:openai",
                "message": "openai_api_key holds a placeholder: 'sk-' followed by repeated 'x'",
            },
            {
                "rule": "hardcoded-secret",
                "path": "config/app.yaml",
                "line": 3,
                "column": 15,
                "key": "github_token",
                "kind": "github",
                "message": "github_token holds a hard-coded github secret; "
                "keep it in the secret store",
            },
        ],
    }
    assert err == "3 findings in 2 files\n"


def test_clean_exit_0(project: Path) -> None:
    code, out, _ = run_in(["scan", "--format", "json", "clean.py"], project)
    assert code == 0
    assert json.loads(out) == {"schema": "secretsync/scan/v1", "findings": []}
    code, out, _ = run_in(["-q", "scan", "clean.py"], project)
    assert (code, out) == (0, "")


def test_plain_lines_when_piped(project: Path) -> None:
    code, out, _ = run_in(["scan", "app.py"], project)
    assert code == 1
    assert out == (
        "app.py:1:16: hardcoded-secret: DB_PASSWORD holds a hard-coded high-entropy value; "
        "keep it in the secret store [high-entropy]\n"
    )


def test_usage_errors_are_one_line_exit_2(project: Path) -> None:
    code, out, err = run_in(["scan", "nope.py"], project)
    assert (code, out, err) == (2, "", "error: no such file or directory: nope.py\n")
    code, _, err = run_in(["scan", "--update-baseline", "app.py"], project)
    assert (code, err) == (2, "error: --update-baseline needs --baseline FILE\n")
    code, _, err = run_in(["scan", "--all-files", "app.py"], project)
    assert (code, err) == (2, "error: give paths or --all-files, not both\n")


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "markdown"])
def test_canary_never_in_any_output(project: Path, fmt: str) -> None:
    out_file = project / f"report.{fmt}"
    code, out, err = run_in(["-v", "scan", "--format", fmt, "-o", str(out_file), "."], project)
    assert code == 1
    written = out_file.read_text(encoding="utf-8")
    assert "github_token" in written and "DB_PASSWORD" in written
    for text in (out, err, written):
        assert CANARY not in text and CANARY_PASSWORD not in text
    assert out == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rich_table_on_a_terminal_without_the_value(project: Path) -> None:
    stdout = _Terminal()
    app = App(cwd=project, stdout=stdout, stderr=io.StringIO(), environ={})
    app.out = Console(file=stdout, force_terminal=True, width=200)
    assert app.interactive
    assert cli_main.main(["scan", "config"], app=app) == 1
    shown = stdout.getvalue()
    assert "github_token" in shown and "config/app.yaml:3:15" in shown
    assert CANARY not in shown


def test_markdown(project: Path) -> None:
    _, out, _ = run_in(["scan", "--format", "markdown", "app.py"], project)
    assert out.splitlines()[:4] == [
        "## secretsync scan",
        "",
        "| location | rule | key | kind | message |",
        "|---|---|---|---|---|",
    ]
    assert out.splitlines()[4].startswith("| `app.py:1` | hardcoded-secret | `DB_PASSWORD` |")
    _, out, _ = run_in(["scan", "--format", "markdown", "clean.py"], project)
    assert out == "## secretsync scan\n\nNo findings.\n"


def test_sarif_is_valid_and_repository_relative(project: Path) -> None:
    git(project, "init", "-q")
    code, out, _ = run_in(["scan", "--format", "sarif", "app.yaml"], project / "config")
    assert code == 1
    log = json.loads(out)
    results = log["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"config/app.yaml"}  # relative to the repository root, not the cwd
    assert {r["ruleId"] for r in results} == {"placeholder", "hardcoded-secret"}
    fingerprints = [r["partialFingerprints"]["secretsync/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
    if not SARIF_SCHEMA.exists():
        pytest.skip("SARIF schema not available")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)


def test_suppressed_line_is_not_reported(project: Path) -> None:
    (project / "app.py").write_text(
        f"DB_PASSWORD = '{CANARY_PASSWORD}'  # secretsync: ignore\n", encoding="utf-8"
    )
    assert run_in(["scan", "app.py"], project)[0] == 0


def test_baseline_round_trip_never_stores_values(project: Path) -> None:
    code, _, err = run_in(
        ["scan", "--baseline", "base.json", "--update-baseline", "config", "app.py"], project
    )
    assert code == 0, err
    text = (project / "base.json").read_text(encoding="utf-8")
    assert CANARY not in text and CANARY_PASSWORD not in text and "xxxxxxxx" not in text
    stored = json.loads(text)
    assert stored["schema"] == "secretsync/baseline/v1"
    assert [(e["path"], e["key"], e["rule"]) for e in stored["findings"]] == [
        ("app.py", "DB_PASSWORD", "hardcoded-secret"),
        ("config/app.yaml", "github_token", "hardcoded-secret"),
        ("config/app.yaml", "openai_api_key", "placeholder"),
    ]

    code, out, err = run_in(["scan", "--baseline", "base.json", "config", "app.py"], project)
    assert (code, out) == (0, "")
    assert err == "0 findings in 2 files (3 accepted by the baseline)\n"

    # Moving a line keeps it accepted; changing the value makes it new.
    (project / "app.py").write_text(
        f"\n\nNAME = 'service'\nDB_PASSWORD = '{CANARY_PASSWORD}'\n", encoding="utf-8"
    )
    assert run_in(["scan", "--baseline", "base.json", "app.py"], project)[0] == 0
    (project / "app.py").write_text("DB_PASSWORD = 'Zq7$wE3rT9yU'\n", encoding="utf-8")
    code, out, _ = run_in(["scan", "--baseline", "base.json", "app.py"], project)
    assert code == 1 and out.startswith("app.py:1:16: hardcoded-secret")

    # From a subfolder, paths still match (they are relative to the baseline file).
    code, _, _ = run_in(["scan", "--baseline", "../base.json", "app.yaml"], project / "config")
    assert code == 0


def test_update_baseline_on_a_subset_keeps_other_files(project: Path) -> None:
    run_in(["scan", "--baseline", "b.json", "--update-baseline", "config", "app.py"], project)
    (project / "app.py").write_text("NAME = 'fixed'\n", encoding="utf-8")
    run_in(["scan", "--baseline", "b.json", "--update-baseline", "app.py"], project)
    stored = json.loads((project / "b.json").read_text(encoding="utf-8"))
    assert {e["path"] for e in stored["findings"]} == {"config/app.yaml"}


def test_bad_baseline_is_a_config_error(project: Path) -> None:
    (project / "b.json").write_text('{"schema": "other"}', encoding="utf-8")
    code, _, err = run_in(["scan", "--baseline", "b.json", "app.py"], project)
    assert code == 2
    assert err == "error: baseline b.json is not usable: schema is not secretsync/baseline/v1\n"
    code, _, err = run_in(["scan", "--baseline", "missing.json", "app.py"], project)
    assert code == 2 and err.startswith("error: baseline missing.json does not exist\n")


def test_default_selection_is_tracked_files_and_all_files_the_repository(project: Path) -> None:
    git(project, "init", "-q")
    git(project, "add", "config/app.yaml", "clean.py")  # app.py stays untracked
    _, out, _ = run_in(["scan", "--format", "json"], project)
    assert {f["path"] for f in json.loads(out)["findings"]} == {"config/app.yaml"}
    _, out, _ = run_in(["scan", "--format", "json", "--all-files"], project / "config")
    assert {f["path"] for f in json.loads(out)["findings"]} == {"app.yaml"}
    code, _, err = run_in(["scan", "--all-files"], project.parent)
    assert code == 2 and "needs a git repository" in err


def test_git_hook_scans_staged_content(project: Path) -> None:
    hook = REPO / "hooks" / "pre-commit"
    secretsync = shutil.which("secretsync") or str(Path(sys.executable).parent / "secretsync")
    env = {**os.environ, "SECRETSYNC": secretsync}
    git(project, "init", "-q")
    (project / "settings.py").write_text("API_KEY = 'changeme'\n", encoding="utf-8")
    git(project, "add", "settings.py", "clean.py")
    done = subprocess.run(
        ["sh", str(hook)], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "settings.py:1:12: placeholder" in done.stdout
    assert "app.py" not in done.stdout  # not staged: not scanned

    # Fixed in the index, still a placeholder in the working tree: the commit may go ahead.
    (project / "settings.py").write_text("API_KEY = None\n", encoding="utf-8")
    git(project, "add", "settings.py")
    (project / "settings.py").write_text("API_KEY = 'changeme'\n", encoding="utf-8")
    done = subprocess.run(
        ["sh", str(hook)], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_pre_commit_manifest_and_example_config_validate() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    hooks = clientlib.load_manifest(str(REPO / ".pre-commit-hooks.yaml"))
    assert [(h["id"], h["entry"], h["pass_filenames"]) for h in hooks] == [
        ("secretsync-scan", "secretsync scan", True),
        ("secretsync-lint", "secretsync lint", True),
    ]
    assert [h["types"] for h in hooks] == [["text"], ["python"]]
    config = clientlib.load_config(str(REPO / "hooks" / "pre-commit-config.example.yaml"))
    assert {h["id"] for h in config["repos"][0]["hooks"]} == {h["id"] for h in hooks}


def test_hook_start_up_stays_lean(project: Path) -> None:
    """The hook pays interpreter start-up on every commit: no heavy imports for a .py scan."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "secretsync", "scan", "app.py", "clean.py"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout.startswith("app.py:1:16: hardcoded-secret")
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    heavy = {"httpx", "pydantic", "pydantic_settings", "yaml", "ruamel", "detect_secrets", "nacl"}
    assert not heavy & imported


def test_rich_markup_in_a_path_or_key_is_shown_as_text(tmp_path: Path) -> None:
    folder = tmp_path / "[" / "x]"  # the path reads `[/x]/...`: a closing tag to rich
    folder.mkdir(parents=True)
    (folder / "[bold]app.yaml").write_text("api_key[/x]: changeme\n", encoding="utf-8")
    stdout = io.StringIO()
    app = App(cwd=tmp_path, stdout=stdout, stderr=_Terminal(), environ={})
    app.out = Console(file=stdout, force_terminal=True, width=200, no_color=True)
    assert cli_main.main(["scan", "["], app=app) == 1
    shown = stdout.getvalue()
    assert "[/x]/[bold]app.yaml:1:14" in shown
    assert "api_key[/x]" in shown


# --- what a newcomer trips on (issue 17) ---------------------------------------------------


def test_table_or_plain_lines_follow_stdout_not_stderr(project: Path) -> None:
    piped_out, terminal_err = io.StringIO(), _Terminal()
    app = App(cwd=project, stdout=piped_out, stderr=terminal_err, environ={})
    assert cli_main.main(["scan", "config"], app=app) == 1
    assert piped_out.getvalue().startswith("config/app.yaml:2:17: placeholder: ")
    assert "│" not in piped_out.getvalue()  # `secretsync scan | cat` gets lines, not a box

    terminal_out = _Terminal()
    app = App(cwd=project, stdout=terminal_out, stderr=io.StringIO(), environ={})
    app.out = Console(file=terminal_out, force_terminal=True, width=200)
    assert cli_main.main(["scan", "config"], app=app) == 1
    assert "│" in terminal_out.getvalue() and "config/app.yaml:3:15" in terminal_out.getvalue()


def _unreadable(project: Path) -> str:
    """A file this process cannot read, as named on the command line."""
    if os.geteuid() == 0:  # root reads any mode; the kernel still refuses this one
        return "/proc/self/mem"
    locked = project / "config" / "locked.env"
    locked.write_text("API_KEY=changeme\n", encoding="utf-8")
    locked.chmod(0)
    return "config/locked.env"


def test_a_named_file_that_cannot_be_read_is_exit_2_in_one_line(project: Path) -> None:
    name = _unreadable(project)
    out_file = project / "report.json"
    code, out, err = run_in(
        ["scan", "--format", "json", "-o", str(out_file), "app.py", name], project
    )
    assert code == 2  # a hook must never pass on a file it did not read
    assert err.splitlines() == [f"error: cannot read {name}: " + err.split(": ", 2)[2].strip()]
    assert "cannot read" in err and out == ""
    assert not out_file.exists()  # nothing written halfway


def test_a_skipped_file_given_by_name_is_said_under_verbose(project: Path) -> None:
    (project / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (project / "blob.dat").write_bytes(b"API_KEY=\0changeme")
    code, _, err = run_in(["scan", "logo.png", "blob.dat", "clean.py"], project)
    assert code == 0
    assert "0 findings in 1 file (2 skipped" in err
    code, _, err = run_in(["-v", "scan", "logo.png", "blob.dat", "clean.py"], project)
    assert code == 0
    assert "skipped logo.png: binary" in err
    assert "skipped blob.dat: binary" in err


def test_an_absolute_path_is_shown_as_given(project: Path) -> None:
    deep = project / "a" / "b" / "c"
    deep.mkdir(parents=True)
    given = str(project / "config" / "app.yaml")
    code, out, _ = run_in(["scan", given], deep)
    assert code == 1
    assert out.splitlines()[0].startswith(f"{given}:2:17: placeholder: ")
    assert "../" not in out
    code, out, _ = run_in(["scan", "--format", "json", str(project / "config")], deep)
    assert {f["path"] for f in json.loads(out)["findings"]} == {given}
    # Judged as before: by the path relative to where the scan runs (a `tests/` folder
    # above the project must not make its files lenient).
    code, out, _ = run_in(["scan", "--format", "json", "config"], project)
    assert len(json.loads(out)["findings"]) == 2


def test_a_scan_of_many_files_shows_progress_only_to_a_terminal(tmp_path: Path) -> None:
    for i in range(60):
        (tmp_path / f"f{i:02d}.env").write_text("NAME=service\n", encoding="utf-8")
    out, err = _Terminal(), _Terminal()
    app = App(cwd=tmp_path, stdout=out, stderr=err, environ={})
    app.err = Console(file=err, force_terminal=True, width=100)
    assert cli_main.main(["scan", "."], app=app) == 0
    assert "scanning" in err.getvalue() and "60/60" in err.getvalue()
    code, out_text, err_text = run_in(["scan", "."], tmp_path)  # piped: the summary only
    assert (code, out_text, err_text) == (0, "", "0 findings in 60 files\n")
