"""Writing values from the source into GitHub secrets, each at its mapped scope.

For bootstrap and rotation: the map says where a secret lives (organization, repository or
repository environment; for organization secrets also the visibility and the selected
repositories). The client seals each value for the scope's public key and paces writes
under GitHub's secondary rate limit, so pushes go one after the other. Placeholder and
empty values are refused, and every repository id and public key is looked up, before
anything is written; a write that fails part-way stops the run with a report of what was
already written.

A write whose answer never came (the client gave up after dropped connections, 5xx or
rate limits) may have landed anyway. GitHub never shows a value back, so push lists each
scope's secrets before writing and, after such a failure, reads the secret once more:
created since, or ``updated_at`` moved on, counts as written (another writer changing the
same secret at that moment would look the same; GitHub offers no way to tell).

Once the map shards its secrets (``sync.repositories``), who may read an organization
secret is ``secretsync shards --apply``'s business: a push keeps the repositories GitHub
lists for a secret that is ``selected`` there, adding the map's own, instead of writing
the map's visibility over the shard's list (which took the secret away from the shard's
sync workflow). ``PushReport.kept_access`` names those secrets.

``dry_run`` stops after those reads: each secret is reported as what it would get (created
or updated, from where), and nothing is written. The caller may pass its own report and a
``written`` callback: progress per secret, and, when the run is interrupted (Ctrl-C), the
report still says what was written and which write was in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from secretsync.clients import Scope, scope_of
from secretsync.errors import (
    RateLimitError,
    RefusedError,
    SecretSyncError,
    ServiceError,
    UnreachableError,
    UsageError,
    listing,
)
from secretsync.placeholders.judgement import judge
from secretsync.sync.sources import SourceValues

if TYPE_CHECKING:
    from secretsync.clients import GitHubClient
    from secretsync.clients.github import SecretMeta, Visibility
    from secretsync.map.model import Secret, SecretMap

__all__ = ["PlannedWrite", "PushReport", "push_secrets", "select_secrets"]


@dataclass(frozen=True)
class PlannedWrite:
    """What a dry run says one secret would get; names and places only."""

    secret: str
    action: str  # "create" or "update"
    scope: str
    origin: str  # where the value was read: the source, or an ESC environment and path

    def as_json(self) -> dict[str, str]:
        return {
            "secret": self.secret,
            "action": self.action,
            "scope": self.scope,
            "from": self.origin,
        }


@dataclass
class PushReport:
    """Names only: what was created, updated, or skipped for want of a value."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    scopes: dict[str, str] = field(default_factory=dict)  # name -> scope description
    failed: str | None = None  # the secret whose write failed; the run stopped there
    error: SecretSyncError | None = field(default=None, repr=False)
    unreadable: dict[str, str] = field(default_factory=dict)  # name -> why (ESC source)
    dry_run: bool = False
    planned: list[PlannedWrite] = field(default_factory=list)  # what a dry run would do
    in_flight: str | None = None  # the write under way when the run was interrupted
    # Organization secrets whose selected repositories (the shards') were kept as GitHub
    # lists them, the map's own added.
    kept_access: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "schema": "secretsync/push/v1",
            "created": self.created,
            "updated": self.updated,
            "missing": self.missing,
            "scopes": self.scopes,
            "failed": self.failed,
            "error": self.error.message if self.error else None,
            "unreadable": self.unreadable,
            "dry_run": self.dry_run,
            "planned": [write.as_json() for write in self.planned],
            "in_flight": self.in_flight,
            "kept_access": self.kept_access,
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
            f"--only names {len(unknown)} secret(s) the map does not have: {listing(unknown)}",
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
    dry_run: bool = False,
    report: PushReport | None = None,
    written: Callable[[str, bool], None] | None = None,
) -> PushReport:
    """Put every selected secret that has a value; refuse all if any value is unusable.

    Repository ids and public keys are resolved first, so a wrong repository name or an
    unreadable scope raises before the first write. A write that fails afterwards is
    recorded on the report (``failed``, ``error``) and nothing after it is attempted.
    ``written(name, created)`` is called after each write.
    """
    report = report if report is not None else PushReport()
    report.dry_run = dry_run
    todo: list[tuple[Secret, str]] = []
    refusals: list[str] = []
    for secret in secrets:
        value = source.get(secret.name)
        if value is None:
            report.missing.append(secret.name)
            if secret.name in source.problems:
                report.unreadable[secret.name] = source.problems[secret.name]
            continue
        problem = None if allow_placeholders else judge(secret, value)
        if problem is not None:
            refusals.append(f"{secret.name}: {problem.reason}")
        todo.append((secret, value))
    if refusals:
        raise RefusedError(
            "refused to push placeholder or empty values: " + listing(refusals, "; "),
            hint="fix the values at their source, or pass --allow-placeholders",
        )
    writes = await _resolve(gh, smap, todo)
    existing = await _existing(gh, writes)
    before = {key: meta.updated_at for key, meta in existing.items()}
    if smap.sync_repositories:
        writes = await _keep_shard_access(gh, smap, writes, existing, report)
    if dry_run:
        for write in writes:
            exists = f"{write.scope.key}:{write.secret.name.upper()}" in before
            origin = source.locations.get(write.secret.name, source.origin)
            action = "update" if exists else "create"
            report.planned.append(PlannedWrite(write.secret.name, action, str(write.scope), origin))
        return report
    for write in writes:
        try:
            report.in_flight = write.secret.name
            created = await gh.put_secret(
                write.scope,
                write.secret.name,
                write.value,
                visibility=write.visibility,
                selected_repository_ids=write.selected,
            )
        except (UnreachableError, RateLimitError) as exc:
            found = await _landed(gh, write, before)
            if found is None:
                report.failed, report.error = write.secret.name, exc
                report.in_flight = None
                return report
            created = found
        except SecretSyncError as exc:
            report.failed, report.error = write.secret.name, exc
            report.in_flight = None
            return report
        report.in_flight = None
        (report.created if created else report.updated).append(write.secret.name)
        report.scopes[write.secret.name] = str(write.scope)
        if written is not None:
            written(write.secret.name, created)
    return report


async def _existing(gh: GitHubClient, writes: Sequence[_Write]) -> dict[str, SecretMeta]:
    """Every secret already in the scopes written to, by scope and upper-case name."""
    found: dict[str, SecretMeta] = {}
    for scope in {w.scope.key: w.scope for w in writes}.values():
        for meta in await gh.list_secrets(scope):
            found[f"{scope.key}:{meta.name.upper()}"] = meta
    return found


async def _keep_shard_access(
    gh: GitHubClient,
    smap: SecretMap,
    writes: Sequence[_Write],
    existing: dict[str, SecretMeta],
    report: PushReport,
) -> list[_Write]:
    """The writes, each organization secret that is ``selected`` in GitHub keeping the
    repositories listed there (the map's ``selected`` ones added): see the module text."""

    def selected_in_github(write: _Write) -> SecretMeta | None:
        meta = existing.get(f"{write.scope.key}:{write.secret.name.upper()}")
        if write.secret.github.scope != "org" or meta is None or meta.visibility != "selected":
            return None
        return meta

    metas = [selected_in_github(write) for write in writes]
    # One list per such secret (GitHub has no call for several), read concurrently.
    lists = iter(
        await asyncio.gather(
            *(gh.list_selected_repositories(smap.github_org, m.name) for m in metas if m)
        )
    )
    kept: list[_Write] = []
    for write, meta in zip(writes, metas, strict=True):
        if meta is None:
            kept.append(write)
            continue
        ids = sorted({repo.id for repo in next(lists)} | set(write.selected or ()))
        kept.append(replace(write, visibility="selected", selected=ids))
        report.kept_access.append(write.secret.name)
    return kept


async def _landed(gh: GitHubClient, write: _Write, before: dict[str, datetime]) -> bool | None:
    """After a write went unanswered: True (created) / False (updated) when it is in GitHub
    after all, None when it is not or GitHub still cannot say."""
    key = f"{write.scope.key}:{write.secret.name.upper()}"
    try:
        meta = await gh.get_secret(write.scope, write.secret.name, attempts=2 * gh.policy.attempts)
    except ServiceError:  # NotFoundError included: it was never created
        return None
    if key not in before:
        return True
    return None if meta.updated_at == before[key] else False


@dataclass(frozen=True)
class _Write:
    """One PUT, with everything it needs already looked up."""

    secret: Secret
    value: str = field(repr=False)
    scope: Scope
    visibility: Visibility | None
    selected: list[int] | None


async def _resolve(
    gh: GitHubClient, smap: SecretMap, todo: Sequence[tuple[Secret, str]]
) -> list[_Write]:
    """Each write with its scope, visibility and repository ids; every key fetched once."""
    repo_ids: dict[str, int] = {}
    writes: list[_Write] = []
    for secret, value in todo:
        scope = scope_of(secret.github, smap.github_org)
        visibility: Visibility | None = None
        selected: list[int] | None = None
        if secret.github.scope == "org":
            visibility = secret.github.visibility
            if visibility == "selected":
                selected = []
                for repo in secret.github.repositories:
                    if repo not in repo_ids:
                        repo_ids[repo] = await gh.repository_id(smap.github_org, repo)
                    selected.append(repo_ids[repo])
        writes.append(_Write(secret, value, scope, visibility, selected))
    for scope in {str(w.scope): w.scope for w in writes}.values():
        await gh.public_key(scope)  # cached by the client for the writes
    return writes
