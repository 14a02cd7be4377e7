"""Which sync repository syncs which mapped organization secret, and what must change.

Stable by construction: a secret some sync repository can already use, and only that one
(or a ``selected`` secret that lists sync repositories), stays where it is, so once the
changes are made every secret is pinned by its own visibility and adding one moves no
other. Every other secret goes to the first sync repository with room in its own ranking
of the repositories (rendezvous hashing: a hash of secret and repository name), which does
not depend on the other secrets either, as long as shards have room.

The changes keep every repository's access: a ``selected`` secret only gains its shard; an
``all`` or ``private`` one becomes ``selected`` for every repository that can read it now
plus its shard. The one exception is the sync repositories themselves: what they see is
what this module decides, so a sync repository loses sight of other shards' secrets (a
``selected`` list that names several sync repositories is left as it is, and reported).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from secretsync.clients.github import RepositoryRef
from secretsync.map.model import SecretMap
from secretsync.shards.access import ORG_SECRET_LIMIT, Arrangement, OrgSecretAccess, can_use

__all__ = [
    "Change",
    "ShardPlan",
    "dropped_owner",
    "owner_of",
    "plan_shards",
    "ranking",
    "shard_members",
]


def ranking(name: str, repositories: Sequence[str]) -> list[str]:
    """The sync repositories in ``name``'s own order of preference (rendezvous hashing)."""

    def score(repo: str) -> bytes:
        return hashlib.sha256(f"{name.upper()}\n{repo.lower()}".encode()).digest()

    return sorted(repositories, key=score)


def dropped_owner(name: str, repositories: Sequence[str]) -> str | None:
    """The shard that prunes a path whose secret the map no longer has: its first choice."""
    order = ranking(name, repositories)
    return order[0] if order else None


@dataclass(frozen=True)
class Change:
    """One organization secret becomes ``selected``: ``add_repositories`` gain access
    (all of them, when it was ``all`` or ``private``); ``hidden_from`` are sync
    repositories that see it today and will not."""

    secret: str
    shard: str
    was: str
    add_repositories: tuple[str, ...]
    hidden_from: tuple[str, ...] = ()

    @property
    def rewrites_value(self) -> bool:
        """Only the secret's own PUT changes a visibility, and GitHub's description makes
        it carry the (sealed) value; adding a repository to a ``selected`` secret does not."""
        return self.was != "selected"

    def as_json(self) -> dict[str, object]:
        return {
            "secret": self.secret,
            "shard": self.shard,
            "visibility": "selected",
            "was": self.was,
            "add_repositories": list(self.add_repositories),
            "hidden_from": list(self.hidden_from),
            "rewrites_value": self.rewrites_value,
        }


@dataclass
class ShardPlan:
    """The assignment, the changes that achieve it, and what stands in its way."""

    limit: int
    repositories: tuple[str, ...]
    shards: dict[str, list[str]]
    changes: list[Change] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)  # org secrets each will see
    missing: list[str] = field(default_factory=list)  # mapped, but not in GitHub
    shared: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def shard_of(self, name: str) -> str | None:
        for repo, names in self.shards.items():
            if name.upper() in names:
                return repo
        return None

    def as_json(self) -> dict[str, object]:
        return {
            "schema": "secretsync/shards/v1",
            "max": self.limit,
            "shards": [
                {
                    "repository": repo,
                    "secrets": self.shards[repo],
                    "organization_secrets_seen": self.seen.get(repo, 0),
                }
                for repo in self.repositories
            ],
            "changes": [change.as_json() for change in self.changes],
            "missing": self.missing,
            "shared": {name: list(repos) for name, repos in sorted(self.shared.items())},
            "problems": self.problems,
        }


def plan_shards(
    smap: SecretMap, arrangement: Arrangement, limit: int = ORG_SECRET_LIMIT
) -> ShardPlan:
    """Assign every mapped organization secret to one sync repository, at most ``limit``
    organization secrets seen per repository; changes need ``arrangement.repositories``
    (without it, as in the audit, only the assignment is computed)."""
    repos = tuple(smap.sync_repositories)
    refs = {r: arrangement.sync.get(r) or RepositoryRef(0, r, True) for r in repos}
    sync_lower = {r.lower() for r in repos}
    plan = ShardPlan(limit, repos, {r: [] for r in repos})
    load = dict.fromkeys(repos, 0)
    mapped = {s.name.upper() for s in smap.org_secrets()}
    for name, secret in arrangement.secrets.items():
        if name not in mapped:  # unmapped secrets keep their reach and use up room
            for repo in repos:
                load[repo] += can_use(secret, refs[repo])
    unplaced: list[str] = []
    for name in sorted(mapped):
        current = arrangement.secrets.get(name)
        if current is None:
            plan.missing.append(name)
            unplaced.append(name)
            continue
        usable = [r for r in repos if can_use(current, refs[r])]
        if len(usable) == 1 or (usable and current.visibility == "selected"):
            _pin(plan, load, name, usable)
        else:
            unplaced.append(name)
    homeless: list[str] = []
    for name in unplaced:
        home = next((r for r in ranking(name, repos) if load[r] < limit), None)
        if home is None:
            homeless.append(name)
            continue
        load[home] += 1
        plan.shards[home].append(name)
        current = arrangement.secrets.get(name)
        if current is not None:
            change = _change(name, home, current, arrangement, refs, sync_lower)
            if change is not None:
                plan.changes.append(change)
    for names in plan.shards.values():
        names.sort()
    plan.seen = load
    _problems(plan, arrangement, homeless)
    return plan


def _pin(plan: ShardPlan, load: dict[str, int], name: str, usable: list[str]) -> None:
    """A secret sync repositories can already use stays; each of them keeps counting it."""
    plan.shards[usable[0]].append(name)
    for repo in usable:
        load[repo] += 1
    if len(usable) > 1:
        plan.shared[name] = tuple(usable)


def _change(
    name: str,
    home: str,
    current: OrgSecretAccess,
    arrangement: Arrangement,
    refs: dict[str, RepositoryRef],
    sync_lower: set[str],
) -> Change | None:
    hidden = tuple(r for r, ref in refs.items() if r != home and can_use(current, ref))
    if current.visibility == "selected":
        return Change(name, home, "selected", (home,))
    if arrangement.repositories is None:
        return None
    # Everyone who can read it today keeps it; the sync repositories get only their share.
    keep = sorted(
        repo.name
        for repo in arrangement.repositories
        if can_use(current, repo) and repo.name.lower() not in sync_lower
    )
    return Change(name, home, current.visibility, (*keep, home), hidden)


def _problems(plan: ShardPlan, arrangement: Arrangement, homeless: list[str]) -> None:
    for repo in plan.repositories:
        if arrangement.sync.get(repo) is None:
            plan.problems.append(
                f"repository {arrangement.org}/{repo} does not exist (or the token cannot "
                "see it): create it before the shards can be arranged"
            )
        if plan.seen[repo] > plan.limit:
            plan.problems.append(
                f"{repo} would still see {plan.seen[repo]} organization secrets, more than "
                f"{plan.limit}: secrets already selected for it, or not in the map, fill it"
            )
    if homeless:
        shown = ", ".join(homeless[:5]) + (", ..." if len(homeless) > 5 else "")
        plan.problems.append(
            f"no sync repository has room for {len(homeless)} secrets ({shown}): add a "
            "repository to sync.repositories (each workflow sees at most "
            f"{plan.limit} organization secrets)"
        )


def shard_members(smap: SecretMap, plan: ShardPlan, repo: str) -> frozenset[str]:
    """What ``sync --shard repo`` syncs: its organization secrets, plus the map's
    repository and environment secrets of that repository (its workflow sees those)."""
    names = set(plan.shards.get(repo, ()))
    for secret in smap.secrets.values():
        if secret.github.scope != "org" and (secret.github.repo or "").lower() == repo.lower():
            names.add(secret.name)
    return frozenset(names)


def owner_of(smap: SecretMap, plan: ShardPlan, name: str) -> str | None:
    """The one shard responsible for a managed path recorded for secret ``name``: its
    shard while mapped, else (the map dropped it) its first choice, so shards agree."""
    home = plan.shard_of(name)
    if home is not None:
        return home
    secret = smap.secrets.get(name)
    if secret is not None and secret.github.scope != "org":
        repo = (secret.github.repo or "").lower()
        found = next((r for r in plan.repositories if r.lower() == repo), None)
        if found is not None:
            return found
    return dropped_owner(name, plan.repositories)
