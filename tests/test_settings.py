"""Runtime settings: types from the map, validation, precedence, leaks, the lazy object."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

import pytest
from map_support import SOPHIA_HEAD, write_map
from pydantic import SecretStr

import secretsync.runtime as settings_pkg
from secretsync.errors import ConfigError, SettingsError
from secretsync.runtime import SecretSyncSettings, build_settings_class, load_settings
from secretsync.runtime.sources import LoadOptions, chosen_sources

REPO = Path(__file__).resolve().parents[1]

MAP = (
    SOPHIA_HEAD
    + """\
categories:
  ai: sophia.ai
  infra: sophia.infrastructure
secrets:
  OPENAI_API_KEY:
    category: ai
    description: Chat completions
  LAMBDA_LABS_SSH_KEY:
    category: infra
    type: pem
    environments: [production]
    env_var: LAMBDA_SSH_KEY
    field: lambda_ssh_key
  SLACK_WEBHOOK_URL:
    category: infra
    type: url
  AWS_REGION:
    category: infra
    type: string
  WORKER_COUNT:
    category: infra
    type: int
    required: false
  DEBUG_MODE:
    category: infra
    type: bool
    required: false
  FEATURE_FLAGS:
    category: ai
    type: json
    required: false
"""
)

# No `.env` or map of the checkout leaks in: each test runs in its own folder.
pytestmark = pytest.mark.usefixtures("in_tmp_path")

# Values that look real to the classifier; CANARY must never appear in any output.
CANARY = "tok_CANARY7f3a9c2e41d8b6a5f0e9d8c7"
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
HOOK = "https://hooks.slack.com/services/T024BE7LD/B01ABCDEF/q8vT2mZcK1nR7sLw4pYx"
GOOD = {
    "OPENAI_API_KEY": CANARY,
    "LAMBDA_SSH_KEY": PEM,
    "SLACK_WEBHOOK_URL": HOOK,
    "AWS_REGION": "eu-west-2",
}


@pytest.fixture
def map_file(tmp_path: Path) -> Path:
    return write_map(tmp_path, MAP)


def load(map_file: Path, environ: dict[str, str], **kw: Any) -> Any:
    kw.setdefault("sources", ["env"])
    kw.setdefault("environment", "production")
    return load_settings(map_file, environ=environ, **kw)


def problems(exc: pytest.ExceptionInfo[SettingsError]) -> dict[str, str]:
    return exc.value.problems


# ------------------------------------------------------------------------------ types


def test_each_map_type_becomes_its_python_type(map_file: Path) -> None:
    environ = {**GOOD, "WORKER_COUNT": "8", "DEBUG_MODE": "yes", "FEATURE_FLAGS": '{"a": [1]}'}
    s = load(map_file, environ)
    assert isinstance(s, SecretSyncSettings)
    assert isinstance(s.openai_api_key, SecretStr)
    assert s.openai_api_key.get_secret_value() == CANARY
    assert s.lambda_ssh_key.get_secret_value() == PEM  # newlines kept byte for byte
    assert isinstance(s.slack_webhook_url, SecretStr)  # a webhook URL is a credential
    assert s.slack_webhook_url.get_secret_value() == HOOK
    assert s.aws_region == "eu-west-2"
    assert s.worker_count == 8
    assert s.debug_mode is True
    assert s.feature_flags == {"a": [1]}


def test_optional_fields_default_to_none(map_file: Path) -> None:
    s = load(map_file, dict(GOOD))
    assert (s.worker_count, s.debug_mode, s.feature_flags) == (None, None, None)


@pytest.mark.parametrize(
    ("var", "value", "field", "reason"),
    [
        ("WORKER_COUNT", "eight", "worker_count", "valid integer"),
        ("DEBUG_MODE", "perhaps", "debug_mode", "valid boolean"),
        ("FEATURE_FLAGS", "{not json", "feature_flags", "not valid JSON"),
        ("SLACK_WEBHOOK_URL", "hooks-without-scheme-q8vT2mZcK1", "slack_webhook_url", "URL"),
        ("LAMBDA_SSH_KEY", "ssh-rsa-but-not-pem-q8vT2mZcK1nR7", "lambda_ssh_key", "PEM"),
    ],
)
def test_bad_values_name_the_field_and_reason(
    map_file: Path, var: str, value: str, field: str, reason: str
) -> None:
    with pytest.raises(SettingsError) as exc:
        load(map_file, {**GOOD, var: value})
    assert list(problems(exc)) == [field]
    assert reason in problems(exc)[field]
    assert value not in str(exc.value)


def test_a_url_must_be_absolute(map_file: Path) -> None:
    with pytest.raises(SettingsError) as exc:
        load(map_file, {**GOOD, "SLACK_WEBHOOK_URL": "/services/T024BE7LD/B01ABCDEF"})
    assert "absolute URL" in problems(exc)["slack_webhook_url"]


# ------------------------------------------------------------------------- validation


def test_one_error_lists_every_missing_and_placeholder_field(map_file: Path) -> None:
    environ = {"OPENAI_API_KEY": "changeme", "SLACK_WEBHOOK_URL": "", "AWS_REGION": "eu-west-2"}
    with pytest.raises(SettingsError) as exc:
        load(map_file, environ)
    found = problems(exc)
    assert set(found) == {"openai_api_key", "lambda_ssh_key", "slack_webhook_url"}
    assert found["openai_api_key"] == "a placeholder: placeholder word 'changeme'"
    assert found["slack_webhook_url"] == "empty"
    assert found["lambda_ssh_key"] == "not set (looked for LAMBDA_SSH_KEY or LAMBDA_LABS_SSH_KEY)"
    assert exc.value.exit_code == 2
    assert isinstance(exc.value, ValueError)


@pytest.mark.parametrize(
    "value", ["sk-xxxxxxxxxxxxxxxxxxxxxxxx", "<your-api-key>", "${OPENAI_API_KEY}", "   "]
)
def test_placeholders_and_references_are_refused(map_file: Path, value: str) -> None:
    with pytest.raises(SettingsError) as exc:
        load(map_file, {**GOOD, "OPENAI_API_KEY": value})
    assert list(problems(exc)) == ["openai_api_key"]
    if value.strip():
        assert value not in str(exc.value)


def test_an_empty_variable_is_reported_not_skipped(
    map_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An unset GitHub secret reaches a workflow as "": say so, never fall back to .env.
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={CANARY}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as exc:
        load(map_file, {**GOOD, "OPENAI_API_KEY": ""}, sources=["env", "dotenv"])
    assert problems(exc) == {"openai_api_key": "empty"}


# ------------------------------------------------------------------- names and aliases


def test_env_var_wins_over_the_secret_name(map_file: Path) -> None:
    other = PEM.replace("MIIE", "ZZZZ")
    s = load(map_file, {**GOOD, "LAMBDA_LABS_SSH_KEY": other})
    assert s.lambda_ssh_key.get_secret_value() == PEM


def test_the_secret_name_is_accepted_when_env_var_is_unset(map_file: Path) -> None:
    environ = {k: v for k, v in GOOD.items() if k != "LAMBDA_SSH_KEY"}
    s = load(map_file, {**environ, "LAMBDA_LABS_SSH_KEY": PEM})
    assert s.lambda_ssh_key.get_secret_value() == PEM


def test_a_name_that_is_another_secrets_env_var_is_not_an_alias(tmp_path: Path) -> None:
    text = MAP + "  OTHER_SECRET:\n    category: ai\n    env_var: OPENAI_KEY_ALIAS\n"
    text += "  OPENAI_KEY_ALIAS_SOURCE:\n    category: ai\n    env_var: OTHER_SECRET\n"
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    cls = build_settings_class(load_map(path), "production")
    alias = cls.model_fields["other_secret"].validation_alias
    assert alias == "OPENAI_KEY_ALIAS"  # OTHER_SECRET belongs to another secret


def test_a_field_name_taken_by_the_model_is_a_config_error(tmp_path: Path) -> None:
    text = MAP + "  JSON:\n    category: ai\n"
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="JSON: settings field 'json' is taken"):
        build_settings_class(load_map(path))


# ----------------------------------------------------------------------- environments


def test_environment_selects_fields(map_file: Path) -> None:
    staging = build_settings_class(load_map(map_file), "staging")
    production = build_settings_class(load_map(map_file), "production")
    assert "lambda_ssh_key" not in staging.model_fields
    assert production.model_fields["lambda_ssh_key"].is_required()


def test_without_environment_every_secret_is_a_field(map_file: Path) -> None:
    cls = build_settings_class(load_map(map_file), None)
    assert set(cls.model_fields) == {
        "openai_api_key",
        "lambda_ssh_key",
        "slack_webhook_url",
        "aws_region",
        "worker_count",
        "debug_mode",
        "feature_flags",
    }
    # Required only when required in every environment: production-only is optional here.
    assert not cls.model_fields["lambda_ssh_key"].is_required()
    assert cls.model_fields["openai_api_key"].is_required()
    assert cls.secretsync_esc == {
        "production": "scoobyjava-org/default/sophia-ai-production",
        "staging": "scoobyjava-org/default/sophia-ai-staging",
    }


def test_environment_comes_from_secretsync_environment(map_file: Path) -> None:
    environ = {k: v for k, v in GOOD.items() if k != "LAMBDA_SSH_KEY"}
    s = load_settings(map_file, environ={**environ, "SECRETSYNC_ENVIRONMENT": "staging"})
    assert "lambda_ssh_key" not in type(s).model_fields
    with pytest.raises(SettingsError):  # production needs the key
        load_settings(map_file, environ={**environ, "SECRETSYNC_ENVIRONMENT": "production"})


def test_generic_environment_counts_only_when_the_map_knows_it(map_file: Path) -> None:
    environ = {k: v for k, v in GOOD.items() if k != "LAMBDA_SSH_KEY"}
    s = load_settings(map_file, environ={**environ, "ENVIRONMENT": "development"}, sources=["env"])
    assert "lambda_ssh_key" in type(s).model_fields  # union: optional there
    with pytest.raises(SettingsError):
        load_settings(map_file, environ={**environ, "ENVIRONMENT": "production"}, sources=["env"])


def test_an_unknown_named_environment_is_a_config_error(map_file: Path) -> None:
    with pytest.raises(ConfigError, match="unknown environment 'prod'"):
        load_settings(map_file, environ={**GOOD, "SECRETSYNC_ENVIRONMENT": "prod"})


def test_unknown_source_is_a_config_error(map_file: Path) -> None:
    with pytest.raises(ConfigError, match="unknown settings source 'vault'"):
        load(map_file, dict(GOOD), sources=["env", "vault"])


def test_keyring_is_left_out_in_ci_and_for_a_deploy_environment() -> None:
    everything = ("env", "esc", "keyring", "dotenv")
    assert chosen_sources(LoadOptions(), {}) == everything
    assert "keyring" not in chosen_sources(LoadOptions(), {"CI": "true"})
    assert "keyring" not in chosen_sources(LoadOptions(environment="production"), {})
    assert chosen_sources(LoadOptions(), {"SECRETSYNC_SETTINGS_SOURCES": "env, dotenv"}) == (
        "env",
        "dotenv",
    )
    assert chosen_sources(LoadOptions(sources=("keyring",), environment="x"), {}) == ("keyring",)


# --------------------------------------------------------------------------- dotenv


def test_dotenv_fills_what_the_environment_lacks(
    map_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = "tok_fromdotenv_5b1c9e77a0d24f3b"
    (tmp_path / ".env").write_text(
        f"OPENAI_API_KEY={other}\nAWS_REGION=us-east-1\nUNRELATED=1\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    environ = {k: v for k, v in GOOD.items() if k != "AWS_REGION"}
    s = load(map_file, environ, sources=["env", "dotenv"])
    assert s.openai_api_key.get_secret_value() == CANARY  # environment first
    assert s.aws_region == "us-east-1"


# ---------------------------------------------------------------------------- leaks


def test_no_value_in_repr_str_dump_json_or_errors(map_file: Path) -> None:
    environ = {**GOOD, "WORKER_COUNT": "8", "FEATURE_FLAGS": json.dumps({"k": 1})}
    s = load(map_file, environ)
    for text in (repr(s), str(s), repr(s.openai_api_key), str(s.slack_webhook_url)):
        assert CANARY not in text
        assert HOOK not in text
        assert "eu-west-2" not in text  # repr masks plain types too
    assert "openai_api_key=<set>" in repr(s)
    assert "worker_count=<set>" in repr(s)
    assert "debug_mode=None" in repr(s)
    # Dumps mask the sensitive types (secret, pem, url); plain types dump as data, by design.
    dumped = s.model_dump_json()
    assert CANARY not in dumped
    assert HOOK not in dumped
    assert PEM.splitlines()[1] not in dumped
    assert json.loads(dumped)["openai_api_key"] == "**********"


def test_no_value_in_a_failed_load_traceback(map_file: Path) -> None:
    environ = {
        **GOOD,
        "WORKER_COUNT": CANARY,
        "FEATURE_FLAGS": "{" + CANARY,
        "SLACK_WEBHOOK_URL": CANARY,
    }
    with pytest.raises(SettingsError) as exc:
        load(map_file, environ)
    assert set(problems(exc)) == {"worker_count", "feature_flags", "slack_webhook_url"}
    rendered = "".join(traceback.format_exception(exc.value))
    assert CANARY not in rendered
    assert CANARY not in repr(exc.value)
    assert exc.value.__suppress_context__  # pydantic's error is not chained into the output


def test_source_reprs_hold_no_values(map_file: Path) -> None:
    from secretsync.runtime.esc_source import EscSettingsSource
    from secretsync.runtime.sources import EnvironSource, KeyringSettingsSource

    cls = build_settings_class(load_map(map_file), "production")
    for source in (
        EnvironSource(cls, dict(GOOD)),
        EscSettingsSource(cls, environ={"SECRETSYNC_ENVIRONMENT": "production"}),
        KeyringSettingsSource(cls),
    ):
        assert CANARY not in repr(source)
    assert "sophia-ai-production" in repr(
        EscSettingsSource(cls, environ={"SECRETSYNC_ENVIRONMENT": "production"})
    )


# ------------------------------------------------------------------ no network at all


def test_loading_from_the_environment_opens_no_socket(
    map_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A token and a deploy environment are present, but every field is in the environment:
    # ESC is never opened, and nothing creates a socket of any kind.
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    environ = {
        **GOOD,
        "WORKER_COUNT": "1",
        "DEBUG_MODE": "0",
        "FEATURE_FLAGS": "[]",
        "PULUMI_ACCESS_TOKEN": "pul-test-token",
        "SECRETSYNC_ENVIRONMENT": "production",
    }
    s = load_settings(map_file, environ=environ)
    assert s.worker_count == 1


def test_import_and_load_stay_lean(map_file: Path, tmp_path: Path) -> None:
    """In a fresh interpreter: no httpx, rich or keyring for an environment-only load."""
    code = (
        "import sys\n"
        "from secretsync import settings\n"
        "assert settings.openai_api_key.get_secret_value()\n"
        "heavy = sorted(m for m in ('httpx', 'rich', 'keyring', 'ruamel') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SECRETSYNC_MAP": str(map_file),
        "SECRETSYNC_ENVIRONMENT": "production",
        "PYTHONPATH": str(REPO),
        **GOOD,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


# ---------------------------------------------------------------------- lazy settings


def test_from_secretsync_import_settings_builds_on_first_access(
    map_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_pkg.reset_settings()
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRETSYNC_MAP", str(map_file))
    monkeypatch.setenv("SECRETSYNC_ENVIRONMENT", "production")
    calls: list[int] = []
    real = settings_pkg.load_settings

    def counting(*args: Any, **kwargs: Any) -> SecretSyncSettings:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(settings_pkg, "load_settings", counting)
    try:
        from secretsync import settings

        assert calls == []  # importing builds nothing
        lazy = settings_pkg.lazy_settings()
        assert repr(lazy) == "<settings: not loaded yet>"
        seen: list[str] = []

        def read() -> None:
            seen.append(settings.openai_api_key.get_secret_value())

        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert seen == [CANARY] * 8
        assert calls == [1]  # built once, under the lock
        assert lazy.aws_region == "eu-west-2"
        assert "openai_api_key" in dir(lazy)
        assert CANARY not in repr(lazy)
    finally:
        settings_pkg.reset_settings()


def test_lazy_settings_report_errors_on_each_access(
    map_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_pkg.reset_settings()
    monkeypatch.setenv("SECRETSYNC_MAP", str(map_file))
    monkeypatch.setenv("SECRETSYNC_SETTINGS_SOURCES", "env")
    try:
        lazy = settings_pkg.lazy_settings()
        for _ in range(2):
            with pytest.raises(SettingsError, match="openai_api_key: not set"):
                _ = lazy.openai_api_key
    finally:
        settings_pkg.reset_settings()


def load_map(path: Path) -> Any:
    from secretsync.map.load import load_map as real

    return real(path)


def test_from_secretsync_import_settings_is_always_the_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The implementation lives in secretsync.runtime, so importing it never rebinds
    # `secretsync.settings`, and no field name (not even `model`) is shadowed by a module.
    import secretsync.runtime  # noqa: F401  (imported first on purpose)

    path = tmp_path / "m.yaml"
    path.write_text(MAP + "  MODEL:\n    category: ai\n    type: string\n", encoding="utf-8")
    monkeypatch.setenv("SECRETSYNC_MAP", str(path))
    monkeypatch.setenv("SECRETSYNC_SETTINGS_SOURCES", "env")
    monkeypatch.setenv("SECRETSYNC_ENVIRONMENT", "staging")
    for name, value in {**GOOD, "MODEL": "gpt-large"}.items():
        monkeypatch.setenv(name, value)
    settings_pkg.reset_settings()
    try:
        from secretsync import settings

        assert settings is settings_pkg.lazy_settings()
        assert settings.model == "gpt-large"
        assert settings.openai_api_key.get_secret_value() == GOOD["OPENAI_API_KEY"]
    finally:
        settings_pkg.reset_settings()


def test_the_map_is_found_like_the_cli_finds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "secret_map.yaml").write_text(MAP, encoding="utf-8")
    nested = tmp_path / "services" / "api"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    s = load_settings(environ=dict(GOOD), environment="production", sources=["env"])
    assert s.aws_region == "eu-west-2"
    outside = tmp_path.parent
    if any((d / "config" / "secret_map.yaml").is_file() for d in (outside, *outside.parents)):
        pytest.skip("a map above the temporary folder would be found")
    monkeypatch.chdir(outside)
    with pytest.raises(ConfigError, match=r"no config/secret_map\.yaml") as exc:
        load_settings(environ=dict(GOOD), sources=["env"])
    assert exc.value.hint == "set SECRETSYNC_MAP, or call load_settings(map_path=...)"


# ------------------------------------------------------- why ESC was not read (issue 17)


def test_without_a_deploy_environment_the_error_says_esc_was_skipped(map_file: Path) -> None:
    environ = {"PULUMI_ACCESS_TOKEN": "pul-test", "AWS_REGION": "eu-west-2"}
    with pytest.raises(SettingsError) as exc:
        load_settings(map_file, sources=["env", "esc"], environ=environ)
    message = str(exc.value)
    assert "ESC was not read" in message
    assert "SECRETSYNC_ENVIRONMENT is not set" in message
    assert "production" in message.split("ESC was not read", 1)[1]  # the names to choose from


def test_without_a_pulumi_token_the_error_says_esc_was_skipped(map_file: Path) -> None:
    environ = {"SECRETSYNC_ENVIRONMENT": "production", "AWS_REGION": "eu-west-2"}
    with pytest.raises(SettingsError) as exc:
        load_settings(map_file, sources=["env", "esc"], environ=environ)
    assert "ESC was not read: no Pulumi token (PULUMI_ACCESS_TOKEN)" in str(exc.value)


def test_when_esc_is_not_a_source_nothing_is_said_about_it(map_file: Path) -> None:
    with pytest.raises(SettingsError) as exc:
        load(map_file, {"AWS_REGION": "eu-west-2"})
    assert "ESC" not in str(exc.value)
