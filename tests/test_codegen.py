"""``secretsync codegen settings``: the generated module, its stability, --check, mypy."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from map_support import map_head, write_map
from pydantic import SecretStr

from secretsync.cli.app import App
from secretsync.cli.main import main
from secretsync.errors import SettingsError
from secretsync.map.load import load_map
from secretsync.runtime import SecretSyncSettings, build_settings_class, load_settings
from secretsync.runtime.codegen import render_settings_module

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "config" / "secret_map.yaml"

MAP = (
    # staging before production, as this map has always listed them
    map_head(
        "ai-cherry",
        "scoobyjava-org",
        staging="sophia-ai-staging",
        production="sophia-ai-production",
    )
    + """\
categories:
  ai: sophia.ai
secrets:
  ZETA_TOKEN:
    category: ai
    description: 'Quotes " and a backslash \\ and unicode é survive'
  ALPHA_URL:
    category: ai
    type: url
    env_var: ALPHA_ENDPOINT
  BETA_COUNT:
    category: ai
    type: int
    required: false
    environments: [production]
  GAMMA_ON:
    category: ai
    type: bool
    required: false
  DELTA_DOC:
    category: ai
    type: json
    required: false
  EPSILON_CERT:
    category: ai
    type: pem
    required: false
  ETA_NAME:
    category: ai
    type: string
"""
)


@pytest.fixture
def map_file(tmp_path: Path) -> Path:
    return write_map(tmp_path, MAP)


def run_cli(*argv: str, cwd: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    app = App(environ={}, stdout=out, stderr=err, cwd=cwd)
    code = main(list(argv), app=app)
    return code, out.getvalue(), err.getvalue()


def import_file(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"generated_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------ the module


def test_output_is_stable_and_sorted(map_file: Path) -> None:
    smap = load_map(map_file)
    first = render_settings_module(smap)
    assert render_settings_module(load_map(map_file)) == first
    fields = [line.split(":")[0].strip() for line in first.splitlines() if " = Field(" in line]
    assert fields == sorted(fields)
    assert fields[0] == "alpha_url"
    assert first.index('"production"') < first.index('"staging"')  # sorted, not map order
    assert str(map_file.parent) not in first  # no absolute path, no timestamp


def test_generated_class_matches_the_map_built_class(map_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "generated_settings.py"
    target.write_text(render_settings_module(load_map(map_file)), encoding="utf-8")
    generated = import_file(target).Settings
    dynamic = build_settings_class(load_map(map_file))
    assert issubclass(generated, SecretSyncSettings)
    assert generated.model_fields.keys() == dynamic.model_fields.keys()
    for name, info in dynamic.model_fields.items():
        mine = generated.model_fields[name]
        assert mine.validation_alias == info.validation_alias, name
        assert mine.is_required() == info.is_required(), name
        assert mine.description == info.description, name
        assert mine.json_schema_extra == info.json_schema_extra, name
    assert generated.secretsync_esc == dynamic.secretsync_esc
    assert "backslash \\ and unicode é" in (generated.model_fields["zeta_token"].description or "")


def test_generated_class_loads_and_validates(map_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "generated_settings2.py"
    target.write_text(render_settings_module(load_map(map_file)), encoding="utf-8")
    cls = import_file(target).Settings
    environ = {
        "ZETA_TOKEN": "zt_8f2Kq7LmN3pR5sT9vW1xY4",
        "ALPHA_ENDPOINT": "https://alpha.sophia-internal.io/v1?key=Q9z8Y7x6W5",
        "ETA_NAME": "sophia-worker",
        "BETA_COUNT": "3",
    }
    s = load_settings(settings_cls=cls, environ=environ, sources=["env"])
    assert isinstance(s, cls)
    assert isinstance(s.alpha_url, SecretStr)
    assert (s.beta_count, s.eta_name, s.gamma_on) == (3, "sophia-worker", None)
    with pytest.raises(SettingsError) as exc:
        load_settings(
            settings_cls=cls, environ={**environ, "ZETA_TOKEN": "<token>"}, sources=["env"]
        )
    assert list(exc.value.problems) == ["zeta_token"]


def test_one_environment_only(map_file: Path) -> None:
    text = render_settings_module(load_map(map_file), "staging")
    assert "beta_count" not in text
    assert '"staging": "scoobyjava-org/default/sophia-ai-staging"' in text
    assert "sophia-ai-production" not in text


@pytest.mark.slow
def test_generated_module_is_clean_under_mypy_strict(tmp_path: Path) -> None:
    (tmp_path / "generated_settings.py").write_text(
        render_settings_module(load_map(SHIPPED)), encoding="utf-8"
    )
    (tmp_path / "service.py").write_text(
        "from pydantic import SecretStr\n"
        "from generated_settings import Settings\n\n"
        "settings = Settings()\n"
        "key: SecretStr = settings.openai_api_key\n"
        "region: str = settings.snowflake_account\n"
        "ssh: SecretStr | None = settings.lambda_ssh_key\n",
        encoding="utf-8",
    )
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\nstrict = True\nplugins = pydantic.mypy\n", encoding="utf-8"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "mypy.ini",
            "--cache-dir",
            ".mypy",
            "generated_settings.py",
            "service.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_module_is_ruff_clean(map_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "generated_settings.py"
    target.write_text(render_settings_module(load_map(SHIPPED)), encoding="utf-8")
    ruff = Path(sys.executable).parent / "ruff"
    if not ruff.exists():
        pytest.skip("ruff is not installed next to this interpreter")
    for args in (["format", "--check"], ["check", "--select", "F,I,UP,B,W"]):
        done = subprocess.run(
            [str(ruff), *args, "--isolated", target.name],
            cwd=tmp_path,  # where secretsync is third-party, as in a user's project
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------------------ CLI


def test_cli_writes_then_check_passes(map_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "app_settings.py"
    code, out, err = run_cli(
        "--map", str(map_file), "codegen", "settings", "-o", str(target), cwd=tmp_path
    )
    assert code == 0, err
    assert out == ""
    assert target.read_text(encoding="utf-8") == render_settings_module(load_map(map_file))
    code, out, err = run_cli(
        "--map", str(map_file), "codegen", "settings", "-o", str(target), "--check", cwd=tmp_path
    )
    assert (code, out) == (0, "")
    assert "up to date" in err


def test_cli_to_stdout(map_file: Path, tmp_path: Path) -> None:
    code, out, _ = run_cli("--map", str(map_file), "codegen", "settings", cwd=tmp_path)
    assert code == 0
    assert out == render_settings_module(load_map(map_file))


def test_check_fails_with_a_diff_when_the_map_changed(map_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "app_settings.py"
    run_cli("--map", str(map_file), "codegen", "settings", "-o", str(target), cwd=tmp_path)
    before = target.read_bytes()
    map_file.write_text(MAP + "  THETA_KEY:\n    category: ai\n", encoding="utf-8")
    code, out, err = run_cli(
        "--map", str(map_file), "codegen", "settings", "-o", str(target), "--check", cwd=tmp_path
    )
    assert code == 1
    assert "+    theta_key: SecretText = Field(" in out
    assert out.startswith(f"--- {target} (checked in)")
    assert "out of date" in err
    assert target.read_bytes() == before  # --check writes nothing


def test_check_of_a_missing_module_fails(map_file: Path, tmp_path: Path) -> None:
    code, out, _ = run_cli(
        "--map",
        str(map_file),
        "codegen",
        "settings",
        "-o",
        str(tmp_path / "absent.py"),
        "--check",
        cwd=tmp_path,
    )
    assert code == 1
    assert "+class Settings(SecretSyncSettings):" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--check"], "--check needs -o FILE"),
        (["-e", "qa"], "unknown environment 'qa'"),
        (["--class-name", "not valid"], "not a Python identifier"),
    ],
)
def test_usage_errors(map_file: Path, tmp_path: Path, extra: list[str], message: str) -> None:
    code, _, err = run_cli("--map", str(map_file), "codegen", "settings", *extra, cwd=tmp_path)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_codegen_needs_a_target(tmp_path: Path, map_file: Path) -> None:
    code, _, err = run_cli("--map", str(map_file), "codegen", cwd=tmp_path)
    assert code == 2
    assert "TARGET" in err or "required" in err


def test_environment_and_class_name_options(map_file: Path, tmp_path: Path) -> None:
    code, out, _ = run_cli(
        "--map",
        str(map_file),
        "codegen",
        "settings",
        "-e",
        "staging",
        "--class-name",
        "StagingSettings",
        cwd=tmp_path,
    )
    assert code == 0
    assert "class StagingSettings(SecretSyncSettings):" in out
    assert "beta_count" not in out


def test_lazy_settings_can_use_a_generated_class(
    map_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secretsync import settings as lazy  # the package, delegating to the proxy
    from secretsync.runtime import reset_settings

    package = tmp_path / "svc_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "app_settings.py").write_text(
        render_settings_module(load_map(map_file)), encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SECRETSYNC_SETTINGS_CLASS", "svc_pkg.app_settings:Settings")
    monkeypatch.setenv("SECRETSYNC_MAP", str(tmp_path / "not-there.yaml"))  # never read
    monkeypatch.setenv("SECRETSYNC_SETTINGS_SOURCES", "env")
    monkeypatch.setenv("ZETA_TOKEN", "zt_8f2Kq7LmN3pR5sT9vW1xY4")
    monkeypatch.setenv("ALPHA_ENDPOINT", "https://alpha.sophia-internal.io/v1")
    monkeypatch.setenv("ETA_NAME", "sophia-worker")
    reset_settings()
    try:
        assert lazy.zeta_token.get_secret_value() == "zt_8f2Kq7LmN3pR5sT9vW1xY4"
        assert "svc_pkg.app_settings" in sys.modules
    finally:
        reset_settings()


@pytest.mark.parametrize("spec", ["svc_missing.mod:Settings", "json:JSONDecoder", "os"])
def test_a_bad_settings_class_is_a_config_error(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from secretsync.errors import ConfigError

    with pytest.raises(ConfigError, match="SECRETSYNC_SETTINGS_CLASS"):
        load_settings(environ={"SECRETSYNC_SETTINGS_CLASS": spec})
