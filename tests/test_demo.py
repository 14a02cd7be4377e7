"""``secretsync demo``: runs the real commands, ends 0, finds what it seeded, leaks nothing."""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from secretsync import placeholders, providers
from secretsync.cli.app import App
from secretsync.cli.main import main
from secretsync.demo import run as demo
from secretsync.demo import scenario as demo_scenario
from secretsync.demo import values as demo_values
from secretsync.emulator import Emulator, Faults
from secretsync.map.load import load_map

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_MAP = ROOT / "config" / "secret_map.yaml"


@dataclass
class Run:
    code: int
    out: str
    err: str
    scenario: demo_scenario.Scenario | None


def _run_demo(monkeypatch: pytest.MonkeyPatch, cwd: Path, environ: dict[str, str]) -> Run:
    """``secretsync demo`` through the CLI, keeping the scenario it made up."""
    made: list[demo_scenario.Scenario] = []
    real_build = demo_scenario.build_scenario

    def build(*args: object, **kwargs: object) -> demo_scenario.Scenario:
        scenario = real_build(*args, **kwargs)  # type: ignore[arg-type]
        made.append(scenario)
        return scenario

    monkeypatch.setattr(demo, "build_scenario", build)
    monkeypatch.chdir(cwd)  # as from a shell in that folder
    out, err = io.StringIO(), io.StringIO()
    app = App(environ=environ, stdout=out, stderr=err, cwd=cwd)
    code = main(["demo"], app=app)
    return Run(code, out.getvalue(), err.getvalue(), made[0] if made else None)


def _assert_no_value(scenario: demo_scenario.Scenario, *texts: str) -> None:
    values = scenario.all_values()
    assert len(values) >= len(scenario.smap.secrets)
    for text in texts:
        for value in values:
            assert value not in text
            for line in value.splitlines():  # a PEM body leaks one line at a time
                if len(line) >= 16 and not line.startswith("-----"):
                    assert line not in text


PACKAGED_MAP = ROOT / "secretsync" / "data" / "demo_map.yaml"


def test_packaged_map_is_the_shipped_map() -> None:
    packaged = PACKAGED_MAP
    assert packaged.read_bytes() == SHIPPED_MAP.read_bytes(), (
        "secretsync/data/demo_map.yaml must be a copy of config/secret_map.yaml: "
        "cp config/secret_map.yaml secretsync/data/demo_map.yaml"
    )


def test_demo_in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    run = _run_demo(monkeypatch, ROOT, {})
    assert run.code == 0, run.err
    assert run.err == ""
    assert run.scenario is not None and run.scenario.smap.path == PACKAGED_MAP
    # Canary: no value the demo made up reaches its output.
    _assert_no_value(run.scenario, run.out, run.err)
    out = run.out
    # Every step ran the real command and said what happened.
    for line in (
        "$ secretsync checklist",
        "$ secretsync push --only",
        "$ SECRETSYNC_SECRETS_JSON=... secretsync plan --all",
        "$ SECRETSYNC_SECRETS_JSON=... secretsync sync --all",
        "$ secretsync audit --all",
    ):
        assert line in out
    sc = run.scenario
    assert f"created  {sc.new}" in out
    assert f"~ change    {sc.rotated}" in out
    assert f"? orphan    {sc.orphan}" in out
    # The first audit finds exactly what was seeded and fails; the second passes.
    first, second = out.split("$ secretsync audit --all")[1:3]
    assert "audit FAILED (production, staging): 2 errors, 3 warnings" in first
    assert f"placeholder        {sc.placeholder}" in first
    assert f"orphan-esc         {sc.orphan}" in first
    assert f"stale              {sc.stale}" in first
    assert "-> exit 1" in first
    assert "audit passed (production, staging): 0 errors, 1 warning" in second
    assert "-> exit 0" in second
    assert f"{sc.placeholder.lower()}: a placeholder" in out  # the settings refusal
    assert "(17 fields," in out  # the settings load after the fix
    # Work done, not time taken: the whole cycle is a few dozen API requests (sync reads
    # and writes each environment once); a per-secret loop would need hundreds.
    done = re.search(r"Done in [0-9.]+ s: (\d+) commands and 2 settings loads, (\d+) API", out)
    assert done is not None, out
    assert int(done.group(1)) >= 8
    # (+1 per audit since issue 18: the sync repository itself, for hidden-from-sync)
    assert int(done.group(2)) <= 62


def test_demo_outside_the_repository_uses_the_packaged_map(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = App(environ={}, cwd=tmp_path)
    path = demo_scenario.demo_map_path(app)
    assert path.name == "demo_map.yaml" and path.parent.name == "data"
    run = _run_demo(monkeypatch, tmp_path, {})
    assert run.code == 0, run.err
    assert "demo_map.yaml" in run.out
    assert run.scenario is not None
    _assert_no_value(run.scenario, run.out, run.err)


def test_a_repository_with_its_own_map_still_gets_the_shipped_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A user's own map (found upward, or named by $SECRETSYNC_MAP) is not the demo's: only
    # --map chooses another one.
    (tmp_path / "config").mkdir()
    own = tmp_path / "config" / "secret_map.yaml"
    own.write_text(
        "version: 1\ngithub: {org: acme}\nesc: {org: acme, project: default}\n"
        "environments:\n  production: {esc_env: prod}\ncategories:\n  ai: app.ai\n"
        "secrets:\n  OPENAI_API_KEY: {category: ai}\n"
    )
    for environ in ({}, {"SECRETSYNC_MAP": str(own)}):
        run = _run_demo(monkeypatch, tmp_path, environ)
        assert run.code == 0, run.err
        assert run.scenario is not None and run.scenario.smap.path == PACKAGED_MAP
        assert "the map shipped with secretsync" in run.out


def test_map_option_wins(tmp_path: Path) -> None:
    app = App(environ={}, cwd=ROOT, map_option=tmp_path / "mine.yaml")
    assert demo_scenario.demo_map_path(app) == tmp_path / "mine.yaml"


def test_a_map_the_demo_cannot_cast_is_one_config_error(tmp_path: Path) -> None:
    small = tmp_path / "secret_map.yaml"
    small.write_text(
        "version: 1\ngithub: {org: acme}\nesc: {org: acme, project: default}\n"
        "environments:\n  production: {esc_env: prod}\ncategories:\n  ai: app.ai\n"
        "secrets:\n  OPENAI_API_KEY: {category: ai}\n"
    )
    out, err = io.StringIO(), io.StringIO()
    code = main(["--map", str(small), "demo"], app=App(environ={}, stdout=out, stderr=err))
    assert code == 2
    assert err.getvalue().startswith("error: ")
    assert "the demo needs 4 required org-scope secrets" in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_a_step_that_goes_wrong_is_exit_3_with_the_step(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every API call answers 401: push fails with exit 2, which the demo never expects.
    monkeypatch.setattr(demo, "Emulator", lambda: Emulator(Faults(fail_rate=1.0, fail_status=401)))
    run = _run_demo(monkeypatch, ROOT, {})
    assert run.code == 3
    assert "error: demo step 'push': `secretsync push --only" in run.err
    assert "exited 2, expected 0" in run.err
    assert run.scenario is not None
    _assert_no_value(run.scenario, run.out, run.err)


def test_scenario_casts_distinct_secrets_and_values_are_fresh_per_run() -> None:
    smap = load_map(SHIPPED_MAP)
    a = demo_scenario.build_scenario(smap)
    b = demo_scenario.build_scenario(smap)
    cast = {a.placeholder, a.stale, a.rotated, a.new}
    assert len(cast) == 4 and cast <= set(smap.secrets)
    assert a.orphan not in smap.secrets
    assert a.new not in a.values
    assert set(a.values) | {a.new} == set(smap.secrets)
    _assert_no_value(a, repr(a), str(a))
    shared = set(a.values) & set(b.values) - {a.placeholder}
    sensitive = {n for n in shared if smap.secrets[n].is_sensitive}
    assert all(a.values[n] != b.values[n] for n in sensitive)


@pytest.mark.parametrize("name", sorted(demo_values.GENERATORS))
def test_every_format_gets_a_matching_secret_looking_value(name: str) -> None:
    rng = random.Random(7)
    assert name in providers.format_names()
    for _ in range(50):
        value = demo_values.GENERATORS[name](rng)
        assert providers.matches(name, value)
        assert placeholders.classify(value, "SOME_KEY").verdict is placeholders.Verdict.SECRET


def test_every_provider_format_has_a_generator() -> None:
    assert providers.format_names() <= set(demo_values.GENERATORS)


def test_fake_values_fit_each_shipped_secret_and_placeholders_are_placeholders() -> None:
    smap = load_map(SHIPPED_MAP)
    rng = random.Random(3)
    for secret in smap.secrets.values():
        value = demo_values.fake_value(secret, rng)
        if secret.format:
            assert providers.matches(secret.format, value), secret.name
        if secret.is_sensitive:
            verdict = placeholders.classify(value, secret.name).verdict
            assert verdict is placeholders.Verdict.SECRET, secret.name
        assert placeholders.is_placeholder(demo_values.placeholder_for(secret), secret.name)


def test_the_installed_demo_points_at_docs_a_wheel_has(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A wheel installs the package, not docs/: the closing line names a URL, never a path
    # that only exists in a checkout.
    run = _run_demo(monkeypatch, tmp_path, {})
    assert run.code == 0, run.err
    closing = " ".join(run.out.split("Done in", 1)[1].split())
    assert "https://github.com/ai-cherry/secretsync/tree/main/docs" in closing
    assert "docs/SECRET_MANAGEMENT.md" not in closing
