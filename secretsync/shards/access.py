"""GitHub's rule for what a workflow sees, over metadata only (names and visibility).

GitHub's secrets reference ("Limits for secrets"): a workflow can use all 100 repository
secrets and all 100 environment secrets, but "if the repository is assigned access to more
than 100 organization secrets, the workflow can only use the first 100 organization
secrets (sorted alphabetically by secret name)". Which organization secrets a repository
is assigned follows each secret's visibility: ``all`` (every repository), ``private``
(private and internal repositories, never public ones) or ``selected`` (the listed ones).
Names are stored upper-case (letters, digits, ``_``), so sorting them by code point is
sorting them alphabetically.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from secretsync.clients.github import RepositoryRef

__all__ = [
    "ORG_SECRET_LIMIT",
    "Arrangement",
    "OrgSecretAccess",
    "WorkflowView",
    "can_use",
    "workflow_view",
]

ORG_SECRET_LIMIT = 100


@dataclass(frozen=True)
class OrgSecretAccess:
    """One organization secret's reach: ``selected`` holds lower-case repository names
    (for visibility ``selected`` only)."""

    name: str
    visibility: str
    selected: frozenset[str] = frozenset()


def can_use(secret: OrgSecretAccess, repo: RepositoryRef) -> bool:
    """Whether ``repo`` is assigned access to the organization secret."""
    if secret.visibility == "all":
        return True
    if secret.visibility == "private":
        return repo.private
    return secret.visibility == "selected" and repo.name.lower() in secret.selected


@dataclass(frozen=True)
class WorkflowView:
    """The organization secrets assigned to one repository, split at GitHub's cut."""

    repository: str
    seen: tuple[str, ...]
    past_limit: tuple[str, ...]

    @property
    def available(self) -> tuple[str, ...]:
        return self.seen + self.past_limit


def workflow_view(
    secrets: Iterable[OrgSecretAccess], repo: RepositoryRef, limit: int = ORG_SECRET_LIMIT
) -> WorkflowView:
    """What a workflow in ``repo`` gets of the organization's secrets."""
    available = sorted(s.name.upper() for s in secrets if can_use(s, repo))
    return WorkflowView(repo.name, tuple(available[:limit]), tuple(available[limit:]))


@dataclass(frozen=True)
class Arrangement:
    """What GitHub says now: every organization secret's reach, the sync repositories
    (None where GitHub has no such repository) and, when asked for, every repository of
    the organization (who can read an ``all`` or ``private`` secret today)."""

    org: str
    secrets: Mapping[str, OrgSecretAccess]  # by upper-case name
    sync: Mapping[str, RepositoryRef | None]  # by the map's spelling
    repositories: tuple[RepositoryRef, ...] | None = None

    def view(self, repo: str, limit: int = ORG_SECRET_LIMIT) -> WorkflowView | None:
        """What the workflow of sync repository ``repo`` sees; None if it does not exist."""
        found = self.sync.get(repo)
        if found is None:
            return None
        return workflow_view(self.secrets.values(), found, limit)
