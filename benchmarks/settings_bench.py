"""Startup cost of secretsync settings against a plain pydantic-settings class.

Each variant is a fresh interpreter that imports its settings and reads one field, with
every value in the process environment (the `esc run` / GitHub Actions case). Variants run
interleaved, N times each; the median wall time is reported and the ratio to plain
pydantic-settings (target: at most 1.3x). `from secretsync import settings` is measured
twice: building the class from the map, and with SECRETSYNC_SETTINGS_CLASS naming the
module `secretsync codegen settings` wrote (no map read). `-X importtime` then shows where
the map variant's time goes.

    python benchmarks/settings_bench.py [--map config/secret_map.yaml] [-n 15]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from secretsync.map.load import load_map
from secretsync.map.model import Secret
from secretsync.runtime.codegen import render_settings_module
from secretsync.runtime.model import settings_fields

REPO = Path(__file__).resolve().parents[1]

PLAIN_TYPES = {
    "secret": "SecretStr",  # secretsync: ignore (a type name)
    "pem": "SecretStr",
    "url": "SecretStr",
    "string": "str",
    "int": "int",
    "bool": "bool",
    "json": "Json[Any]",
}


def sample_value(secret: Secret) -> str:
    """A realistic, non-placeholder value of the secret's type."""
    token = secrets.token_urlsafe(32)
    return {
        "pem": f"-----BEGIN PRIVATE KEY-----\n{token}\n-----END PRIVATE KEY-----\n",
        "url": f"https://hooks.slack.com/services/{token}",
        "string": f"cfg-{token[:12]}",
        "int": "8",
        "bool": "true",
        "json": '{"enabled": true, "ratio": 0.5}',
    }.get(secret.type, f"tok_{token}")


def plain_module(map_path: Path) -> str:
    """The hand-written equivalent: a BaseSettings class with the same fields and aliases."""
    smap = load_map(map_path)
    lines = [
        "from typing import Any",
        "from pydantic import AliasChoices, Field, Json, SecretStr",
        "from pydantic_settings import BaseSettings, SettingsConfigDict",
        "class Plain(BaseSettings):",
        "    model_config = SettingsConfigDict(case_sensitive=True, extra='ignore',"
        " env_file='.env', hide_input_in_errors=True, frozen=True)",
    ]
    for spec in settings_fields(smap, None):
        kind = PLAIN_TYPES[spec.secret.type] + ("" if spec.required else " | None")
        alias = f"AliasChoices(*{list(spec.aliases)!r})"
        default = "" if spec.required else "default=None, "
        lines.append(f"    {spec.name}: {kind} = Field({default}validation_alias={alias})")
    return "\n".join(lines) + "\n"


def run_once(code: str, cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True)
    return time.perf_counter() - start


WATCHED = (
    "pydantic_settings",
    "secretsync.runtime",
    "secretsync.map.load",
    "secretsync.map.model",
    "secretsync.map.validation",
    "secretsync.map.yamlnodes",
    "yaml",
    "secretsync.placeholders",
    "secretsync.providers",
    "keyring",
    "httpx",
    "rich",
)


def import_times(code: str, cwd: Path, env: dict[str, str]) -> dict[str, float]:
    """Cumulative import time (ms) of the watched modules, from ``python -X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    found: dict[str, float] = {}
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip() in WATCHED:
            found.setdefault(parts[2].strip(), int(parts[1]) / 1000)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--map", type=Path, default=REPO / "config" / "secret_map.yaml")
    parser.add_argument("-n", type=int, default=15, help="runs per variant (median)")
    args = parser.parse_args()

    map_path = args.map.resolve()
    smap = load_map(map_path)
    first = settings_fields(smap, None)[0].name
    # PYTHONDONTWRITEBYTECODE is dropped: a deployed service runs from cached bytecode, and
    # without it every start would compile secretsync's (and pydantic's) sources again.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECRETSYNC_", "PULUMI_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update({s.env_var: sample_value(s) for s in smap.secrets.values()})
    env["SECRETSYNC_MAP"] = str(map_path)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "plain_settings.py").write_text(plain_module(map_path), encoding="utf-8")
        (work / "generated_settings.py").write_text(render_settings_module(smap), encoding="utf-8")
        lazy = f"from secretsync import settings; settings.{first}"
        generated_env = {**env, "SECRETSYNC_SETTINGS_CLASS": "generated_settings:Settings"}
        variants = {
            "python -c pass": ("pass", env),
            "plain pydantic-settings": (
                f"import plain_settings; plain_settings.Plain().{first}",
                env,
            ),
            "secretsync (map, lazy)": (lazy, env),
            "secretsync (generated, lazy)": (lazy, generated_env),
        }
        for code, variant_env in variants.values():  # warm-up: byte-compile, file cache
            run_once(code, work, variant_env)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.n):
            for name, (code, variant_env) in variants.items():
                times[name].append(run_once(code, work, variant_env))

        lean = import_times(lazy, work, env)

    medians = {name: statistics.median(values) for name, values in times.items()}
    fastest = {name: min(values) for name, values in times.items()}
    base = medians["plain pydantic-settings"]
    print(f"{len(smap.secrets)} secrets, {args.n} runs per variant: median (min) wall time")
    for name, value in medians.items():
        low = fastest[name] / fastest["plain pydantic-settings"]
        print(
            f"  {name:28s} {value * 1000:7.1f} ms ({fastest[name] * 1000:6.1f})"
            f"   {value / base:4.2f}x plain ({low:4.2f}x)"
        )
    for name in ("secretsync (map, lazy)", "secretsync (generated, lazy)"):
        ratio = medians[name] / base
        verdict = "OK" if ratio <= 1.3 else "over target"
        print(f"ratio {name} / plain: {ratio:.2f} (target <= 1.30: {verdict})")
    print("import time, cumulative (secretsync map variant, one run, -X importtime):")
    for module in WATCHED:
        shown = f"{lean[module]:6.1f} ms" if module in lean else "not imported"
        print(f"  {module:28s} {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
