"""The audit rules over hand-built snapshots: each rule fires where it should and nowhere else."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from audit_support import (
    GH_UPDATED,
    MAP_TEXT,
    NOW,
    ORG_KEY,
    PATHS,
    PROD_REF,
    PRODUCTION,
    REPO_KEY,
    STAGING,
    STAGING_REF,
    definition,
    real_values,
)

from secretsync.audit import RULES, EscState, ScopeState, Severity, Snapshot, evaluate
from secretsync.audit.findings import Finding, System
from secretsync.audit.gather import scopes_to_read
from secretsync.audit.rules import map_findings
from secretsync.audit.workflows import SecretReference
from secretsync.errors import MapError
from secretsync.map.load import parse_map
from secretsync.sync.definition import ManagedEntry

SMAP = parse_map(MAP_TEXT, "config/secret_map.yaml")
VALUES = real_values()


def github_state(
    org: Mapping[str, datetime | None] | None = None,
    repo: Mapping[str, datetime | None] | None = None,
) -> dict[str, ScopeState]:
    if org is None:
        org = {
            "OPENAI_API_KEY": GH_UPDATED,
            "ANTHROPIC_API_KEY": GH_UPDATED,
            "OPTIONAL_TOKEN": GH_UPDATED,
        }
    if repo is None:
        repo = {"DATABASE_URL": GH_UPDATED}
    return {ORG_KEY: ScopeState(ORG_KEY, dict(org)), REPO_KEY: ScopeState(REPO_KEY, dict(repo))}


def esc_state(environment: str, values: Mapping[str, str] | None = None, **kw: Any) -> EscState:
    names = PRODUCTION if environment == "production" else STAGING
    values = {n: VALUES[n] for n in names} if values is None else values
    ref = PROD_REF if environment == "production" else STAGING_REF
    return EscState(environment, ref, definition(values, **kw))


def snapshot(**changes: Any) -> Snapshot:
    base = Snapshot(
        smap=SMAP,
        map_file="config/secret_map.yaml",
        environments=("production", "staging"),
        now=NOW,
        github=github_state(),
        esc={"production": esc_state("production"), "staging": esc_state("staging")},
        workflows=(),
        source=None,
    )
    return dataclasses.replace(base, **changes)


def summary(findings: list[Finding]) -> set[tuple[str, str | None, str | None, str]]:
    return {(f.rule, f.secret, f.environment, f.system.value) for f in findings}


def test_clean_setup_has_no_findings() -> None:
    assert evaluate(snapshot()) == []


def test_scopes_to_read_org_always_plus_used_scopes() -> None:
    assert list(scopes_to_read(SMAP, ["production"])) == [ORG_KEY, REPO_KEY]
    only_org = parse_map(MAP_TEXT.replace("    github:\n      scope: repo:sophia-main\n", ""))
    assert list(scopes_to_read(only_org, ["staging"])) == [ORG_KEY]


def test_missing_github_only_for_required_secrets() -> None:
    org = {"OPENAI_API_KEY": GH_UPDATED}  # ANTHROPIC (required) and OPTIONAL gone
    findings = evaluate(snapshot(github=github_state(org=org)))
    assert summary(findings) == {("missing-github", "ANTHROPIC_API_KEY", None, "github")}
    [finding] = findings
    assert finding.location == "github:org/ai-cherry:ANTHROPIC_API_KEY"
    assert finding.file == "config/secret_map.yaml"
    assert finding.line == SMAP.secrets["ANTHROPIC_API_KEY"].line


def test_missing_github_at_repo_scope() -> None:
    findings = evaluate(snapshot(github=github_state(repo={})))
    assert summary(findings) == {("missing-github", "DATABASE_URL", None, "github")}
    assert findings[0].location == "github:repo/ai-cherry/sophia-main:DATABASE_URL"


def test_secret_only_mapped_elsewhere_is_not_checked() -> None:
    org = {"OPENAI_API_KEY": GH_UPDATED, "OPTIONAL_TOKEN": GH_UPDATED}
    staging_only = snapshot(
        environments=("staging",),
        github=github_state(org=org),
        esc={"staging": esc_state("staging")},
    )
    assert evaluate(staging_only) == []


def test_stale_from_github_updated_at() -> None:
    old = NOW - timedelta(days=91)
    limit = NOW - timedelta(days=90)  # exactly the maximum age: not stale yet
    org = {"OPENAI_API_KEY": old, "ANTHROPIC_API_KEY": limit, "OPTIONAL_TOKEN": GH_UPDATED}
    repo = {"DATABASE_URL": NOW - timedelta(days=179)}  # its own max_age_days is 180
    findings = evaluate(snapshot(github=github_state(org=org, repo=repo)))
    assert summary(findings) == {("stale", "OPENAI_API_KEY", None, "github")}
    assert findings[0].severity is Severity.WARNING
    assert "91 days ago" in findings[0].message
    assert "max_age_days is 90" in findings[0].message


def test_stale_from_synced_at_when_github_has_no_secret() -> None:
    org = {"OPENAI_API_KEY": GH_UPDATED, "ANTHROPIC_API_KEY": GH_UPDATED}  # no OPTIONAL_TOKEN
    production = esc_state("production")
    assert production.definition is not None
    old_sync = ManagedEntry("OPTIONAL_TOKEN", "OPTIONAL_TOKEN", "2026-01-01T00:00:00Z", None)
    production.definition.set_managed(PATHS["OPTIONAL_TOKEN"], old_sync)
    esc = {"production": production, "staging": esc_state("staging")}
    findings = evaluate(snapshot(github=github_state(org=org), esc=esc))
    # OPTIONAL_TOKEN is not required: absent from GitHub is fine, but its ESC copy is old.
    assert summary(findings) == {("stale", "OPTIONAL_TOKEN", "production", "esc")}
    assert "last synced 2026-01-01T00:00:00Z" in findings[0].message


def test_drift_when_github_changed_after_sync() -> None:
    later = datetime(2026, 11, 21, 9, 0, tzinfo=NOW.tzinfo)
    org = {"OPENAI_API_KEY": later, "ANTHROPIC_API_KEY": GH_UPDATED, "OPTIONAL_TOKEN": GH_UPDATED}
    findings = evaluate(snapshot(github=github_state(org=org)))
    assert summary(findings) == {
        ("drift", "OPENAI_API_KEY", "production", "esc"),
        ("drift", "OPENAI_API_KEY", "staging", "esc"),
    }
    assert findings[0].location == f"{PROD_REF}:sophia.ai.openai_api_key"
    assert "2026-11-21T09:00:00Z" in findings[0].message


def test_drift_falls_back_to_synced_at() -> None:
    # Bookkeeping without github_updated_at: compare with synced_at (2026-11-20T10:00).
    before, after = (datetime(2026, 11, 20, h, tzinfo=NOW.tzinfo) for h in (9, 11))
    esc = {
        "production": esc_state("production", github_updated_at=None),
        "staging": esc_state("staging", github_updated_at=None),
    }
    org = {"OPENAI_API_KEY": before, "ANTHROPIC_API_KEY": after, "OPTIONAL_TOKEN": before}
    findings = evaluate(snapshot(github=github_state(org=org), esc=esc))
    assert summary(findings) == {("drift", "ANTHROPIC_API_KEY", "production", "esc")}


def test_orphan_github_in_org_and_repo_scopes() -> None:
    org = {
        "OPENAI_API_KEY": GH_UPDATED,
        "ANTHROPIC_API_KEY": GH_UPDATED,
        "OPTIONAL_TOKEN": GH_UPDATED,
        "LEGACY_TOKEN": GH_UPDATED,
        "DATABASE_URL": GH_UPDATED,  # mapped, but at repository scope
    }
    repo = {"DATABASE_URL": GH_UPDATED, "OPENAI_API_KEY": GH_UPDATED}
    findings = evaluate(snapshot(github=github_state(org=org, repo=repo)))
    assert {(f.rule, f.location) for f in findings} == {
        ("orphan-github", "github:org/ai-cherry:LEGACY_TOKEN"),
        ("orphan-github", "github:org/ai-cherry:DATABASE_URL"),
        ("orphan-github", "github:repo/ai-cherry/sophia-main:OPENAI_API_KEY"),
    }
    assert {f.severity for f in findings} == {Severity.WARNING}


def test_orphan_esc_for_managed_paths_the_map_dropped() -> None:
    esc = {
        "production": esc_state("production", extra_managed={"sophia.ai.old_key": "OLD_KEY"}),
        # ANTHROPIC is production-only; staging still managing it is an orphan there.
        "staging": esc_state(
            "staging", extra_managed={PATHS["ANTHROPIC_API_KEY"]: "ANTHROPIC_API_KEY"}
        ),
    }
    findings = evaluate(snapshot(esc=esc))
    assert {(f.rule, f.secret, f.environment, f.location) for f in findings} == {
        ("orphan-esc", "OLD_KEY", "production", f"{PROD_REF}:sophia.ai.old_key"),
        (
            "orphan-esc",
            "ANTHROPIC_API_KEY",
            "staging",
            f"{STAGING_REF}:sophia.ai.anthropic_api_key",
        ),
    }


def test_missing_esc_value_and_env_var() -> None:
    production = esc_state("production")
    assert production.definition is not None
    production.definition.remove_managed_path(PATHS["ANTHROPIC_API_KEY"], "ANTHROPIC_API_KEY")
    production.definition.remove_managed_path(PATHS["OPTIONAL_TOKEN"], "OPTIONAL_TOKEN")
    staging = esc_state("staging")
    assert staging.definition is not None
    staging.definition.set_env_var("OPENAI_API_KEY", "sophia.ai.elsewhere")
    staging_doc = staging.definition.dump().replace(
        "    DATABASE_URL: ${sophia.infrastructure.database_url}\n", ""
    )
    staging = dataclasses.replace(staging, definition=type(staging.definition).parse(staging_doc))
    findings = evaluate(snapshot(esc={"production": production, "staging": staging}))
    assert {(f.rule, f.secret, f.environment, f.location) for f in findings} == {
        (
            "missing-esc",
            "ANTHROPIC_API_KEY",
            "production",
            f"{PROD_REF}:sophia.ai.anthropic_api_key",
        ),
        (
            "missing-esc",
            "OPENAI_API_KEY",
            "staging",
            f"{STAGING_REF}:environmentVariables.OPENAI_API_KEY",
        ),
        (
            "missing-esc",
            "DATABASE_URL",
            "staging",
            f"{STAGING_REF}:environmentVariables.DATABASE_URL",
        ),
    }
    messages = {f.secret: f.message for f in findings}
    assert "does not point at ${sophia.ai.openai_api_key}" in messages["OPENAI_API_KEY"]
    assert messages["DATABASE_URL"] == "environmentVariables.DATABASE_URL is absent"


def test_missing_esc_environment() -> None:
    gone = EscState("staging", STAGING_REF, None, exists=False)
    findings = evaluate(snapshot(esc={"production": esc_state("production"), "staging": gone}))
    assert summary(findings) == {
        ("missing-esc", "OPENAI_API_KEY", "staging", "esc"),
        ("missing-esc", "DATABASE_URL", "staging", "esc"),
    }
    assert all("does not exist" in f.message for f in findings)


def test_placeholder_empty_and_format_in_esc() -> None:
    values = dict(VALUES)
    values["OPENAI_API_KEY"] = "sk-xxxxxxxxxxxxxxxxxxxxxxxx"
    values["ANTHROPIC_API_KEY"] = "   "
    values["OPTIONAL_TOKEN"] = "changeme"
    staging = {n: values[n] for n in STAGING}
    staging["OPENAI_API_KEY"] = "sk-proj-short" + "Ab3" * 3  # real-looking, wrong shape
    esc = {
        "production": esc_state("production", {n: values[n] for n in PRODUCTION}),
        "staging": esc_state("staging", staging),
    }
    findings = evaluate(snapshot(esc=esc))
    assert summary(findings) == {
        ("placeholder", "OPENAI_API_KEY", "production", "esc"),
        ("empty-value", "ANTHROPIC_API_KEY", "production", "esc"),
        ("placeholder", "OPTIONAL_TOKEN", "production", "esc"),
        ("format-mismatch", "OPENAI_API_KEY", "staging", "esc"),
        ("placeholder", "OPTIONAL_TOKEN", "staging", "esc"),
    }
    mismatch = next(f for f in findings if f.rule == "format-mismatch")
    assert mismatch.severity is Severity.WARNING
    assert mismatch.message.startswith("value does not look like openai")


def test_workflow_references() -> None:
    refs = (
        SecretReference(".github/workflows/deploy.yml", 12, 20, "UNKNOWN_THING"),
        SecretReference(".github/workflows/deploy.yml", 13, 20, "openai_api_key"),
        SecretReference(".github/workflows/deploy.yml", 14, 20, "github_token"),
        SecretReference(".github/workflows/ci.yml", 3, 9, "GITHUB_TOKEN"),
    )
    findings = evaluate(snapshot(workflows=refs))
    assert len(findings) == 1
    [finding] = findings
    assert (finding.rule, finding.secret, finding.system) == (
        "workflow-undefined",
        "UNKNOWN_THING",
        System.WORKFLOW,
    )
    assert (finding.file, finding.line, finding.column) == (".github/workflows/deploy.yml", 12, 20)
    assert finding.location == ".github/workflows/deploy.yml:12"


def test_unreachable_github_silences_rules_that_need_it() -> None:
    github = {
        ORG_KEY: ScopeState(ORG_KEY, None, error="GitHub answered 503"),
        REPO_KEY: ScopeState(REPO_KEY, {"DATABASE_URL": GH_UPDATED}),
    }
    later = "2026-12-01T00:00:00Z"  # would be drift/missing if GitHub had been read
    esc = {
        "production": esc_state("production", github_updated_at=later),
        "staging": esc_state("staging"),
    }
    findings = evaluate(snapshot(github=github, esc=esc))
    assert summary(findings) == {("unreachable", None, None, "github")}
    assert findings[0].location == "github:org/ai-cherry"
    assert findings[0].severity is Severity.ERROR


def test_unreachable_esc_environment() -> None:
    down = EscState("staging", STAGING_REF, None, error="ESC answered 503")
    findings = evaluate(snapshot(esc={"production": esc_state("production"), "staging": down}))
    assert summary(findings) == {("unreachable", None, "staging", "esc")}
    assert findings[0].line == SMAP.environments["staging"].line


def test_source_values_checked_with_system_source() -> None:
    source = dict(VALUES)
    source["OPENAI_API_KEY"] = "<your-openai-key>"
    source["DATABASE_URL"] = ""
    del source["ANTHROPIC_API_KEY"]  # absent from the source: nothing to judge
    findings = evaluate(snapshot(source=source))
    assert summary(findings) == {
        ("placeholder", "OPENAI_API_KEY", None, "source"),
        ("empty-value", "DATABASE_URL", None, "source"),
    }
    assert {f.location for f in findings} == {"source:OPENAI_API_KEY", "source:DATABASE_URL"}


def test_invalid_map_findings_carry_positions() -> None:
    broken = MAP_TEXT.replace("    format: openai\n", "    format: openai\n    colour: red\n")
    with pytest.raises(MapError) as caught:
        parse_map(broken, "config/secret_map.yaml")
    findings = map_findings(caught.value, "config/secret_map.yaml")
    assert [f.rule for f in findings] == ["invalid-map"] * len(caught.value.issues)
    first = findings[0]
    assert first.system is System.MAP
    assert first.line == 19
    assert first.location == "config/secret_map.yaml:19:5"


def test_order_is_worst_first_and_stable() -> None:
    org = {"OPENAI_API_KEY": NOW - timedelta(days=400), "LEGACY": GH_UPDATED}
    refs = (SecretReference(".github/workflows/a.yml", 1, 1, "NOPE"),)
    findings = evaluate(snapshot(github=github_state(org=org), workflows=refs))
    severities = [f.severity.rank for f in findings]
    assert severities == sorted(severities)
    assert findings == evaluate(snapshot(github=github_state(org=org), workflows=refs))
    assert [f.rule for f in findings] == [
        "missing-github",
        "workflow-undefined",
        "stale",
        "orphan-github",
    ]


def test_every_rule_has_words_and_default_severity() -> None:
    assert list(RULES) == [
        "invalid-map",
        "missing-github",
        "missing-esc",
        "placeholder",
        "empty-value",
        "format-mismatch",
        "drift",
        "stale",
        "orphan-github",
        "orphan-esc",
        "workflow-undefined",
        "unreachable",
        "hidden-from-sync",
        "rejected-credential",
        "unverified-credential",
    ]
    warnings = {r.id for r in RULES.values() if r.severity is Severity.WARNING}
    assert warnings == {
        "format-mismatch",
        "stale",
        "orphan-github",
        "orphan-esc",
        "unverified-credential",
    }
    for rule in RULES.values():
        assert rule.title and rule.summary and rule.help


def test_messages_never_hold_values() -> None:
    canary = "CANARYc4n4ry" + "Zq9" * 8
    values = {n: canary + n for n in PRODUCTION}
    values["OPENAI_API_KEY"] = "sk-" + canary  # format-mismatch on a canary
    source = {n: canary + "src" for n in PRODUCTION}
    esc = {"production": esc_state("production", values), "staging": esc_state("staging")}
    findings = evaluate(snapshot(esc=esc, source=source))
    assert findings  # format-mismatch at least
    for finding in findings:
        assert canary not in repr(finding)


@pytest.mark.parametrize("start", ["", "# a comment: the ruamel editor\n"])
@pytest.mark.parametrize(
    ("held", "rule", "words"),
    [
        ("", "missing-esc", "required secret is absent"),
        ("~", "missing-esc", "required secret is absent"),
        ("12345", "empty-value", "holds a number, not a string value"),
        ("{nested: x}", "empty-value", "holds a mapping other than fn::secret"),
        ("{fn::secret: {ciphertext: ZXhh}}", "empty-value", "a mapping other than fn::secret"),
    ],
)
def test_a_required_path_without_a_readable_value_never_passes(
    start: str, held: str, rule: str, words: str
) -> None:
    state = esc_state("staging")
    assert state.definition is not None
    text = state.definition.dump().replace(
        f'      openai_api_key:\n        fn::secret: "{VALUES["OPENAI_API_KEY"]}"\n',
        f"      openai_api_key: {held}\n",
    )
    assert text != state.definition.dump()
    staging = dataclasses.replace(state, definition=type(state.definition).parse(start + text))
    findings = evaluate(snapshot(esc={"production": esc_state("production"), "staging": staging}))
    assert summary(findings) == {(rule, "OPENAI_API_KEY", "staging", "esc")}
    assert words in findings[0].message


SETTINGS_MAP = parse_map(
    MAP_TEXT
    + """\
  DEPLOY_USER: {category: infrastructure, type: string}
  LOG_LEVEL_NAME: {category: infrastructure, type: string}
  WORKERS: {category: infrastructure, type: int}
  FEATURE_ON: {category: infrastructure, type: bool}
  LIMITS: {category: infrastructure, type: json}
""",
    "config/secret_map.yaml",
)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DEPLOY_USER", "admin", None),
        ("LOG_LEVEL_NAME", "production", None),
        ("FEATURE_ON", "1", None),
        ("FEATURE_ON", "yes", None),
        ("WORKERS", "8", None),
        ("LIMITS", "{}", None),
        ("DEPLOY_USER", "changeme", "placeholder"),
        ("DEPLOY_USER", "{{ user }}", "placeholder"),
        ("WORKERS", "eight", "format-mismatch"),
        ("FEATURE_ON", "maybe", "format-mismatch"),
        ("LIMITS", "{not json", "format-mismatch"),
        ("WORKERS", " ", "empty-value"),
        ("OPENAI_API_KEY", "admin", "placeholder"),
    ],
)
def test_source_values_are_judged_by_their_type(
    name: str, value: str, expected: str | None
) -> None:
    source = {name: value}
    snap = snapshot(smap=SETTINGS_MAP, github={}, esc={}, source=source)
    rules = {f.rule for f in evaluate(snap) if f.system is System.SOURCE}
    assert rules == (set() if expected is None else {expected})


def test_verify_answers_become_two_rules_and_unverifiable_adds_nothing() -> None:
    from secretsync.verify import Status, VerifyResult

    def result(secret: str, env: str | None, status: Status) -> VerifyResult:
        system = "esc" if env else "source"
        where = f"{PROD_REF}:x" if env else f"source:{secret}"
        return VerifyResult(secret, env, "openai", status, "GET /v1/models answered 401",
                            system, where)  # fmt: skip

    verifications = (
        result("OPENAI_API_KEY", "production", Status.REJECTED),
        result("OPENAI_API_KEY", None, Status.REJECTED),
        result("ANTHROPIC_API_KEY", "production", Status.UNKNOWN),
        result("ANTHROPIC_API_KEY", "staging", Status.LIVE),
        result("OPTIONAL_TOKEN", "production", Status.UNVERIFIABLE),
    )
    base = evaluate(snapshot())
    findings = evaluate(snapshot(verifications=verifications))
    added = [f for f in findings if f not in base]
    assert [(f.rule, f.secret, f.environment, f.system.value) for f in added] == [
        ("rejected-credential", "OPENAI_API_KEY", None, "source"),
        ("rejected-credential", "OPENAI_API_KEY", "production", "esc"),
        ("unverified-credential", "ANTHROPIC_API_KEY", "production", "esc"),
    ]
    assert all(f.line == SMAP.secrets[f.secret].line for f in added if f.secret)
    assert added[0].message == "openai rejected the credential: GET /v1/models answered 401"
    assert evaluate(snapshot(verifications=())) == base
