"""Planning a sync: each mapped secret sorted into one action; applying a plan."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from map_support import ACME_HEAD
from sync_support import json_source

from secretsync.map.load import parse_map
from secretsync.map.model import SecretMap
from secretsync.masking import fingerprint
from secretsync.sync.definition import EscDefinition, ManagedEntry
from secretsync.sync.plan import Action, EnvPlan, apply_plan, build_plan
from secretsync.sync.sources import SourceValues

MAP = (
    ACME_HEAD
    + """\
categories:
  ai: app.ai
secrets:
  OPENAI_API_KEY: {category: ai}
  DB_PASSWORD: {category: ai, env_var: DATABASE_PASSWORD}
  OPTIONAL_TOKEN: {category: ai, required: false, environments: [staging]}
"""
)

OPENAI = "Q7vLx2Rk9mTz4Wp8Nc3Hb6Jd"
DB = "u$e9Kq2{Vx7}Lm4$$Tn8Rz"
CANARY = "canary-7Hq2Lp9Xv4Mz8Wk3"


@pytest.fixture
def smap() -> SecretMap:
    return parse_map(MAP)


def _source(**values: str) -> SourceValues:
    return json_source(values)


def _plan(
    smap: SecretMap,
    definition: EscDefinition,
    source: SourceValues,
    *,
    times: Mapping[str, str | None] | None = None,
    prune: bool = False,
    allow_placeholders: bool = False,
) -> EnvPlan:
    return build_plan(
        "staging",
        smap.esc_ref("staging"),
        smap.secrets_for("staging"),
        definition,
        source,
        times,
        prune=prune,
        allow_placeholders=allow_placeholders,
    )


def _synced(smap: SecretMap, source: SourceValues) -> EscDefinition:
    definition = EscDefinition.parse("values: {region: eu}\n")
    apply_plan(definition, _plan(smap, definition, source), source, "2026-11-22T10:00:00Z")
    return EscDefinition.parse(definition.dump())


def test_fresh_environment_adds_and_reports_missing(smap: SecretMap) -> None:
    plan = _plan(smap, EscDefinition.parse(""), _source(OPENAI_API_KEY=OPENAI, DB_PASSWORD=DB))
    actions = {item.secret: item.action for item in plan.items}
    assert actions == {
        "OPENAI_API_KEY": Action.ADD,
        "DB_PASSWORD": Action.ADD,
        "OPTIONAL_TOKEN": Action.MISSING,
    }
    assert plan.needs_write
    assert plan.missing_required == []  # OPTIONAL_TOKEN is optional
    added = next(i for i in plan.items if i.secret == "OPENAI_API_KEY")
    assert added.old is None
    assert added.new == fingerprint(OPENAI)


def test_after_apply_everything_is_unchanged(smap: SecretMap) -> None:
    source = _source(OPENAI_API_KEY=OPENAI, DB_PASSWORD=DB, OPTIONAL_TOKEN="Zx8Vb2Nm5Kl7Qw3Er9")
    definition = _synced(smap, source)
    assert definition.secret_value("app.ai.db_password") == DB
    assert definition.env_var_target("DATABASE_PASSWORD") == "${app.ai.db_password}"
    assert definition.managed()["app.ai.db_password"] == ManagedEntry(
        "DB_PASSWORD", "DATABASE_PASSWORD", "2026-11-22T10:00:00Z", None
    )
    again = _plan(smap, definition, source)
    assert {item.action for item in again.items} == {Action.UNCHANGED}
    assert not again.needs_write


def test_changed_value_shows_both_fingerprints(smap: SecretMap) -> None:
    definition = _synced(smap, _source(OPENAI_API_KEY=OPENAI, DB_PASSWORD=DB))
    plan = _plan(smap, definition, _source(OPENAI_API_KEY=OPENAI + "x", DB_PASSWORD=DB))
    item = next(i for i in plan.items if i.secret == "OPENAI_API_KEY")
    assert item.action is Action.CHANGE
    assert (item.old, item.new) == (fingerprint(OPENAI), fingerprint(OPENAI + "x"))


def test_refresh_when_only_the_env_var_or_github_time_differs(smap: SecretMap) -> None:
    source = _source(OPENAI_API_KEY=OPENAI, DB_PASSWORD=DB)
    definition = _synced(smap, source)
    definition.set_env_var("OPENAI_API_KEY", "somewhere.else")
    # GitHub could not be read at the last sync; its time (before that sync) is now known.
    times = {"OPENAI_API_KEY": None, "DB_PASSWORD": "2026-11-21T00:00:00Z"}
    plan = _plan(smap, definition, source, times=times)
    notes = {i.secret: (i.action, i.note) for i in plan.items if i.action is Action.REFRESH}
    assert notes == {
        "OPENAI_API_KEY": (Action.REFRESH, "updates environmentVariables.OPENAI_API_KEY"),
        "DB_PASSWORD": (Action.REFRESH, "updates GitHub updated_at"),
    }
    assert plan.warnings == []
    apply_plan(definition, plan, source, "2026-11-24T00:00:00Z")
    assert definition.managed()["app.ai.db_password"].github_updated_at == "2026-11-21T00:00:00Z"
    assert not _plan(smap, definition, source, times=times).needs_write


def test_unknown_github_times_keep_what_was_recorded(smap: SecretMap) -> None:
    source = _source(OPENAI_API_KEY=OPENAI, DB_PASSWORD=DB)
    definition = EscDefinition.parse("")
    times = {"OPENAI_API_KEY": "2026-11-01T00:00:00Z", "DB_PASSWORD": None}
    apply_plan(definition, _plan(smap, definition, source, times=times), source, "t")
    assert not _plan(smap, definition, source, times=None).needs_write
    # A scope that could not be listed leaves its secrets out of the times: kept as well.
    assert not _plan(smap, definition, source, times={"DB_PASSWORD": None}).needs_write
    recorded = definition.managed()["app.ai.openai_api_key"].github_updated_at
    assert recorded == "2026-11-01T00:00:00Z"


def test_orphans_are_kept_unless_pruned(smap: SecretMap) -> None:
    source = _source(OPENAI_API_KEY=OPENAI, DB_PASSWORD=DB)
    definition = _synced(smap, source)
    definition.set_secret("app.ai.retired", "Hv7Lq2Xp9Mz4Kw8Rb3")
    definition.set_managed("app.ai.retired", ManagedEntry("RETIRED", "RETIRED", None, None))
    definition.set_secret("app.ai.not_ours", "value")  # never managed: never touched
    kept = _plan(smap, definition, source)
    assert [i.action for i in kept.items if i.secret == "RETIRED"] == [Action.ORPHAN]
    assert not kept.needs_write
    pruned = _plan(smap, definition, source, prune=True)
    assert [i.esc_path for i in pruned.deletes] == ["app.ai.retired"]
    apply_plan(definition, pruned, source, "t")
    assert not definition.has_path("app.ai.retired")
    assert definition.secret_value("app.ai.not_ours") == "value"
    assert "app.ai.retired" not in definition.managed()


@pytest.mark.parametrize("bad", ["", "   ", "changeme", "sk-xxxxxxxxxxxxxxxxxxxx", "<token>"])
def test_placeholders_and_empty_values_are_refused(smap: SecretMap, bad: str) -> None:
    plan = _plan(smap, EscDefinition.parse(""), _source(OPENAI_API_KEY=bad, DB_PASSWORD=DB))
    assert len(plan.refusals) == 1
    assert plan.refusals[0].startswith("OPENAI_API_KEY: ")
    allowed = _plan(
        smap, EscDefinition.parse(""), _source(OPENAI_API_KEY=bad), allow_placeholders=True
    )
    assert allowed.refusals == []


def test_plan_json_holds_no_values(smap: SecretMap) -> None:
    source = _source(OPENAI_API_KEY=CANARY, DB_PASSWORD=CANARY + "2")
    definition = _synced(smap, _source(OPENAI_API_KEY=CANARY + "old", DB_PASSWORD=DB))
    plan = _plan(smap, definition, source)
    text = json.dumps(plan.as_json()) + repr(plan)
    assert CANARY not in text
    assert DB not in text
    assert plan.as_json()["summary"] == {
        "add": 0,
        "change": 2,
        "refresh": 0,
        "unchanged": 0,
        "delete": 0,
        "orphan": 0,
        "missing": 1,
    }


def test_a_stale_source_does_not_advance_the_github_time(smap: SecretMap) -> None:
    source = _source(OPENAI_API_KEY=OPENAI, DB_PASSWORD=DB)
    definition = EscDefinition.parse("")
    first = {"OPENAI_API_KEY": "2026-11-20T00:00:00Z", "DB_PASSWORD": "2026-11-20T00:00:00Z"}
    apply_plan(definition, _plan(smap, definition, source, times=first), source, "t")
    # GitHub's DB_PASSWORD changed since; the source still holds the old value.
    later = {**first, "DB_PASSWORD": "2026-11-25T00:00:00Z"}
    plan = _plan(smap, definition, source, times=later)
    item = next(i for i in plan.items if i.secret == "DB_PASSWORD")
    assert item.action is Action.UNCHANGED
    assert item.github_updated_at == "2026-11-20T00:00:00Z"
    assert plan.warnings == [
        "GitHub changed DB_PASSWORD since the last sync but the source value did not; "
        "is the source stale?"
    ]
    definition.set_env_var("DATABASE_PASSWORD", "elsewhere")  # forces a write of the record
    apply_plan(definition, _plan(smap, definition, source, times=later), source, "t2")
    assert definition.managed()["app.ai.db_password"].github_updated_at == "2026-11-20T00:00:00Z"
    # A new value from the source takes GitHub's time: the source caught up.
    newer = _source(OPENAI_API_KEY=OPENAI, DB_PASSWORD=DB + "2")
    caught_up = _plan(smap, definition, newer, times=later)
    assert caught_up.warnings == []
    apply_plan(definition, caught_up, newer, "t3")
    assert definition.managed()["app.ai.db_password"].github_updated_at == "2026-11-25T00:00:00Z"


def test_renaming_the_env_var_removes_the_old_entry_in_the_same_write(smap: SecretMap) -> None:
    source = _source(OPENAI_API_KEY=OPENAI, DB_PASSWORD=DB)
    definition = _synced(smap, source)
    definition.set_env_var("UNRELATED", "app.ai.db_password")  # not sync's: stays
    renamed = parse_map(MAP.replace("env_var: DATABASE_PASSWORD", "env_var: DB_PASS"))
    plan = build_plan("staging", "x", renamed.secrets_for("staging"), definition, source, None)
    item = next(i for i in plan.items if i.secret == "DB_PASSWORD")
    assert (item.action, item.old_env_var) == (Action.REFRESH, "DATABASE_PASSWORD")
    apply_plan(definition, plan, source, "t")
    env = definition.env_vars()
    assert "DATABASE_PASSWORD" not in env
    assert env["DB_PASS"] == env["UNRELATED"] == "${app.ai.db_password}"
    assert definition.managed()["app.ai.db_password"].env_var == "DB_PASS"


def test_an_old_entry_pointing_elsewhere_is_not_removed(smap: SecretMap) -> None:
    source = _source(OPENAI_API_KEY=OPENAI, DB_PASSWORD=DB)
    definition = _synced(smap, source)
    definition.set_env_var("DATABASE_PASSWORD", "someone.elses")
    renamed = parse_map(MAP.replace("env_var: DATABASE_PASSWORD", "env_var: DB_PASS"))
    plan = build_plan("staging", "x", renamed.secrets_for("staging"), definition, source, None)
    apply_plan(definition, plan, source, "t")
    assert definition.env_var_target("DATABASE_PASSWORD") == "${someone.elses}"


@pytest.mark.parametrize("comment", ["", "# kept\n"])
@pytest.mark.parametrize(
    ("existing", "blocker"),
    [
        ("values:\n  app: https://app.internal/health\n", "values.app"),
        ("values:\n  app:\n    ai: [1, 2]\n", "values.app.ai"),
        ("values:\n  app: {ai: {fn::secret: x}}\n", "values.app.ai"),
        ("values:\n  environmentVariables: none\n", "values.environmentVariables"),
        ("values:\n  secretsync: 3\n", "values.secretsync"),
    ],
)
def test_a_value_sync_does_not_manage_blocks_the_write(
    smap: SecretMap, existing: str, blocker: str, comment: str
) -> None:
    definition = EscDefinition.parse(comment + existing)
    plan = _plan(smap, definition, _source(OPENAI_API_KEY=OPENAI), allow_placeholders=True)
    assert plan.blocked
    assert all(f"{blocker} holds a value sync does not manage" in b for b in plan.blocked)
    assert plan.blocked[0].startswith("OPENAI_API_KEY: ")
    assert plan.as_json()["refused"] == plan.blocked


def test_a_null_parent_is_not_in_the_way(smap: SecretMap) -> None:
    definition = EscDefinition.parse("values:\n  app:\n")
    plan = _plan(smap, definition, _source(OPENAI_API_KEY=OPENAI))
    assert plan.blocked == []


def test_a_shard_plans_only_its_share_and_prunes_only_what_it_owns(smap: SecretMap) -> None:
    """``sync --shard``: the other shard's paths are neither planned nor deleted; a path the
    map dropped is deleted by the one shard that owns it, left alone by the other."""
    source = _source(OPENAI_API_KEY=OPENAI, DB_PASSWORD=DB)
    definition = _synced(smap, source)
    definition.set_secret("app.ai.gone", "old")
    definition.set_managed("app.ai.gone", ManagedEntry("GONE", "GONE", None, None))
    plans = {
        owner: build_plan(
            "staging",
            smap.esc_ref("staging"),
            smap.secrets_for("staging"),
            definition,
            source,
            None,
            prune=True,
            only=frozenset({mine}),
            owns_dropped=lambda name, owner=owner: owner == "one",
        )
        for owner, mine in (("one", "OPENAI_API_KEY"), ("two", "DB_PASSWORD"))
    }
    one = {i.secret: i.action for i in plans["one"].items}
    two = {i.secret: i.action for i in plans["two"].items}
    assert one == {"OPENAI_API_KEY": Action.UNCHANGED, "GONE": Action.DELETE}
    assert two == {"DB_PASSWORD": Action.UNCHANGED}


def test_reprs_stay_short_however_big_the_plan(smap: SecretMap) -> None:
    """asyncio and anyio build task reprs eagerly (anyio for every cancelled connect), and
    those include what a task holds: a repr must not walk a 1,000-item plan or definition."""
    plan = _plan(smap, EscDefinition.parse(""), _source(OPENAI_API_KEY=CANARY))
    plan.items.extend(plan.items[0] for _ in range(1000))
    assert repr(plan) == f"EnvPlan({plan.environment!r}, {len(plan.items)} items)"
    assert repr(EscDefinition.parse("values: {a: 1}\n")) == "EscDefinition(node editor)"
    assert (
        repr(EscDefinition.parse("# kept\nvalues: {a: 1}\n")) == "EscDefinition(round-trip editor)"
    )
