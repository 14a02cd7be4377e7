"""The secret map: which GitHub secrets go to which ESC paths in which environments.

This module holds the resolved map that the rest of secretsync reads, with every derived
value (ESC path, env var, settings field, environments, max age) already computed.
Reading and validating a file is :mod:`secretsync.map.load`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from secretsync.errors import ConfigError

__all__ = [
    "RESERVED_ESC_ROOTS",
    "SENSITIVE_TYPES",
    "Environment",
    "GithubTarget",
    "Secret",
    "SecretMap",
    "SecretType",
]

SecretType = Literal["secret", "string", "url", "int", "bool", "json", "pem"]
# url too: webhook URLs and DSNs carry their credential inside.
SENSITIVE_TYPES: frozenset[str] = frozenset({"secret", "pem", "url"})
# ESC gives `environmentVariables`, `files` and `pulumiConfig` meaning; `secretsync` holds
# sync's bookkeeping. A mapped path under any of them would be misread or overwritten.
RESERVED_ESC_ROOTS: frozenset[str] = frozenset(
    {"environmentVariables", "files", "pulumiConfig", "secretsync"}
)

# ------------------------------------------------------------------------- the resolved map


@dataclass(frozen=True)
class GithubTarget:
    """Where a secret lives in GitHub: ``org``, ``repo`` (``repo``) or ``env`` (``repo``,
    ``environment``); ``visibility``/``repositories`` apply at org scope only."""

    scope: Literal["org", "repo", "env"]
    repo: str | None = None
    environment: str | None = None
    visibility: Literal["all", "private", "selected"] = "private"
    repositories: tuple[str, ...] = ()

    def describe(self, org: str) -> str:
        """The checklist's short label, org visibility included. Requests and their errors
        name the scope as ``str(secretsync.clients.scope_of(target, org))`` instead; this
        module stays free of the HTTP clients."""
        if self.scope == "org":
            extra = f", {self.visibility}" if self.visibility != "private" else ""
            return f"org {org}{extra}"
        if self.scope == "repo":
            return f"repo {org}/{self.repo}"
        return f"environment {org}/{self.repo}:{self.environment}"


@dataclass(frozen=True)
class Secret:
    """One mapped secret with every derived value resolved."""

    name: str
    category: str | None
    type: str
    format: str | None
    description: str
    owner: str | None
    environments: tuple[str, ...]
    required: bool
    max_age_days: int
    env_var: str
    field: str
    esc_path: str
    github: GithubTarget
    line: int

    @property
    def is_sensitive(self) -> bool:
        """``secret``, ``pem`` and ``url`` values are credentials: never shown, and scrubbed."""
        return self.type in SENSITIVE_TYPES


@dataclass(frozen=True)
class Environment:
    name: str
    esc_env: str
    line: int


@dataclass(frozen=True)
class SecretMap:
    path: Path
    github_org: str
    esc_org: str
    esc_project: str
    environments: dict[str, Environment]
    categories: dict[str, str]
    default_max_age_days: int
    secrets: dict[str, Secret]
    # ``sync.repositories``: where the sync workflows run (one, or one per shard). Empty
    # when the map does not say; then nothing can tell which workflow sees what.
    sync_repositories: tuple[str, ...] = ()

    def secrets_for(self, environment: str) -> list[Secret]:
        """The secrets mapped into one deploy environment, in map order."""
        if environment not in self.environments:
            raise ConfigError(
                f"unknown environment {environment!r}",
                hint=f"the map has: {', '.join(self.environments)}",
            )
        return [s for s in self.secrets.values() if environment in s.environments]

    def esc_ref(self, environment: str) -> str:
        """``org/project/env`` of the ESC environment behind a deploy environment."""
        return f"{self.esc_org}/{self.esc_project}/{self.environments[environment].esc_env}"

    def org_secrets(self) -> list[Secret]:
        """Mapped organization secrets, in map order: what sync workflows read from
        ``toJSON(secrets)`` under GitHub's first-100 rule."""
        return [s for s in self.secrets.values() if s.github.scope == "org"]

    @cached_property
    def by_env_var(self) -> dict[str, Secret]:
        return {s.env_var: s for s in self.secrets.values()}

    @cached_property
    def by_field(self) -> dict[str, Secret]:
        return {s.field: s for s in self.secrets.values()}


# -------------------------------------------------------------------------------- loading
