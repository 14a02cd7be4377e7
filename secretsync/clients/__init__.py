"""HTTP clients for GitHub Actions secrets and Pulumi ESC, and how to build them from env.

The clients own everything the services' limits demand (rate limits, write pacing,
retries, ETags), so callers just ``await`` operations and handle ``secretsync.errors``.

May import: the root modules only (errors, masking, timestamps, the version).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from secretsync.clients import credentials
from secretsync.clients.esc import Definition, Diagnostic, EnvironmentRef, EscClient, Revision
from secretsync.clients.github import (
    GitHubClient,
    PublicKey,
    RepositoryRef,
    Scope,
    SecretMeta,
    scope_of,
)
from secretsync.clients.http import USER_AGENT, RetryPolicy, WritePacer

__all__ = [
    "USER_AGENT",
    "Definition",
    "Diagnostic",
    "EnvironmentRef",
    "EscClient",
    "GitHubClient",
    "PublicKey",
    "RepositoryRef",
    "RetryPolicy",
    "Revision",
    "Scope",
    "SecretMeta",
    "WritePacer",
    "esc_from_env",
    "github_from_env",
    "scope_of",
]


def github_from_env(
    environ: Mapping[str, str], transport: httpx.AsyncBaseTransport | None = None, **kw: Any
) -> GitHubClient:
    """A GitHub client from ``GH_TOKEN``/``GITHUB_TOKEN``/keyring and the endpoint variable."""
    kw.setdefault("policy", RetryPolicy.from_environ(environ))
    return GitHubClient(
        token=credentials.github_token(environ),
        base_url=credentials.github_api_url(environ),
        transport=transport,
        **kw,
    )


def esc_from_env(
    environ: Mapping[str, str], transport: httpx.AsyncBaseTransport | None = None, **kw: Any
) -> EscClient:
    """An ESC client from ``PULUMI_ACCESS_TOKEN``/keyring and the endpoint variable."""
    kw.setdefault("policy", RetryPolicy.from_environ(environ))
    return EscClient(
        token=credentials.pulumi_token(environ),
        base_url=credentials.esc_api_url(environ),
        transport=transport,
        **kw,
    )
