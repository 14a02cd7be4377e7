"""The detect-secrets plugin, run through detect-secrets 1.5 itself: its custom-plugin
mechanism, its default filters, its audit report and its pre-commit hook."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import transient_settings

import secretsync.detect_secrets_plugin as plugin_module
from secretsync.detect_secrets_plugin import SECRET_TYPE, SecretsyncPlaceholderDetector

PLUGIN_PATH = Path(plugin_module.__file__).resolve()
CANARY = "ghp_" + "k9Xq2Lm7Wv4Rt8Yp3Nz6Bc1Hd5Jf0Gs7Ua2Q"


def scan(path: Path, *, only_ours: bool = True) -> list[tuple[str, int]]:
    """(type, line) of every secret detect-secrets reports for ``path``."""
    plugins = [{"name": "SecretsyncPlaceholderDetector", "path": f"file://{PLUGIN_PATH}"}]
    if not only_ours:
        plugins.append({"name": "GitHubTokenDetector"})
    with transient_settings({"plugins_used": plugins}):
        collection = SecretsCollection()
        collection.scan_file(str(path))
    return sorted((s.type, s.line_number) for s in collection[str(path)])


def test_secret_type_is_stable() -> None:
    assert SecretsyncPlaceholderDetector.secret_type == "secretsync placeholder" == SECRET_TYPE


def test_reports_placeholders_under_secret_bearing_keys(tmp_path: Path) -> None:
    path = tmp_path / "settings.py"
    path.write_text(
        "NAME = 'example'\n"
        "OPENAI_API_KEY = 'sk-xxxxxxxxxxxxxxxxxxxx'\n"
        "DB_PASSWORD = 'changeme'\n"
        "TOKEN = 'changeme'  # secretsync: ignore\n"
        "REF = '${OTHER}'\n",
        encoding="utf-8",
    )
    assert scan(path) == [(SECRET_TYPE, 2), (SECRET_TYPE, 3)]


def test_yaml_and_env_files(tmp_path: Path) -> None:
    yaml_file = tmp_path / "deploy.yaml"
    yaml_file.write_text("name: example\nauth:\n  api_token: changeme\n", encoding="utf-8")
    assert scan(yaml_file) == [(SECRET_TYPE, 3)]
    env_file = tmp_path / ".env"
    env_file.write_text("export STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\n")
    assert scan(env_file) == [(SECRET_TYPE, 1)]


def test_real_secrets_are_left_to_detect_secrets_own_plugins(tmp_path: Path) -> None:
    path = tmp_path / "config.py"
    path.write_text(f"GITHUB_TOKEN = '{CANARY}'\nAPI_KEY = 'changeme'\n", encoding="utf-8")
    assert scan(path, only_ours=False) == [("GitHub Token", 1), (SECRET_TYPE, 2)]


def test_example_files_are_not_reported(tmp_path: Path) -> None:
    path = tmp_path / ".env.example"
    path.write_text("API_KEY=changeme\n", encoding="utf-8")
    assert scan(path) == []


def test_baseline_entry_holds_a_hash_not_the_value(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text("API_KEY = 'changeme-now-please'\n", encoding="utf-8")
    plugins = [{"name": "SecretsyncPlaceholderDetector", "path": f"file://{PLUGIN_PATH}"}]
    with transient_settings({"plugins_used": plugins}):
        collection = SecretsCollection()
        collection.scan_file(str(path))
        dumped = json.dumps(collection.json())
    assert SECRET_TYPE in dumped
    assert "changeme-now-please" not in dumped


@pytest.mark.parametrize(
    ("line", "expected"),
    [("api_key = 'changeme'", ["api_key = 'changeme'"]), ("name = 'changeme'", []), ("x = 1", [])],
)
def test_analyze_string(line: str, expected: list[str]) -> None:
    assert list(SecretsyncPlaceholderDetector().analyze_string(line)) == expected


# The four kinds of placeholder line that detect-secrets' default filters drop when the
# bare value is reported: templated, not alphanumeric, sequential, and a plain word.
FOUR_KINDS = (
    "DB_PASSWORD=<your-password>\n"
    "STRIPE_SECRET_KEY=*****\n"
    "ADMIN_PASSWORD=123456789\n"
    "API_KEY=changeme\n"
    "SESSION_SECRET=${{ secrets.SESSION }}\n"
    "NAME=service\n"
)
DS_BIN = Path(sys.executable).parent


def ds(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A detect-secrets console script of this environment, run as a user would."""
    return subprocess.run(
        [str(DS_BIN / args[0]), *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "secretsync.detect_secrets_plugin", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_every_kind_of_placeholder_line_survives_the_default_filters(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(FOUR_KINDS, encoding="utf-8")
    assert scan(path) == [(SECRET_TYPE, n) for n in (1, 2, 3, 4, 5)]


def test_decisions_are_the_scanners_for_the_whole_file(tmp_path: Path) -> None:
    # a Kubernetes Secret's data is judged decoded, and a password equal to its user
    secret = tmp_path / "k8s" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop\ndata:\n"
        "  DB_USER: c2hvcA==\n  DB_PASS: c2hvcA==\n  TLS_KEY: ''\n",
        encoding="utf-8",
    )
    assert scan(secret) == [(SECRET_TYPE, 7), (SECRET_TYPE, 8)]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with a .env of placeholders and a baseline made the documented way."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".env").write_text(FOUR_KINDS, encoding="utf-8")
    assert module("shim", cwd=root).returncode == 0
    made = ds(
        "detect-secrets", "scan", "--plugin", "detect_secrets_secretsync.py", ".env", cwd=root
    )
    assert made.returncode == 0, made.stderr
    (root / ".secrets.baseline").write_text(made.stdout, encoding="utf-8")
    done = module("portable", ".secrets.baseline", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


def test_baseline_records_a_relative_plugin_path(repo: Path) -> None:
    document = json.loads((repo / ".secrets.baseline").read_text(encoding="utf-8"))
    ours = [p for p in document["plugins_used"] if p["name"] == "SecretsyncPlaceholderDetector"]
    assert ours == [
        {"name": "SecretsyncPlaceholderDetector", "path": "file://detect_secrets_secretsync.py"}
    ]
    assert [r["line_number"] for r in document["results"][".env"]] == [1, 2, 3, 4, 5]
    assert "changeme" not in (repo / ".secrets.baseline").read_text(encoding="utf-8")


def test_baseline_works_after_the_repository_moves(repo: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(repo, moved)
    shutil.rmtree(repo)  # the old absolute location is gone
    subprocess.run(["git", "init", "-q", "."], cwd=moved, check=True)
    subprocess.run(["git", "add", "-A"], cwd=moved, check=True)
    accepted = ds("detect-secrets-hook", "--baseline", ".secrets.baseline", ".env", cwd=moved)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    with (moved / ".env").open("a", encoding="utf-8") as fh:
        fh.write("NEW_TOKEN=replace-me\n")
    caught = ds("detect-secrets-hook", "--baseline", ".secrets.baseline", ".env", cwd=moved)
    assert caught.returncode == 1
    assert "Location:    .env:7" in caught.stdout


def test_audit_report_runs_on_the_plugins_findings(repo: Path) -> None:
    # detect-secrets' own console script fails for every custom plugin (upstream #611) ...
    plain = ds("detect-secrets", "audit", "--report", ".secrets.baseline", cwd=repo)
    assert plain.returncode == 0 or "TypeError" in plain.stderr
    # ... the documented runner configures the baseline's plugins first, then runs it.
    done = module("audit", "--report", ".secrets.baseline", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["results"]
    assert sorted(int(line) for r in report for line in r["lines"]) == [1, 2, 3, 4, 5]
    assert {t for r in report for t in r["types"]} == {SECRET_TYPE}


def test_portable_refuses_without_a_shim(tmp_path: Path) -> None:
    baseline = tmp_path / ".secrets.baseline"
    baseline.write_text(
        json.dumps(
            {"plugins_used": [{"name": "SecretsyncPlaceholderDetector", "path": "file:///x.py"}]}
        )
    )
    done = module("portable", str(baseline), cwd=tmp_path)
    assert done.returncode == 2 and "no shim" in done.stderr
