"""Reading everything the audit rules look at, once, into a :class:`Snapshot`.

The snapshot is plain data (no client, no clock), so the rules over it are pure and are
tested on snapshots built by hand.

The request budget is fixed by the map, not by the number of secrets: the list pages of
each GitHub scope (the organization, plus every repository or environment scope an audited
secret lives in) and one decrypted read per ESC environment, all in flight together. A read
that fails is recorded on its scope or environment, so the rules report ``unreachable``
for it and stay silent about anything that would need it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from secretsync.audit.workflows import SecretReference, scan_workflows
from secretsync.clients.esc import EscClient
from secretsync.clients.github import GitHubClient, Scope, SecretMeta, scope_of
from secretsync.errors import NotFoundError, ServiceError
from secretsync.map.model import Secret, SecretMap
from secretsync.shards import Arrangement, read_arrangement
from secretsync.sync.definition import EscDefinition
from secretsync.verify.status import VerifyResult

__all__ = [
    "EscState",
    "ScopeState",
    "Snapshot",
    "SyncState",
    "gather_snapshot",
    "map_location",
    "repo_root",
    "scopes_to_read",
]


@dataclass(frozen=True)
class ScopeState:
    """One GitHub scope as read: secret name (upper-case) -> ``updated_at``; or an error."""

    key: str
    secrets: Mapping[str, datetime | None] | None
    error: str | None = None


@dataclass(frozen=True)
class EscState:
    """One ESC environment as read (decrypted); ``exists`` False on 404; or an error."""

    environment: str
    ref: str
    definition: EscDefinition | None
    exists: bool = True
    error: str | None = None


@dataclass(frozen=True)
class SyncState:
    """Who can see which organization secret (``shards``' reading), or why it is unknown."""

    arrangement: Arrangement | None
    error: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """Everything the rules look at, read once; ``now`` is the audit's clock."""

    smap: SecretMap
    map_file: str
    environments: tuple[str, ...]
    now: datetime
    github: Mapping[str, ScopeState]
    esc: Mapping[str, EscState]
    workflows: Sequence[SecretReference] = ()
    source: Mapping[str, str] | None = field(default=None, repr=False)
    sync: SyncState | None = None  # None: the map names no sync repositories
    #: With ``audit --verify``: what each credential's provider answered (None: not asked).
    verifications: Sequence[VerifyResult] | None = None

    def audited(self) -> list[Secret]:
        """Secrets mapped into any audited environment, in map order."""
        chosen = set(self.environments)
        return [s for s in self.smap.secrets.values() if chosen & set(s.environments)]

    def github_key(self, secret: Secret) -> str:
        """The :attr:`github` key of the scope the secret lives at."""
        return scope_of(secret.github, self.smap.github_org).key

    def known_values(self) -> list[str]:
        """Every credential value read (ESC and source), for the CLI's last-line redactor.

        Only secrets of a sensitive type (secret, pem): a plain setting such as ``true``
        would make the redactor rewrite every place the word appears.
        """
        sensitive = {s.name for s in self.smap.secrets.values() if s.is_sensitive}
        found = [v for k, v in (self.source or {}).items() if k in sensitive]
        for state in self.esc.values():
            if state.definition is None:
                continue
            for secret in self.smap.secrets_for(state.environment):
                if not secret.is_sensitive:
                    continue
                value = state.definition.secret_value(secret.esc_path)
                if value:
                    found.append(value)
        return found


def scopes_to_read(smap: SecretMap, environments: Sequence[str]) -> dict[str, Scope]:
    """The organization scope (for orphans) and every scope an audited secret lives in,
    by :attr:`Scope.key`."""
    org = Scope.org(smap.github_org)
    scopes = {org.key: org}
    chosen = set(environments)
    for secret in smap.secrets.values():
        if chosen & set(secret.environments):
            scope = scope_of(secret.github, smap.github_org)
            scopes.setdefault(scope.key, scope)
    return scopes


def repo_root(map_path: Path) -> Path:
    """The repository the map belongs to: the nearest folder above it holding ``.git`` or
    ``.github``; else the folder above ``config/``; else the map's own folder."""
    folder = map_path.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists() or (candidate / ".github").is_dir():
            return candidate
    return folder.parent if folder.name == "config" else folder


def map_location(map_path: Path, root: Path) -> str:
    """The map's path relative to the repository root, posix (what SARIF and JSON show)."""
    resolved = map_path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return resolved.name


async def gather_snapshot(
    smap: SecretMap,
    environments: Sequence[str],
    *,
    github: GitHubClient,
    esc: EscClient,
    now: datetime | None = None,
    root: Path | None = None,
    source: Mapping[str, str] | None = None,
    map_file: str | None = None,
) -> Snapshot:
    """Read GitHub, ESC and the workflows concurrently; ``now`` defaults to the local clock,
    ``root`` to :func:`repo_root` of the map, ``map_file`` to the map's path under it.

    ``CredentialsError`` (no token, or one the service refused) is not caught: that is a
    configuration error for the caller, not a finding.
    """
    root = root or repo_root(smap.path)
    scopes = scopes_to_read(smap, environments)
    # The organization's list pages serve both its scope and the sync arrangement: read once.
    org_list = _OnceList(github, Scope.org(smap.github_org))
    scope_reads = [
        _read_scope(org_list if scope.kind == "org" else _OnceList(github, scope), key, scope)
        for key, scope in scopes.items()
    ]
    esc_reads = [_read_esc(esc, smap, env) for env in environments]
    sync_read = _read_sync(github, smap, org_list)
    results = await asyncio.gather(*scope_reads, *esc_reads, sync_read)
    sync_state = results[-1]
    results = results[:-1]
    github_states = {s.key: s for s in results[: len(scope_reads)] if isinstance(s, ScopeState)}
    esc_states = {s.environment: s for s in results[len(scope_reads) :] if isinstance(s, EscState)}
    return Snapshot(
        smap=smap,
        map_file=map_file or map_location(smap.path, root),
        environments=tuple(environments),
        now=now or datetime.now(timezone.utc),
        github=github_states,
        esc=esc_states,
        workflows=tuple(scan_workflows(root)),
        source=source,
        sync=sync_state if isinstance(sync_state, SyncState) else None,
    )


class _OnceList:
    """One scope's list pages, fetched on first use and shared by every reader after."""

    def __init__(self, github: GitHubClient, scope: Scope) -> None:
        self._github, self._scope = github, scope
        self._task: asyncio.Task[list[SecretMeta]] | None = None

    async def get(self) -> list[SecretMeta]:
        if self._task is None:
            self._task = asyncio.ensure_future(self._github.list_secrets(self._scope))
        return await asyncio.shield(self._task)


async def _read_scope(listing: _OnceList, key: str, scope: Scope) -> ScopeState:
    try:
        metas = await listing.get()
    except NotFoundError:
        # GitHub answers 404 both for "no such repository" and "you may not see it":
        # neither says the secrets are absent, so the gate fails closed.
        return ScopeState(key, None, error=f"{scope} not found, or the token cannot see it")
    except ServiceError as exc:
        return ScopeState(key, None, error=exc.message)
    return ScopeState(key, {meta.name.upper(): _utc(meta.updated_at) for meta in metas})


async def _read_sync(
    github: GitHubClient, smap: SecretMap, org_list: _OnceList
) -> SyncState | None:
    """Visibility, selected repositories and the sync repositories, when the map names
    them: ``hidden-from-sync`` needs exactly that, and no value."""
    if not smap.sync_repositories:
        return None
    try:
        return SyncState(await read_arrangement(github, smap, metas=await org_list.get()))
    except ServiceError as exc:
        return SyncState(None, error=exc.message)


async def _read_esc(esc: EscClient, smap: SecretMap, environment: str) -> EscState:
    ref = smap.esc_ref(environment)
    name = smap.environments[environment].esc_env
    try:
        definition = await esc.get_definition(smap.esc_org, smap.esc_project, name, decrypt=True)
        parsed = EscDefinition.parse(definition.yaml)
    except NotFoundError:
        return EscState(environment, ref, None, exists=False)
    except ServiceError as exc:
        return EscState(environment, ref, None, error=exc.message)
    return EscState(environment, ref, parsed)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
