"""The audit end to end against the emulator over real HTTP: one scenario per rule, each
asserting the exact set of findings, and the request budget (nothing per secret)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from audit_support import (
    MAP_TEXT,
    NOW,
    PATHS,
    PRODUCTION,
    SEEDED_AT,
    STAGING,
    real_values,
    seed_clean,
    seed_esc,
)

from secretsync.audit import Finding, gather_snapshot, repo_root, run_audit
from secretsync.clients import EscClient, GitHubClient, RetryPolicy
from secretsync.emulator import Faults, ServedEmulator
from secretsync.map.load import load_map
from secretsync.map.model import SecretMap

FAST = RetryPolicy(attempts=2, backoff_initial=0.01, backoff_max=0.02)
Summary = set[tuple[str, str | None, str | None]]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "secret_map.yaml").write_text(MAP_TEXT, encoding="utf-8")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "deploy.yml").write_text(
        "on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ secrets.OPENAI_API_KEY }} ${{ secrets.GITHUB_TOKEN }}\n",
        encoding="utf-8",
    )
    return tmp_path


@pytest.fixture
def smap(repo: Path) -> SecretMap:
    return load_map(repo / "config" / "secret_map.yaml")


def audit(
    served: ServedEmulator,
    smap: SecretMap,
    environments: tuple[str, ...] = ("production", "staging"),
    *,
    github_url: str | None = None,
    source: Mapping[str, str] | None = None,
) -> list[Finding]:
    async def go() -> list[Finding]:
        async with (
            GitHubClient(token="t", base_url=github_url or served.github_url, policy=FAST) as gh,
            EscClient(token="t", base_url=served.esc_url, policy=FAST) as esc,
        ):
            return await run_audit(smap, environments, github=gh, esc=esc, now=NOW, source=source)

    return asyncio.run(go())


def summary(findings: list[Finding]) -> Summary:
    return {(f.rule, f.secret, f.environment) for f in findings}


def test_clean_setup_has_no_findings(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    seed_clean(secretsync_emulator_server.emulator)
    assert audit(secretsync_emulator_server, smap) == []


def test_requests_are_list_pages_and_one_read_per_environment(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    emu = secretsync_emulator_server.emulator
    seed_clean(emu)
    # 150 unmapped org secrets: two list pages, still nothing per secret.
    for number in range(150):
        emu.seed_github_secret("orgs/ai-cherry", f"EXTRA_{number:03d}", "v" * 20)
    emu.clear_request_log()
    findings = audit(secretsync_emulator_server, smap)
    assert {f.rule for f in findings} == {"orphan-github"}
    assert len(findings) == 150
    log = [(e["method"], e["path"], e["status"]) for e in emu.request_log()]
    assert sorted({(m, p) for m, p, _ in log}) == [
        ("GET", "/api/esc/environments/scoobyjava-org/default/sophia-ai-production/decrypt"),
        ("GET", "/api/esc/environments/scoobyjava-org/default/sophia-ai-staging/decrypt"),
        ("GET", "/orgs/ai-cherry/actions/secrets"),
        ("GET", "/repos/ai-cherry/sophia-main/actions/secrets"),
    ]
    assert len(log) == 5  # the org scope has two pages
    assert {status for _, _, status in log} == {200}


def test_stale_from_seeded_updated_at(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    emu = secretsync_emulator_server.emulator
    values = seed_clean(emu)
    old = "2026-05-01T00:00:00Z"  # 205 days before NOW: stale at 90 (org) and 180 (repo)
    emu.seed_github_secret(
        "orgs/ai-cherry", "ANTHROPIC_API_KEY", values["ANTHROPIC_API_KEY"], updated_at=old
    )
    emu.seed_github_secret(
        "repos/ai-cherry/sophia-main", "DATABASE_URL", values["DATABASE_URL"], updated_at=old
    )
    assert summary(audit(secretsync_emulator_server, smap)) == {
        ("stale", "ANTHROPIC_API_KEY", None),
        ("stale", "DATABASE_URL", None),
    }


def test_stale_by_the_emulator_clock(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    """A secret written "now" by the emulator's frozen clock, audited a year later."""
    emu = secretsync_emulator_server.emulator
    values = seed_clean(emu)
    emu.clock.set(NOW - timedelta(days=365))
    emu.seed_github_secret("orgs/ai-cherry", "OPTIONAL_TOKEN", values["OPTIONAL_TOKEN"])
    emu.clock.set(NOW)
    findings = audit(secretsync_emulator_server, smap)
    assert summary(findings) == {("stale", "OPTIONAL_TOKEN", None)}
    assert "365 days ago" in findings[0].message


def test_drift_after_a_github_update(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    emu = secretsync_emulator_server.emulator
    seed_clean(emu)
    emu.clock.set(datetime(2026, 11, 21, 9, 0, tzinfo=NOW.tzinfo))  # after the sync
    emu.seed_github_secret("orgs/ai-cherry", "OPENAI_API_KEY", "sk-proj-" + "Rq7" * 20)
    emu.clock.set(NOW)
    assert summary(audit(secretsync_emulator_server, smap)) == {
        ("drift", "OPENAI_API_KEY", "production"),
        ("drift", "OPENAI_API_KEY", "staging"),
    }


def test_orphan_github_for_an_unmapped_org_secret(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    emu = secretsync_emulator_server.emulator
    seed_clean(emu)
    emu.seed_github_secret("orgs/ai-cherry", "LEGACY_SLACK_TOKEN", "x" * 30, updated_at=SEEDED_AT)
    findings = audit(secretsync_emulator_server, smap)
    assert summary(findings) == {("orphan-github", "LEGACY_SLACK_TOKEN", None)}
    assert findings[0].location == "github:org/ai-cherry:LEGACY_SLACK_TOKEN"


def test_missing_github_and_missing_esc(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    emu = secretsync_emulator_server.emulator
    values = real_values()
    emu.seed_github_secret(
        "orgs/ai-cherry", "OPENAI_API_KEY", values["OPENAI_API_KEY"], updated_at=SEEDED_AT
    )
    emu.seed_github_secret(
        "orgs/ai-cherry", "ANTHROPIC_API_KEY", values["ANTHROPIC_API_KEY"], updated_at=SEEDED_AT
    )
    # DATABASE_URL absent from its repository scope (the repository exists).
    emu.add_repository("ai-cherry", "sophia-main")
    seed_esc(
        emu, "sophia-ai-production", {n: values[n] for n in ("OPENAI_API_KEY", "DATABASE_URL")}
    )
    # staging was never created in ESC
    emu.clock.set(NOW)
    assert summary(audit(secretsync_emulator_server, smap)) == {
        ("missing-github", "DATABASE_URL", None),
        ("missing-esc", "ANTHROPIC_API_KEY", "production"),
        ("missing-esc", "OPENAI_API_KEY", "staging"),
        ("missing-esc", "DATABASE_URL", "staging"),
    }


def test_placeholder_empty_and_format_in_esc(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    emu = secretsync_emulator_server.emulator
    values = seed_clean(emu)
    bad = dict(values, OPENAI_API_KEY="sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxx", ANTHROPIC_API_KEY="")
    seed_esc(emu, "sophia-ai-production", {n: bad[n] for n in PRODUCTION})
    wrong_shape = dict(values, OPENAI_API_KEY="pk-live-" + "Zt4" * 16)
    seed_esc(emu, "sophia-ai-staging", {n: wrong_shape[n] for n in STAGING})
    assert summary(audit(secretsync_emulator_server, smap)) == {
        ("placeholder", "OPENAI_API_KEY", "production"),
        ("empty-value", "ANTHROPIC_API_KEY", "production"),
        ("format-mismatch", "OPENAI_API_KEY", "staging"),
    }


def test_orphan_esc_for_a_path_the_map_dropped(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    emu = secretsync_emulator_server.emulator
    values = seed_clean(emu)
    seed_esc(
        emu,
        "sophia-ai-staging",
        {n: values[n] for n in STAGING},
        extra_managed={"sophia.ai.retired_key": "RETIRED_KEY"},
    )
    findings = audit(secretsync_emulator_server, smap)
    assert summary(findings) == {("orphan-esc", "RETIRED_KEY", "staging")}
    assert findings[0].location == "scoobyjava-org/default/sophia-ai-staging:sophia.ai.retired_key"


def test_workflow_with_an_undefined_secret(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap, repo: Path
) -> None:
    seed_clean(secretsync_emulator_server.emulator)
    (repo / ".github" / "workflows" / "release.yaml").write_text(
        "on: push\nenv:\n  A: ${{ secrets.NPM_TOKEN }}\n", encoding="utf-8"
    )
    findings = audit(secretsync_emulator_server, smap)
    assert summary(findings) == {("workflow-undefined", "NPM_TOKEN", None)}
    assert (findings[0].file, findings[0].line, findings[0].column) == (
        ".github/workflows/release.yaml",
        3,
        10,
    )


def test_source_values_with_values_env(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    values = seed_clean(secretsync_emulator_server.emulator)
    source = dict(values, DATABASE_URL="changeme")
    assert summary(audit(secretsync_emulator_server, smap, source=source)) == {
        ("placeholder", "DATABASE_URL", None)
    }


def test_service_down_is_unreachable_and_nothing_else(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    emu = secretsync_emulator_server.emulator
    seed_clean(emu)
    emu.set_faults(Faults(fail_rate=1.0, fail_status=503))
    findings = audit(secretsync_emulator_server, smap)
    assert {(f.rule, f.system.value, f.location) for f in findings} == {
        ("unreachable", "github", "github:org/ai-cherry"),
        ("unreachable", "github", "github:repo/ai-cherry/sophia-main"),
        ("unreachable", "esc", "scoobyjava-org/default/sophia-ai-production"),
        ("unreachable", "esc", "scoobyjava-org/default/sophia-ai-staging"),
    }
    assert all(f.severity.value == "error" for f in findings)


def test_unreachable_port_for_github_only(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    seed_clean(secretsync_emulator_server.emulator)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    findings = audit(secretsync_emulator_server, smap, github_url=closed)
    assert summary(findings) == {("unreachable", None, None)}
    assert {f.location for f in findings} == {
        "github:org/ai-cherry",
        "github:repo/ai-cherry/sophia-main",
    }


def test_repository_scope_not_found_fails_closed(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap
) -> None:
    emu = secretsync_emulator_server.emulator
    values = real_values()
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPTIONAL_TOKEN"):
        emu.seed_github_secret("orgs/ai-cherry", name, values[name], updated_at=SEEDED_AT)
    seed_esc(emu, "sophia-ai-production", {n: values[n] for n in PRODUCTION})
    emu.clock.set(NOW)
    findings = audit(secretsync_emulator_server, smap, ("production",))
    assert summary(findings) == {("unreachable", None, None)}
    assert "not found, or the token cannot see it" in findings[0].message


def test_snapshot_reads_workflows_next_to_the_map(
    secretsync_emulator_server: ServedEmulator, smap: SecretMap, repo: Path
) -> None:
    seed_clean(secretsync_emulator_server.emulator)
    assert repo_root(smap.path) == repo.resolve()

    async def go() -> list[str]:
        async with (
            GitHubClient(token="t", base_url=secretsync_emulator_server.github_url) as gh,
            EscClient(token="t", base_url=secretsync_emulator_server.esc_url) as esc,
        ):
            snap = await gather_snapshot(smap, ["production"], github=gh, esc=esc, now=NOW)
        assert snap.map_file == "config/secret_map.yaml"
        assert set(snap.esc) == {"production"}
        return [ref.name for ref in snap.workflows]

    assert asyncio.run(go()) == ["OPENAI_API_KEY", "GITHUB_TOKEN"]


def test_paths_used_by_the_scenarios_match_the_map(smap: SecretMap) -> None:
    assert {s.name: s.esc_path for s in smap.secrets.values()} == PATHS


def test_environment_scope_secrets(secretsync_emulator_server: ServedEmulator, repo: Path) -> None:
    emu = secretsync_emulator_server.emulator
    values = seed_clean(emu)
    text = MAP_TEXT + (
        "  DEPLOY_KEY:\n    category: infrastructure\n    environments: [production]\n"
        "    github:\n      scope: env:sophia-main/production\n"
    )
    path = repo / "config" / "secret_map.yaml"
    path.write_text(text, encoding="utf-8")
    emu.add_environment("ai-cherry", "sophia-main", "production")
    seed_esc(
        emu,
        "sophia-ai-production",
        {n: values[n] for n in PRODUCTION},
        extra_values={"sophia.infrastructure.deploy_key": ("DEPLOY_KEY", values["OPTIONAL_TOKEN"])},
    )
    findings = audit(secretsync_emulator_server, load_map(path), ("production",))
    assert summary(findings) == {("missing-github", "DEPLOY_KEY", None)}
    assert findings[0].location == "github:env/ai-cherry/sophia-main/production:DEPLOY_KEY"
    emu.seed_github_secret(
        "repos/ai-cherry/sophia-main/environments/production",
        "DEPLOY_KEY",
        values["OPTIONAL_TOKEN"],
        updated_at=SEEDED_AT,
    )
    assert audit(secretsync_emulator_server, load_map(path), ("production",)) == []
