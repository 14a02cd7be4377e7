"""Shared material for the audit tests: a map, realistic values, ESC definitions."""

from __future__ import annotations

import random
import string
from collections.abc import Mapping
from datetime import datetime, timezone

from secretsync.emulator import Emulator
from secretsync.sync.definition import EscDefinition, ManagedEntry

MAP_TEXT = """\
version: 1
github:
  org: ai-cherry
esc:
  org: scoobyjava-org
  project: default
environments:
  production: {esc_env: sophia-ai-production}
  staging: {esc_env: sophia-ai-staging}
categories:
  ai: sophia.ai
  infrastructure: sophia.infrastructure
defaults:
  max_age_days: 90
secrets:
  OPENAI_API_KEY:
    category: ai
    format: openai
    description: Chat completions
  ANTHROPIC_API_KEY:
    category: ai
    environments: [production]
  DATABASE_URL:
    category: infrastructure
    type: url
    max_age_days: 180
    github:
      scope: repo:sophia-main
  OPTIONAL_TOKEN:
    category: infrastructure
    required: false
"""

ORG = "ai-cherry"
ORG_KEY = "org/ai-cherry"
REPO_KEY = "repo/ai-cherry/sophia-main"
PROD_REF = "scoobyjava-org/default/sophia-ai-production"
STAGING_REF = "scoobyjava-org/default/sophia-ai-staging"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
SYNCED = "2026-11-20T10:00:00Z"
GH_UPDATED = datetime(2026, 11, 19, 8, 0, tzinfo=timezone.utc)

_RNG = random.Random(20261122)


def random_text(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    """Deterministic, high-entropy text: looks like a real credential to the classifier."""
    return "".join(_RNG.choice(alphabet) for _ in range(length))


def real_values() -> dict[str, str]:
    """A value per mapped secret that passes every value rule."""
    return {
        "OPENAI_API_KEY": "sk-proj-" + random_text(56),
        "ANTHROPIC_API_KEY": "k" + random_text(40),
        "DATABASE_URL": f"postgres://app:{random_text(24)}@db.internal:5432/sophia",
        "OPTIONAL_TOKEN": random_text(32),
    }


PATHS = {
    "OPENAI_API_KEY": "sophia.ai.openai_api_key",
    "ANTHROPIC_API_KEY": "sophia.ai.anthropic_api_key",
    "DATABASE_URL": "sophia.infrastructure.database_url",
    "OPTIONAL_TOKEN": "sophia.infrastructure.optional_token",
}
PRODUCTION = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DATABASE_URL", "OPTIONAL_TOKEN")
STAGING = ("OPENAI_API_KEY", "DATABASE_URL", "OPTIONAL_TOKEN")


def definition_text(
    values: Mapping[str, str],
    *,
    synced_at: str | None = SYNCED,
    github_updated_at: str | None = "2026-11-19T08:00:00Z",
    extra_managed: Mapping[str, str] | None = None,
    extra_values: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """What sync leaves in an environment: values, env vars and bookkeeping, as YAML.

    ``extra_values``: esc path -> (secret name, value) for secrets outside ``PATHS``.
    """
    definition = EscDefinition.parse("imports: []\nvalues:\n  other: kept\n")
    entries = [(PATHS[name], name, value) for name, value in values.items()]
    entries += [(path, name, value) for path, (name, value) in (extra_values or {}).items()]
    for path, name, value in entries:
        definition.set_secret(path, value)
        definition.set_env_var(name, path)
        definition.set_managed(path, ManagedEntry(name, name, synced_at, github_updated_at))
    for path, name in (extra_managed or {}).items():
        definition.set_managed(path, ManagedEntry(name, name, synced_at, github_updated_at))
    return definition.dump()


def definition(values: Mapping[str, str], **kw: object) -> EscDefinition:
    return EscDefinition.parse(definition_text(values, **kw))  # type: ignore[arg-type]


SEEDED_AT = "2026-11-19T08:00:00Z"


def seed_clean(emu: Emulator, values: Mapping[str, str] | None = None) -> dict[str, str]:
    """GitHub holds every mapped secret; both ESC environments were synced after it."""
    values = dict(values or real_values())
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPTIONAL_TOKEN"):
        emu.seed_github_secret("orgs/ai-cherry", name, values[name], updated_at=SEEDED_AT)
    emu.seed_github_secret(
        "repos/ai-cherry/sophia-main", "DATABASE_URL", values["DATABASE_URL"], updated_at=SEEDED_AT
    )
    seed_esc(emu, "sophia-ai-production", {n: values[n] for n in PRODUCTION})
    seed_esc(emu, "sophia-ai-staging", {n: values[n] for n in STAGING})
    emu.clock.set(NOW)
    return values


def seed_esc(emu: Emulator, name: str, values: Mapping[str, str], **kw: object) -> None:
    text = definition_text(values, github_updated_at=SEEDED_AT, **kw)  # type: ignore[arg-type]
    emu.seed_esc_environment("scoobyjava-org", "default", name, text)
