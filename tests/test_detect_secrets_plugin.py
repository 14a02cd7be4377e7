"""The detect-secrets plugin, run through detect-secrets' own custom-plugin mechanism."""

from __future__ import annotations

import json
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
    [("api_key = 'changeme'", ["changeme"]), ("name = 'changeme'", []), ("x = 1", [])],
)
def test_analyze_string(line: str, expected: list[str]) -> None:
    assert list(SecretsyncPlaceholderDetector().analyze_string(line)) == expected
