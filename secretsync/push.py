"""Writing values from the source into GitHub secrets, each at its mapped scope.

For bootstrap and rotation: the map says where a secret lives (organization, repository or
repository environment; for organization secrets also the visibility and the selected
repositories). The client seals each value for the scope's public key and paces writes
under GitHub's secondary rate limit, so pushes go one after the other. Placeholder and
empty values are refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from secretsync.errors import RefusedError, UsageError
from secretsync.placeholders import Verdict, classify
from secretsync.sources import SourceValues
from secretsync.sync import github_scope

if TYPE_CHECKING:
    from secretsync.clients import GitHubClient
    from secretsync.secret_map import Secret, SecretMap

__all__ = ["PushReport", "push_secrets", "select_secrets"]


@dataclass
class PushReport:
    """Names only: what was created, updated, or skipped for want of a value."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    scopes: dict[str, str] = field(default_factory=dict)  # name -> scope description

    def as_json(self) -> dict[str, object]:
        return {
            "schema": "secretsync/push/v1",
            "created": self.created,
            "updated": self.updated,
            "missing": self.missing,
            "scopes": self.scopes,
        }


def select_secrets(
    smap: SecretMap, environment: str | None, only: Sequence[str] | None
) -> list[Secret]:
    """The mapped secrets to push: one environment's or all, narrowed by ``--only``."""
    chosen = smap.secrets_for(environment) if environment else list(smap.secrets.values())
    if not only:
        return chosen
    wanted = {name.upper() for name in only}
    unknown = sorted(wanted - {name.upper() for name in smap.secrets})
    if unknown:
        raise UsageError(
            f"--only names secrets the map does not have: {', '.join(unknown)}",
            hint="names are GitHub secret names from the map",
        )
    return [secret for secret in chosen if secret.name.upper() in wanted]


async def push_secrets(
    gh: GitHubClient,
    smap: SecretMap,
    secrets: Sequence[Secret],
    source: SourceValues,
    *,
    allow_placeholders: bool = False,
) -> PushReport:
    """Put every selected secret that has a value; refuse all if any value is unusable."""
    report = PushReport()
    todo: list[tuple[Secret, str]] = []
    refusals: list[str] = []
    for secret in secrets:
        value = source.get(secret.name)
        if value is None:
            report.missing.append(secret.name)
            continue
        verdict = classify(value, secret.name)
        if not allow_placeholders and verdict.verdict in (Verdict.EMPTY, Verdict.PLACEHOLDER):
            refusals.append(f"{secret.name}: {verdict.reason}")
        todo.append((secret, value))
    if refusals:
        raise RefusedError(
            "refused to push placeholder or empty values: " + "; ".join(refusals),
            hint="fix the values at their source, or pass --allow-placeholders",
        )
    repo_ids: dict[str, int] = {}
    for secret, value in todo:
        scope = github_scope(smap, secret)
        visibility = None
        selected: list[int] | None = None
        if secret.github.scope == "org":
            visibility = secret.github.visibility
            if visibility == "selected":
                selected = []
                for repo in secret.github.repositories:
                    if repo not in repo_ids:
                        repo_ids[repo] = await gh.repository_id(smap.github_org, repo)
                    selected.append(repo_ids[repo])
        created = await gh.put_secret(
            scope, secret.name, value, visibility=visibility, selected_repository_ids=selected
        )
        (report.created if created else report.updated).append(secret.name)
        report.scopes[secret.name] = str(scope)
    return report
