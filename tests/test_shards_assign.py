"""The shard assignment and GitHub's first-100 rule, on arrangements built by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from map_support import ACME_HEAD

from secretsync.clients import RepositoryRef
from secretsync.map.validation import check_map
from secretsync.shards import Arrangement, OrgSecretAccess, plan_shards, workflow_view
from secretsync.shards.assign import dropped_owner, owner_of, ranking, shard_members

S1, S2 = RepositoryRef(11, "secrets-sync-1", True), RepositoryRef(12, "secrets-sync-2", True)
APP, SITE = RepositoryRef(21, "app", True), RepositoryRef(22, "site", False)


def smap_with(names: list[str], repos: list[str], extra: str = ""):  # type: ignore[no-untyped-def]
    text = ACME_HEAD + f"sync: {{repositories: [{', '.join(repos)}]}}\nsecrets:\n"
    text += "".join(f"  {n}: {{esc_path: app.{n.lower()}}}\n" for n in names) + extra
    return check_map(text, Path("secret_map.yaml"))


def arrangement(
    secrets: dict[str, tuple[str, set[str]]], sync: tuple[RepositoryRef, ...] = (S1, S2)
) -> Arrangement:
    return Arrangement(
        org="acme",
        secrets={
            n: OrgSecretAccess(n, vis, frozenset(r.lower() for r in sel))
            for n, (vis, sel) in secrets.items()
        },
        sync={r.name: r for r in sync},
        repositories=(*sync, APP, SITE),
    )


def names(count: int, prefix: str = "K") -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(count)]


def test_a_workflow_sees_the_first_100_available_by_name() -> None:
    access = [OrgSecretAccess(n, "all") for n in reversed(names(150))]
    view = workflow_view(access, S1)
    assert view.seen == tuple(names(100)) and view.past_limit == tuple(names(150)[100:])


def test_private_visibility_skips_public_repositories_and_selected_needs_a_listing() -> None:
    access = [
        OrgSecretAccess("P", "private"),
        OrgSecretAccess("S", "selected", frozenset({"site"})),
        OrgSecretAccess("A", "all"),
    ]
    assert workflow_view(access, SITE).seen == ("A", "S")
    assert workflow_view(access, APP).seen == ("A", "P")


def test_150_all_secrets_split_over_two_shards_with_every_reader_kept() -> None:
    keys = names(150)
    smap = smap_with(keys, ["secrets-sync-1", "secrets-sync-2"])
    plan = plan_shards(smap, arrangement({n: ("all", set()) for n in keys}))
    assert not plan.problems
    assert sorted(plan.shards["secrets-sync-1"] + plan.shards["secrets-sync-2"]) == keys
    assert max(plan.seen.values()) <= 100
    assert len(plan.changes) == 150
    for change in plan.changes:
        assert change.was == "all" and change.rewrites_value
        other = ({"secrets-sync-1", "secrets-sync-2"} - {change.shard}).pop()
        # every repository that could read it still can; the other shard no longer sees it
        assert set(change.add_repositories) == {"app", "site", change.shard}
        assert change.hidden_from == (other,)


def test_private_secrets_keep_only_the_private_repositories() -> None:
    smap = smap_with(["P"], ["secrets-sync-1", "secrets-sync-2"])
    plan = plan_shards(smap, arrangement({"P": ("private", set())}))
    (change,) = plan.changes
    assert set(change.add_repositories) == {"app", change.shard}  # site is public


def test_selected_secrets_only_gain_their_shard_and_never_rewrite() -> None:
    smap = smap_with(["X"], ["secrets-sync-1", "secrets-sync-2"])
    plan = plan_shards(smap, arrangement({"X": ("selected", {"app"})}))
    (change,) = plan.changes
    assert change.add_repositories == (change.shard,) and not change.rewrites_value


def test_secrets_a_shard_already_sees_stay_put_without_a_change() -> None:
    keys = names(10)
    smap = smap_with(keys, ["secrets-sync-1", "secrets-sync-2"])
    state = {n: ("selected", {"app", "secrets-sync-2"}) for n in keys}
    plan = plan_shards(smap, arrangement(state))
    assert plan.shards["secrets-sync-2"] == keys and not plan.changes


def test_one_sync_repository_needs_no_change_while_it_has_room() -> None:
    keys = names(40)
    smap = smap_with(keys, ["secrets-sync-1"])
    plan = plan_shards(smap, arrangement({n: ("all", set()) for n in keys}, sync=(S1,)))
    assert plan.shards["secrets-sync-1"] == keys and not plan.changes and not plan.problems


def test_too_many_secrets_for_the_shards_is_a_problem_naming_the_fix() -> None:
    keys = names(150)
    smap = smap_with(keys, ["secrets-sync-1"])
    plan = plan_shards(smap, arrangement({n: ("all", set()) for n in keys}, sync=(S1,)))
    assert any("more than 100" in p for p in plan.problems)


def test_unmapped_secrets_use_up_room_in_every_shard_that_sees_them() -> None:
    keys = names(25)
    smap = smap_with(keys, ["secrets-sync-1", "secrets-sync-2"])
    state = {n: ("all", set()) for n in keys} | {n: ("all", set()) for n in names(90, "U")}
    plan = plan_shards(smap, arrangement(state), limit=100)
    assert plan.seen == {"secrets-sync-1": 100, "secrets-sync-2": 100}
    assert any("no sync repository has room for 5 secrets" in p for p in plan.problems)


def test_missing_sync_repository_is_a_problem() -> None:
    smap = smap_with(["A"], ["secrets-sync-1", "secrets-sync-2"])
    arr = arrangement({"A": ("all", set())})
    arr = Arrangement(arr.org, arr.secrets, {"secrets-sync-1": S1, "secrets-sync-2": None}, ())
    plan = plan_shards(smap, arr)
    assert any("acme/secrets-sync-2 does not exist" in p for p in plan.problems)


def test_a_secret_selected_for_two_shards_is_reported_not_taken_away() -> None:
    smap = smap_with(["A"], ["secrets-sync-1", "secrets-sync-2"])
    plan = plan_shards(smap, arrangement({"A": ("selected", {"secrets-sync-1", "secrets-sync-2"})}))
    assert plan.shared == {"A": ("secrets-sync-1", "secrets-sync-2")} and not plan.changes
    assert plan.seen == {"secrets-sync-1": 1, "secrets-sync-2": 1}


def test_mapped_secrets_missing_from_github_still_get_a_shard() -> None:
    smap = smap_with(["A", "B"], ["secrets-sync-1", "secrets-sync-2"])
    plan = plan_shards(smap, arrangement({"A": ("all", set())}))
    assert plan.missing == ["B"] and plan.shard_of("B") is not None
    assert [c.secret for c in plan.changes] == ["A"]


def after(
    plan_state: dict[str, tuple[str, set[str]]], plan: object
) -> dict[str, tuple[str, set[str]]]:
    """The arrangement once a plan's changes are made (what --apply leaves)."""
    state = dict(plan_state)
    for change in plan.changes:  # type: ignore[attr-defined]
        _, selected = state[change.secret]
        base = set() if change.was != "selected" else set(selected)
        state[change.secret] = ("selected", base | set(change.add_repositories))
    return state


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=180),
    added=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789", max_size=12).map(
        lambda tail: "N" + tail
    ),
)
def test_adding_a_secret_moves_no_other(count: int, added: str) -> None:
    keys = names(count)
    if added in keys or added.startswith("GITHUB_"):
        return
    repos = ["secrets-sync-1", "secrets-sync-2"]
    state = {n: ("all", set[str]()) for n in keys}
    first = plan_shards(smap_with(keys, repos), arrangement(state))
    applied = after(state, first)
    applied[added] = ("all", set())
    second = plan_shards(smap_with([*keys, added], repos), arrangement(applied))
    for name in keys:
        assert second.shard_of(name) == first.shard_of(name), name
    assert [c.secret for c in second.changes] == [added]


def test_plan_without_applying_is_stable_while_shards_have_room() -> None:
    repos = ["secrets-sync-1", "secrets-sync-2", "secrets-sync-3"]
    keys = names(60)
    one = plan_shards(smap_with(keys, repos), arrangement({n: ("all", set()) for n in keys}))
    more = [*keys, "ZZ_NEW"]
    two = plan_shards(smap_with(more, repos), arrangement({n: ("all", set()) for n in more}))
    assert all(one.shard_of(n) == two.shard_of(n) for n in keys)


def test_ranking_is_a_property_of_the_name_alone() -> None:
    repos = ["a", "b", "c"]
    assert ranking("X", repos) == ranking("X", list(reversed(repos)))
    assert dropped_owner("X", repos) == ranking("X", repos)[0]
    assert dropped_owner("X", []) is None


def test_shard_members_and_owners_cover_repository_secrets() -> None:
    extra = "  REPO_ONE:\n    esc_path: app.repo_one\n    github: {scope: 'repo:secrets-sync-2'}\n"
    smap = smap_with(["A"], ["secrets-sync-1", "secrets-sync-2"], extra)
    plan = plan_shards(smap, arrangement({"A": ("all", set())}))
    home = plan.shard_of("A")
    assert home is not None and "A" in shard_members(smap, plan, home)
    assert "REPO_ONE" in shard_members(smap, plan, "secrets-sync-2")
    assert owner_of(smap, plan, "REPO_ONE") == "secrets-sync-2"
    assert owner_of(smap, plan, "GONE") == dropped_owner("GONE", plan.repositories)


@pytest.mark.parametrize("limit", [1, 50])
def test_max_bounds_every_shard(limit: int) -> None:
    keys = names(2 * limit)
    smap = smap_with(keys, ["secrets-sync-1", "secrets-sync-2"])
    plan = plan_shards(smap, arrangement({n: ("all", set()) for n in keys}), limit)
    assert not plan.problems and all(v == limit for v in plan.seen.values())
