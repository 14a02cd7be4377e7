"""What the GitHub half of the emulator holds: repositories, environments, secret scopes.

Each scope (organization, repository, environment) has a real Curve25519 key pair: the
public half is served, the private half opens the sealed boxes clients send, so a client
that encrypts wrongly fails here as it would on GitHub. Values are kept decrypted in
memory (this is a test double) and only ``/_emulator/state`` shows them.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import random
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from secretsync.emulator._http import Clock, isoformat_z

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_SECRETS",
    "MAX_VALUE_BYTES",
    "DeployEnvironment",
    "GitHubError",
    "GitHubStore",
    "Repository",
    "SecretScope",
    "StoredSecret",
    "check_secret_name",
]

MAX_VALUE_BYTES = 48 * 1024
# GitHub documents no length limit for secret names (secrets reference, "Naming your
# secrets": characters, the GITHUB_ prefix, a leading digit, case, uniqueness; and the
# limits of 1,000 / 100 / 100 secrets and 48 KB per value:
# https://docs.github.com/en/actions/reference/secrets-reference). This bound is the
# emulator's own, far above any real name, so an endless one is refused (422) instead of
# stored: a 20,000-character name used to be accepted.
MAX_NAME_LENGTH = 255
MAX_SECRETS = {"org": 1000, "repo": 100, "env": 100}
VISIBILITIES = ("all", "private", "selected")
DOCS = "https://docs.github.com/rest/actions/secrets"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class GitHubError(Exception):
    """An answer GitHub would give instead of doing the thing; becomes an error document."""

    def __init__(
        self,
        status: int,
        message: str,
        documentation_url: str = DOCS,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.documentation_url = documentation_url
        self.errors = errors


def check_secret_name(name: str) -> str:
    """The stored (upper-case) name, or a 422 naming the rule that was broken."""
    if len(name) > MAX_NAME_LENGTH:
        raise GitHubError(
            422, f"Secret names are limited to {MAX_NAME_LENGTH} characters in this emulator."
        )
    if not _NAME.match(name):
        raise GitHubError(
            422,
            "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or "
            "underscores (_), and must not start with a number.",
        )
    if name.upper().startswith("GITHUB_"):
        raise GitHubError(422, "Secret names must not start with the GITHUB_ prefix.")
    return name.upper()


@dataclass
class DeployEnvironment:
    """A repository's deployment environment (the emulator keeps no protection rules)."""

    id: int
    name: str
    created_at: datetime
    updated_at: datetime
    wait_timer: int = 0  # minutes
    branch_policy: dict[str, bool] | None = None  # deployment_branch_policy; None: any branch


@dataclass
class Repository:
    """What a repository answer needs; repositories are private unless created otherwise."""

    id: int
    owner: str
    name: str
    created_at: datetime
    updated_at: datetime
    visibility: str = "private"  # "private" | "public" | "internal"
    description: str | None = None
    homepage: str | None = None
    environments: dict[str, DeployEnvironment] = field(default_factory=dict)  # by lower name

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def private(self) -> bool:
        return self.visibility != "public"


@dataclass
class StoredSecret:
    name: str
    value: str = field(repr=False)
    created_at: datetime
    updated_at: datetime
    visibility: str | None = None  # organization secrets only
    repository_ids: set[int] = field(default_factory=set)


@dataclass
class SecretScope:
    """One place secrets live, with its key pair. ``path`` is ``orgs/ai-cherry`` and so on."""

    kind: str  # "org" | "repo" | "env"
    path: str
    org: str
    key: PrivateKey = field(repr=False)
    key_id: str
    secrets: dict[str, StoredSecret] = field(default_factory=dict)

    @property
    def public_key(self) -> str:
        return base64.b64encode(bytes(self.key.public_key)).decode("ascii")

    def open(self, key_id: str, encrypted_value: str) -> str:
        """Decrypt a client's sealed box, or the 422 GitHub gives for it."""
        if key_id != self.key_id:
            raise GitHubError(
                422, "Invalid request. key_id does not match this scope's public key."
            )
        try:
            sealed = base64.b64decode(encrypted_value, validate=True)
        except (binascii.Error, ValueError):
            raise GitHubError(
                422, "Invalid request. encrypted_value is not valid Base64."
            ) from None
        try:
            plain = SealedBox(self.key).decrypt(sealed)
        except CryptoError:
            raise GitHubError(
                422, "Invalid request. encrypted_value could not be decrypted with this key."
            ) from None
        if len(plain) > MAX_VALUE_BYTES:
            raise GitHubError(422, f"Secret values are limited to {MAX_VALUE_BYTES // 1024} KB.")
        return plain.decode("utf-8", errors="replace")

    def check_room(self, name: str) -> None:
        if name not in self.secrets and len(self.secrets) >= MAX_SECRETS[self.kind]:
            raise GitHubError(
                422, f"This scope already holds the maximum of {MAX_SECRETS[self.kind]} secrets."
            )


def _scope_parts(path: str) -> list[str]:
    parts = [unquote(p) for p in path.strip("/").split("/")]
    if (
        (len(parts) == 2 and parts[0] == "orgs")
        or (len(parts) == 3 and parts[0] == "repos")
        or (len(parts) == 5 and parts[0] == "repos" and parts[3] == "environments")
    ) and all(parts):
        return parts
    raise ValueError(
        f"not a secret scope: {path!r} (orgs/O, repos/O/R or repos/O/R/environments/E)"
    )


class GitHubStore:
    """Repositories, environments and scopes; lookups are case-insensitive like GitHub's."""

    def __init__(self, clock: Clock, rng: random.Random) -> None:
        self.clock = clock
        self._rng = rng
        self.reset()

    def reset(self) -> None:
        self.repositories: dict[tuple[str, str], Repository] = {}
        self.scopes: dict[str, SecretScope] = {}
        self.org_ids: dict[str, int] = {}
        self._org_created: dict[str, datetime] = {}
        self._ids = itertools.count(1296269)
        self._environment_ids = itertools.count(161088068)

    def org_id(self, org: str) -> int:
        """Organizations exist as soon as they are named; each keeps the id it got first."""
        self.org_created(org)
        return self.org_ids.setdefault(org.lower(), 9_000_000 + len(self.org_ids))

    def org_created(self, org: str) -> datetime:
        """When the emulator first heard of the organization."""
        return self._org_created.setdefault(org.lower(), self.clock.now())

    # -- repositories and environments -------------------------------------------------
    def add_repository(self, owner: str, name: str) -> int:
        """The repository's id; created (private, empty) when it does not exist yet."""
        key = (owner.lower(), name.lower())
        if key not in self.repositories:
            now = self.clock.now()
            self.repositories[key] = Repository(next(self._ids), owner, name, now, now)
        return self.repositories[key].id

    def create_repository(
        self,
        owner: str,
        name: str,
        *,
        visibility: str = "private",
        description: str | None = None,
        homepage: str | None = None,
    ) -> Repository:
        """A new repository, or the 422 GitHub gives when the name is taken."""
        if (owner.lower(), name.lower()) in self.repositories:
            raise GitHubError(
                422,
                "Repository creation failed.",
                "https://docs.github.com/rest/repos/repos#create-an-organization-repository",
                errors=[
                    {
                        "resource": "Repository",
                        "code": "custom",
                        "field": "name",
                        "message": "name already exists on this account",
                    }
                ],
            )
        self.add_repository(owner, name)
        repo = self.repositories[(owner.lower(), name.lower())]
        repo.visibility, repo.description, repo.homepage = visibility, description, homepage
        return repo

    def org_repositories(self, org: str) -> list[Repository]:
        """An organization's repositories in the order they were created."""
        found = [r for r in self.repositories.values() if r.owner.lower() == org.lower()]
        return sorted(found, key=lambda r: r.id)

    def add_environment(self, owner: str, repo: str, environment: str) -> DeployEnvironment:
        """Create a deployment environment (and its repository) or touch an existing one."""
        self.add_repository(owner, repo)
        found = self.repositories[(owner.lower(), repo.lower())]
        now = self.clock.now()
        existing = found.environments.get(environment.lower())
        if existing is not None:
            existing.updated_at = now
            return existing
        created = DeployEnvironment(next(self._environment_ids), environment, now, now)
        found.environments[environment.lower()] = created
        return created

    def environment(self, owner: str, repo: str, environment: str) -> DeployEnvironment:
        found = self.repository(owner, repo).environments.get(environment.lower())
        if found is None:
            raise GitHubError(
                404, "Not Found", "https://docs.github.com/rest/deployments/environments"
            )
        return found

    def delete_environment(self, owner: str, repo: str, environment: str) -> None:
        """Remove an environment and, as GitHub does, the secrets it held."""
        found = self.repository(owner, repo)
        env = self.environment(owner, repo, environment)
        del found.environments[env.name.lower()]
        self.scopes.pop(f"repos/{found.full_name}/environments/{env.name}".lower(), None)

    def repository(self, owner: str, name: str) -> Repository:
        found = self.repositories.get((owner.lower(), name.lower()))
        if found is None:
            raise GitHubError(
                404, "Not Found", "https://docs.github.com/rest/repos/repos#get-a-repository"
            )
        return found

    def repository_by_id(self, repo_id: int) -> Repository | None:
        return next((r for r in self.repositories.values() if r.id == repo_id), None)

    def org_repository_ids(self, org: str, ids: object) -> set[int]:
        """Validated ``selected_repository_ids``: integers naming repositories of ``org``."""
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            raise GitHubError(422, "Invalid request. selected_repository_ids must be integers.")
        for repo_id in ids:
            repo = self.repository_by_id(repo_id)
            if repo is None or repo.owner.lower() != org.lower():
                raise GitHubError(422, f"Repository {repo_id} is not in organization {org}.")
        return set(ids)

    # -- scopes ------------------------------------------------------------------------
    def org_scope(self, org: str) -> SecretScope:
        return self._scope("org", f"orgs/{org}", org)

    def repo_scope(self, owner: str, repo: str) -> SecretScope:
        found = self.repository(owner, repo)
        return self._scope("repo", f"repos/{found.full_name}", found.owner)

    def env_scope(self, owner: str, repo: str, environment: str) -> SecretScope:
        found = self.repository(owner, repo)
        env = self.environment(owner, repo, environment).name
        return self._scope("env", f"repos/{found.full_name}/environments/{env}", found.owner)

    def scope_at(self, path: str) -> SecretScope:
        """A scope from ``orgs/O``, ``repos/O/R`` or ``repos/O/R/environments/E``."""
        parts = _scope_parts(path)
        if len(parts) == 2:
            return self.org_scope(parts[1])
        if len(parts) == 3:
            return self.repo_scope(parts[1], parts[2])
        return self.env_scope(parts[1], parts[2], parts[4])

    def seed(
        self,
        scope_path: str,
        name: str,
        value: str,
        *,
        updated_at: datetime | None,
        visibility: str,
        repositories: tuple[str, ...],
    ) -> None:
        """A secret stored as if PUT, checked first so a refusal leaves nothing behind;
        the repository and environment of the scope are created when missing."""
        parts = _scope_parts(scope_path)
        try:
            stored_name = check_secret_name(name)
        except GitHubError as exc:
            raise ValueError(f"secret {name!r}: {exc.message}") from None
        if len(value.encode("utf-8")) > MAX_VALUE_BYTES:
            raise ValueError(f"secret {stored_name}: the value is larger than 48 KB")
        if visibility not in VISIBILITIES:
            raise ValueError(f"secret {stored_name}: visibility must be all, private or selected")
        if updated_at is not None and updated_at.tzinfo is None:
            raise ValueError(f"secret {stored_name}: updated_at needs a timezone")
        if len(parts) >= 3:
            self.add_repository(parts[1], parts[2])
        if len(parts) == 5:
            self.add_environment(parts[1], parts[2], parts[4])
        scope = self.scope_at(scope_path)
        try:
            scope.check_room(stored_name)
        except GitHubError as exc:
            raise ValueError(f"secret {stored_name}: {exc.message}") from None
        owners = [r.split("/", 1) if "/" in r else (scope.org, r) for r in repositories]
        ids = {self.add_repository(owner, repo) for owner, repo in owners}
        self.put(
            scope,
            stored_name,
            value,
            visibility=visibility,
            repository_ids=ids,
            updated_at=updated_at,
        )

    def rotate_key(self, scope: SecretScope) -> str:
        """A new key pair for the scope; the old ``key_id`` is stale from now on."""
        scope.key = PrivateKey.generate()
        scope.key_id = self._new_key_id()
        return scope.key_id

    def _scope(self, kind: str, path: str, org: str) -> SecretScope:
        found = self.scopes.get(path.lower())
        if found is None:
            found = SecretScope(kind, path, org, PrivateKey.generate(), self._new_key_id())
            self.scopes[path.lower()] = found
        return found

    def _new_key_id(self) -> str:
        return str(self._rng.randrange(10**17, 10**18))

    # -- secrets -----------------------------------------------------------------------
    def put(
        self,
        scope: SecretScope,
        name: str,
        value: str,
        *,
        visibility: str | None = None,
        repository_ids: set[int] | None = None,
        updated_at: datetime | None = None,
    ) -> bool:
        """Create or update; True when created. ``created_at`` stays on update."""
        scope.check_room(name)
        now = updated_at or self.clock.now()
        existing = scope.secrets.get(name)
        if existing is None:
            scope.secrets[name] = StoredSecret(name, value, now, now)
        else:
            existing.value, existing.updated_at = value, now
        stored = scope.secrets[name]
        if scope.kind == "org":
            stored.visibility = visibility or stored.visibility or "private"
            if stored.visibility != "selected":
                stored.repository_ids = set()
            elif repository_ids is not None:
                stored.repository_ids = set(repository_ids)
        return existing is None

    def secret(self, scope: SecretScope, raw_name: str) -> StoredSecret:
        found = scope.secrets.get(raw_name.upper())
        if found is None:
            raise GitHubError(404, "Not Found")
        return found

    def state(self) -> dict[str, object]:
        """Everything held, values in plain text: for ``/_emulator/state`` only."""
        secrets = []
        for scope in sorted(self.scopes.values(), key=lambda s: s.path.lower()):
            for stored in sorted(scope.secrets.values(), key=lambda s: s.name):
                entry: dict[str, object] = {
                    "scope": scope.path,
                    "name": stored.name,
                    "value": stored.value,
                    "created_at": isoformat_z(stored.created_at),
                    "updated_at": isoformat_z(stored.updated_at),
                }
                if scope.kind == "org":
                    entry["visibility"] = stored.visibility
                    entry["selected_repositories"] = sorted(
                        repo.full_name
                        for repo_id in stored.repository_ids
                        if (repo := self.repository_by_id(repo_id)) is not None
                    )
                    entry["selected_repository_ids"] = sorted(stored.repository_ids)
                secrets.append(entry)
        repositories = [
            {
                "id": repo.id,
                "full_name": repo.full_name,
                "visibility": repo.visibility,
                "environments": sorted(env.name for env in repo.environments.values()),
            }
            for repo in sorted(self.repositories.values(), key=lambda r: r.id)
        ]
        keys = {scope.path: scope.key_id for scope in self.scopes.values()}
        return {"repositories": repositories, "secrets": secrets, "public_keys": keys}
