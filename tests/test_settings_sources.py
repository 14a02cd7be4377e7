"""Settings sources: the ESC environment (against the emulator), the keyring, precedence."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring.errors
import pytest
from map_support import SOPHIA_HEAD, write_map
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from secretsync.emulator.app import Emulator
from secretsync.errors import ConfigError, NotFoundError, SettingsError
from secretsync.map.cache import cache_dir
from secretsync.runtime import EscSettingsSource, clear_esc_cache, load_settings

ORG, PROJECT, ENV = "scoobyjava-org", "default", "sophia-ai-production"

MAP = (
    SOPHIA_HEAD
    + """\
categories:
  ai: sophia.ai
secrets:
  OPENAI_API_KEY:
    category: ai
  ANTHROPIC_API_KEY:
    category: ai
  ROUTING_RULES:
    category: ai
    type: json
  REPLICAS:
    category: ai
    type: int
    env_var: SOPHIA_REPLICAS
    required: false
"""
)

# No `.env` or map of the checkout leaks in: each test runs in its own folder.
pytestmark = pytest.mark.usefixtures("in_tmp_path")

OPENAI_ESC = "sk-proj-Esc4u9TqW2bN7xRk3LmZp8VcY1dF6gHj"
ANTHROPIC_ESC = "sk-ant-api03-Esc7Yp2LqW9xK4mN1bV6cZ3tR8sD5fGh"
ESC_YAML = f"""\
values:
  sophia:
    ai:
      openai_api_key:
        fn::secret: {OPENAI_ESC}
      anthropic_api_key:
        fn::secret: {ANTHROPIC_ESC}
      routing_rules:
        temperature: 0.2
        models: [large, small]
  replicas: 3
  environmentVariables:
    SOPHIA_REPLICAS: ${{replicas}}
"""
FROM_ENV = "sk-proj-Env9aZ3kQ7wX2cV5bN8mL1pO4iU6yT0r"
FROM_KEYRING = "sk-proj-Kr1ng8sT4dE6fG2hJ9kL3zX5cV7bN0mQ"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_esc_cache()
    yield
    clear_esc_cache()


@pytest.fixture
def map_file(tmp_path: Path) -> Path:
    return write_map(tmp_path, MAP)


@pytest.fixture
def esc_environ(secretsync_emulator_server: Any) -> dict[str, str]:
    secretsync_emulator_server.emulator.seed_esc_environment(ORG, PROJECT, ENV, ESC_YAML)
    secretsync_emulator_server.emulator.clear_request_log()
    return {
        "PULUMI_ACCESS_TOKEN": "pul-test-token",
        "SECRETSYNC_ESC_API_URL": secretsync_emulator_server.esc_url,
        "SECRETSYNC_ENVIRONMENT": "production",
    }


def esc_requests(emulator: Emulator) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in emulator.request_log()]


# ---------------------------------------------------------------------------------- ESC


def test_esc_fills_fields_by_path_and_by_exported_variable(
    map_file: Path, esc_environ: dict[str, str], secretsync_emulator_server: Any
) -> None:
    s = load_settings(map_file, environ=esc_environ)
    assert s.openai_api_key.get_secret_value() == OPENAI_ESC
    assert s.anthropic_api_key.get_secret_value() == ANTHROPIC_ESC
    assert s.routing_rules == {"temperature": 0.2, "models": ["large", "small"]}
    assert s.replicas == 3  # no value at sophia.ai.replicas: matched by environmentVariables
    paths = esc_requests(secretsync_emulator_server.emulator)
    assert any(p.endswith(f"/environments/{ORG}/{PROJECT}/{ENV}/open") for p in paths)


def test_process_environment_wins_over_esc(map_file: Path, esc_environ: dict[str, str]) -> None:
    s = load_settings(map_file, environ={**esc_environ, "OPENAI_API_KEY": FROM_ENV})
    assert s.openai_api_key.get_secret_value() == FROM_ENV
    assert s.anthropic_api_key.get_secret_value() == ANTHROPIC_ESC


def test_esc_wins_over_keyring(
    map_file: Path, esc_environ: dict[str, str], memory_keyring: Any
) -> None:
    memory_keyring.set_password("secretsync-settings", "OPENAI_API_KEY", FROM_KEYRING)
    s = load_settings(map_file, environ=esc_environ, sources=["env", "esc", "keyring", "dotenv"])
    assert s.openai_api_key.get_secret_value() == OPENAI_ESC


def test_the_environment_is_opened_once_per_ttl(
    map_file: Path, esc_environ: dict[str, str], secretsync_emulator_server: Any
) -> None:
    emulator = secretsync_emulator_server.emulator
    for _ in range(3):
        load_settings(map_file, environ=esc_environ)
    opens = [p for p in esc_requests(emulator) if p.startswith("POST") and p.endswith("/open")]
    assert len(opens) == 1
    load_settings(map_file, environ={**esc_environ, "SECRETSYNC_ESC_TTL": "0"})
    load_settings(map_file, environ={**esc_environ, "SECRETSYNC_ESC_TTL": "0"})
    opens = [p for p in esc_requests(emulator) if p.startswith("POST") and p.endswith("/open")]
    assert len(opens) == 3  # expired at once: each load opens again


def test_esc_is_not_opened_when_the_environment_has_everything(
    map_file: Path, esc_environ: dict[str, str], secretsync_emulator_server: Any
) -> None:
    environ = {
        **esc_environ,
        "OPENAI_API_KEY": FROM_ENV,
        "ANTHROPIC_API_KEY": FROM_ENV.replace("Env", "Ant"),
        "ROUTING_RULES": "{}",
        "SOPHIA_REPLICAS": "2",
    }
    s = load_settings(map_file, environ=environ)
    assert s.replicas == 2
    assert esc_requests(secretsync_emulator_server.emulator) == []


@pytest.mark.parametrize("missing", ["PULUMI_ACCESS_TOKEN", "SECRETSYNC_ENVIRONMENT"])
def test_esc_needs_a_token_and_a_deploy_environment(
    map_file: Path,
    esc_environ: dict[str, str],
    secretsync_emulator_server: Any,
    missing: str,
) -> None:
    environ = {k: v for k, v in esc_environ.items() if k != missing}
    with pytest.raises(SettingsError, match="openai_api_key: not set"):
        load_settings(map_file, environ=environ, sources=["env", "esc"])
    assert esc_requests(secretsync_emulator_server.emulator) == []


def test_generic_environment_variable_opens_esc_when_known(
    map_file: Path, esc_environ: dict[str, str]
) -> None:
    environ = {k: v for k, v in esc_environ.items() if k != "SECRETSYNC_ENVIRONMENT"}
    s = load_settings(map_file, environ={**environ, "ENVIRONMENT": "production"})
    assert s.openai_api_key.get_secret_value() == OPENAI_ESC


def test_esc_values_are_validated_and_never_shown(
    map_file: Path, esc_environ: dict[str, str], secretsync_emulator_server: Any
) -> None:
    placeholder = "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    secretsync_emulator_server.emulator.seed_esc_environment(
        ORG, PROJECT, ENV, ESC_YAML.replace(OPENAI_ESC, placeholder)
    )
    with pytest.raises(SettingsError) as exc:
        load_settings(map_file, environ=esc_environ)
    assert list(exc.value.problems) == ["openai_api_key"]
    assert "placeholder" in exc.value.problems["openai_api_key"]
    assert placeholder not in str(exc.value)
    assert ANTHROPIC_ESC not in str(exc.value)


def test_values_sync_wrote_as_base64_round_trip(
    map_file: Path, esc_environ: dict[str, str], secretsync_emulator_server: Any
) -> None:
    # sync writes a value holding `$` as fn::fromBase64 around fn::secret (ARCHITECTURE.md).
    tricky = "sk-proj-Pa$$w0rd$x9Qz${q\nline two ünïcode"
    encoded = base64.b64encode(tricky.encode()).decode()
    yaml_text = ESC_YAML.replace(
        f"fn::secret: {OPENAI_ESC}", f"fn::fromBase64:\n          fn::secret: {encoded}"
    )
    secretsync_emulator_server.emulator.seed_esc_environment(ORG, PROJECT, ENV, yaml_text)
    s = load_settings(map_file, environ=esc_environ)
    assert s.openai_api_key.get_secret_value() == tricky


def test_esc_values_stay_in_memory(
    map_file: Path,
    esc_environ: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = Path(os.environ["HOME"])
    monkeypatch.chdir(tmp_path)
    before = {p: p.stat().st_mtime_ns for root in (home, tmp_path) for p in root.rglob("*")}
    s = load_settings(map_file, environ=esc_environ)
    assert s.openai_api_key.get_secret_value() == OPENAI_ESC
    after = {p: p.stat().st_mtime_ns for root in (home, tmp_path) for p in root.rglob("*")}
    written = {p for p in after if before.get(p) != after[p]}
    # Only the validated map's cache (names and paths, no values) may be written.
    cache = cache_dir(esc_environ) or home / ".cache" / "secretsync" / "maps"
    assert all(cache in p.parents or p == cache or p in cache.parents for p in written)
    for path in written:
        if path.is_file():
            assert OPENAI_ESC not in path.read_text(encoding="utf-8")


def test_a_bad_ttl_is_a_config_error(map_file: Path, esc_environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="SECRETSYNC_ESC_TTL is not a number"):
        load_settings(map_file, environ={**esc_environ, "SECRETSYNC_ESC_TTL": "soon"})


def test_a_missing_esc_environment_fails_loudly(
    map_file: Path, esc_environ: dict[str, str]
) -> None:
    # staging is in the map but was never created in ESC: a service error, not "not set".
    with pytest.raises(NotFoundError):
        load_settings(map_file, environ={**esc_environ, "SECRETSYNC_ENVIRONMENT": "staging"})


def test_esc_source_works_inside_a_running_event_loop(
    map_file: Path, esc_environ: dict[str, str]
) -> None:
    async def service_startup() -> Any:
        return load_settings(map_file, environ=esc_environ)

    s = asyncio.run(service_startup())
    assert s.openai_api_key.get_secret_value() == OPENAI_ESC


def test_esc_against_the_in_process_transport(
    map_file: Path, secretsync_emulator: Emulator
) -> None:
    secretsync_emulator.seed_esc_environment(ORG, PROJECT, ENV, ESC_YAML)
    environ = {
        "PULUMI_ACCESS_TOKEN": "pul-test-token",
        "SECRETSYNC_ESC_API_URL": "http://127.0.0.1:9/api/esc",
        "SECRETSYNC_ENVIRONMENT": "production",
    }
    s = load_settings(map_file, environ=environ, transport=secretsync_emulator.transport())
    assert s.anthropic_api_key.get_secret_value() == ANTHROPIC_ESC


def test_esc_source_plugs_into_any_basesettings(esc_environ: dict[str, str]) -> None:
    class Plain(BaseSettings):
        model_config = SettingsConfigDict(extra="ignore")
        openai_api_key: SecretStr = Field(
            json_schema_extra={"secretsync": {"esc_path": "sophia.ai.openai_api_key"}}
        )
        sophia_replicas: int = Field(validation_alias="SOPHIA_REPLICAS")

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            esc = EscSettingsSource(settings_cls, environ=esc_environ, ref=f"{ORG}/{PROJECT}/{ENV}")
            return init_settings, esc

    plain = Plain()
    assert plain.openai_api_key.get_secret_value() == OPENAI_ESC
    assert plain.sophia_replicas == 3
    assert OPENAI_ESC not in repr(plain)


def test_unknown_deploy_environment_in_a_plugged_source(map_file: Path) -> None:
    from secretsync.map.load import load_map
    from secretsync.runtime import build_settings_class

    cls = build_settings_class(load_map(map_file))
    source = EscSettingsSource(cls, environ={"SECRETSYNC_ENVIRONMENT": "qa"})
    with pytest.raises(ConfigError, match="'qa' has no ESC environment"):
        source.target()


# ------------------------------------------------------------------------------ keyring


def test_keyring_fills_what_the_environment_lacks(map_file: Path, memory_keyring: Any) -> None:
    memory_keyring.set_password("secretsync-settings", "OPENAI_API_KEY", FROM_KEYRING)
    memory_keyring.set_password("secretsync-settings", "REPLICAS", "4")  # by secret name
    environ = {"ANTHROPIC_API_KEY": FROM_ENV, "ROUTING_RULES": "[]"}
    s = load_settings(map_file, environ=environ, sources=["env", "keyring"])
    assert s.openai_api_key.get_secret_value() == FROM_KEYRING
    assert s.replicas == 4


def test_environment_wins_over_keyring_and_keyring_over_dotenv(
    map_file: Path, memory_keyring: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring.set_password("secretsync-settings", "OPENAI_API_KEY", FROM_KEYRING)
    memory_keyring.set_password("secretsync-settings", "ANTHROPIC_API_KEY", FROM_KEYRING)
    (tmp_path / ".env").write_text(
        f"ANTHROPIC_API_KEY={FROM_ENV}\nROUTING_RULES=[1]\nSOPHIA_REPLICAS=5\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    s = load_settings(map_file, environ={"OPENAI_API_KEY": FROM_ENV})
    assert s.openai_api_key.get_secret_value() == FROM_ENV
    assert s.anthropic_api_key.get_secret_value() == FROM_KEYRING
    assert (s.routing_rules, s.replicas) == ([1], 5)


def test_keyring_is_not_read_when_nothing_is_missing(
    map_file: Path, memory_keyring: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[tuple[str, str]] = []
    real = memory_keyring.get_password

    def counting(service: str, username: str) -> str | None:
        reads.append((service, username))
        return real(service, username)

    monkeypatch.setattr(memory_keyring, "get_password", counting)
    environ = {
        "OPENAI_API_KEY": FROM_ENV,
        "ANTHROPIC_API_KEY": FROM_ENV,
        "ROUTING_RULES": "{}",
        "SOPHIA_REPLICAS": "1",
    }
    load_settings(map_file, environ=environ, sources=["env", "keyring"])
    assert reads == []
    load_settings(
        map_file,
        environ={k: v for k, v in environ.items() if k != "SOPHIA_REPLICAS"},
        sources=["env", "keyring"],
    )
    assert reads == [("secretsync-settings", "REPLICAS")]  # only the missing field


def test_a_broken_keyring_contributes_nothing(
    map_file: Path, memory_keyring: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(service: str, username: str) -> str | None:
        raise keyring.errors.NoKeyringError("no backend")

    monkeypatch.setattr(memory_keyring, "get_password", broken)
    with pytest.raises(SettingsError, match="openai_api_key: not set"):
        load_settings(map_file, environ={}, sources=["env", "keyring"])


def test_load_options_repr_holds_no_environment_value() -> None:
    from secretsync.runtime.sources import LoadOptions

    canary = "pul-CANARYrepr0123456789abcdef01234567"
    options = LoadOptions(environ={"PULUMI_ACCESS_TOKEN": canary}, environment="prod")
    assert canary not in repr(options)
    assert "environment='prod'" in repr(options)
