"""Reading the arrangement from GitHub: metadata only, a request count fixed by the org.

The organization's secret list (visibility included), the selected-repositories list of
each ``selected`` secret, each sync repository (its id, and whether it is private), and,
for ``shards`` itself, the organization's repositories (who can read an ``all`` or
``private`` secret today). Never a value: GitHub has no way to give one back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from secretsync.clients.github import GitHubClient, RepositoryRef, Scope, SecretMeta
from secretsync.errors import NotFoundError
from secretsync.map.model import SecretMap
from secretsync.shards.access import Arrangement, OrgSecretAccess

__all__ = ["read_arrangement"]


async def read_arrangement(
    gh: GitHubClient,
    smap: SecretMap,
    *,
    repositories: bool = False,
    metas: Sequence[SecretMeta] | None = None,
) -> Arrangement:
    """Everything :func:`~secretsync.shards.plan_shards` needs; service errors propagate
    (a missing sync repository is recorded as None, not raised). ``metas``: the
    organization's secret list when the caller has already read it (the audit has)."""
    org = smap.github_org
    if metas is None:
        metas = await gh.list_secrets(Scope.org(org))
    selected = [m.name for m in metas if m.visibility == "selected"]

    async def sync_repo(name: str) -> RepositoryRef | None:
        try:
            return await gh.repository(org, name)
        except NotFoundError:
            return None

    lists, found, everyone = await asyncio.gather(
        asyncio.gather(*(gh.list_selected_repositories(org, name) for name in selected)),
        asyncio.gather(*(sync_repo(name) for name in smap.sync_repositories)),
        gh.list_org_repositories(org) if repositories else _none(),
    )
    reach = {
        name: frozenset(r.name.lower() for r in repos)
        for name, repos in zip(selected, lists, strict=True)
    }
    secrets = {
        m.name.upper(): OrgSecretAccess(
            m.name.upper(), m.visibility or "private", reach.get(m.name, frozenset())
        )
        for m in metas
    }
    return Arrangement(
        org=org,
        secrets=secrets,
        sync=dict(zip(smap.sync_repositories, found, strict=True)),
        repositories=tuple(everyone) if everyone is not None else None,
    )


async def _none() -> list[RepositoryRef] | None:
    return None
