"""What a workflow in one repository would get as ``secrets``: GitHub's rule, applied to
the emulator's state (the ``/_emulator/workflow-secrets`` control).

GitHub's secrets reference: a workflow can use all of its repository's secrets, but of
the organization secrets its repository is assigned (``all``; ``private`` when the
repository is not public; ``selected`` when listed) "only the first 100 organization
secrets (sorted alphabetically by secret name)". A repository secret of the same name
takes precedence over the organization's. Environment secrets need a job that names the
environment, so they are not part of a repository's view.
"""

from __future__ import annotations

from typing import Any

from secretsync.emulator.github_store import GitHubError, GitHubStore, Repository

__all__ = ["ORG_SECRET_LIMIT", "workflow_secrets"]

ORG_SECRET_LIMIT = 100


def _assigned(visibility: str | None, repository_ids: set[int], repo: Repository) -> bool:
    if visibility == "all":
        return True
    if visibility == "private":
        return getattr(repo, "visibility", "private") != "public"
    return visibility == "selected" and repo.id in repository_ids


def workflow_secrets(store: GitHubStore, full_name: str) -> dict[str, Any]:
    """``{"repository", "secrets", "organization", "organization_past_limit",
    "repository_secrets"}``; ``GitHubError`` 404 for an unknown repository."""
    owner, slash, name = full_name.partition("/")
    if not slash or not owner or not name or "/" in name:
        raise GitHubError(400, "repository must be OWNER/NAME")
    repo = store.repository(owner, name)
    org = store.org_scope(repo.owner)
    assigned = sorted(
        stored.name
        for stored in org.secrets.values()
        if _assigned(stored.visibility, stored.repository_ids, repo)
    )
    seen, past = assigned[:ORG_SECRET_LIMIT], assigned[ORG_SECRET_LIMIT:]
    own = sorted(store.repo_scope(repo.owner, repo.name).secrets)
    shadowed = set(own)
    return {
        "repository": repo.full_name,
        "secrets": [n for n in seen if n not in shadowed] + own,
        "organization": seen,
        "organization_past_limit": past,
        "repository_secrets": own,
    }
