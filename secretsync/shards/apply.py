"""Making a shard plan's changes through GitHub's selected-repositories API.

Everything is resolved before the first write (repository ids, the values of secrets
whose visibility changes, the organization's public key), so a missing repository or
value writes nothing. Then the changes go one after the other, paced by the client like
``push``. Each change only ever adds access: ``PUT .../repositories/{id}`` for a secret
already ``selected``; for an ``all`` or ``private`` one, the secret's own PUT with
visibility ``selected`` and every repository that could read it (the description of that
PUT requires the sealed value, so the value comes from the source, judged as push judges
it). A run stopped part-way leaves a safe state; running it again finishes the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from secretsync.clients.github import GitHubClient, Scope
from secretsync.errors import ConfigError, RefusedError, SecretSyncError
from secretsync.map.model import SecretMap
from secretsync.placeholders.judgement import judge
from secretsync.shards.access import Arrangement
from secretsync.shards.assign import Change, ShardPlan
from secretsync.sync.sources import SourceValues

__all__ = ["ApplyReport", "apply_shards", "values_needed"]


@dataclass
class ApplyReport:
    """Names only: the changes made, and where a failure stopped the run."""

    applied: list[str] = field(default_factory=list)
    failed: str | None = None
    error: SecretSyncError | None = field(default=None, repr=False)


def values_needed(plan: ShardPlan) -> list[str]:
    """Secrets whose change rewrites them, so the source must hold their values."""
    return [c.secret for c in plan.changes if c.rewrites_value]


async def apply_shards(
    gh: GitHubClient,
    smap: SecretMap,
    plan: ShardPlan,
    arrangement: Arrangement,
    source: SourceValues | None,
) -> ApplyReport:
    """Make every change of ``plan``; refuse before any write when one cannot be made."""
    if plan.problems:
        raise RefusedError(
            "refused to change visibility while the plan has problems: " + plan.problems[0],
            hint="fix what `secretsync shards` lists, then apply",
        )
    ids = _repository_ids(arrangement)
    values = _values(smap, plan, source)
    org = Scope.org(smap.github_org)
    writes: list[tuple[Change, list[int]]] = []
    for change in plan.changes:
        unknown = [r for r in change.add_repositories if r.lower() not in ids]
        if unknown:
            raise ConfigError(
                f"{change.secret}: repository {smap.github_org}/{unknown[0]} not found",
                hint="create the sync repositories before `shards --apply`",
            )
        writes.append((change, [ids[r.lower()] for r in change.add_repositories]))
    if values:
        await gh.public_key(org)  # cached for the writes; a refusal here writes nothing
    report = ApplyReport()
    for change, repo_ids in writes:
        try:
            if change.rewrites_value:
                await gh.put_secret(
                    org,
                    change.secret,
                    values[change.secret],
                    visibility="selected",
                    selected_repository_ids=sorted(set(repo_ids)),
                )
            else:
                for repo_id in repo_ids:
                    await gh.add_selected_repository(smap.github_org, change.secret, repo_id)
        except SecretSyncError as exc:
            report.failed, report.error = change.secret, exc
            return report
        report.applied.append(change.secret)
    return report


def _repository_ids(arrangement: Arrangement) -> dict[str, int]:
    ids = {r.name.lower(): r.id for r in arrangement.repositories or ()}
    for name, ref in arrangement.sync.items():
        if ref is not None:
            ids[name.lower()] = ref.id
    return ids


def _values(smap: SecretMap, plan: ShardPlan, source: SourceValues | None) -> Mapping[str, str]:
    needed = values_needed(plan)
    if not needed:
        return {}
    if source is None:
        raise ConfigError("changing a secret's visibility rewrites it: a values source is needed")
    missing = [name for name in needed if source.get(name) is None]
    if missing:
        shown = ", ".join(missing[:8]) + (", ..." if len(missing) > 8 else "")
        raise RefusedError(
            f"{len(missing)} secrets change visibility but the source has no value for them: "
            f"{shown}",
            hint="GitHub's API rewrites the value with the visibility: pass --source "
            "json:FILE (or env) holding the current values; nothing was changed",
        )
    values: dict[str, str] = {}
    refusals: list[str] = []
    by_name = {s.name.upper(): s for s in smap.org_secrets()}
    for name in needed:
        value = source.get(name)
        assert value is not None
        problem = judge(by_name[name], value)
        if problem is not None:
            refusals.append(f"{name}: {problem.reason}")
        values[name] = value
    if refusals:
        raise RefusedError(
            "refused to rewrite secrets with placeholder or empty values: " + "; ".join(refusals),
            hint="fix the values at their source; nothing was changed",
        )
    return values
