"""Shared by the sync, plan and push tests: the map they sync, values, emulator seeding."""

from __future__ import annotations

import base64
import io
import json
import random
from collections.abc import Mapping
from typing import Any

from map_support import ACME_HEAD

from secretsync.emulator import Emulator
from secretsync.sync.definition import ManagedEntry
from secretsync.sync.sources import SourceValues, load_source

__all__ = ["SYNC_MAP", "json_source", "pem", "seed_app_environments"]

# Three secrets in one category: a plain one, one exported under another variable name,
# and one GitHub keeps at repository scope.
SYNC_MAP = (
    ACME_HEAD
    + """\
categories:
  ai: app.ai
secrets:
  OPENAI_API_KEY: {category: ai}
  DB_PASSWORD: {category: ai, env_var: DATABASE_PASSWORD}
  DEPLOY_KEY: {category: ai, github: {scope: "repo:web"}}
"""
)
_APP_ENVIRONMENTS = ("app-production", "app-staging")  # the ESC side of ACME_HEAD


def pem(seed: int) -> str:
    """A private key shaped like a real one: random key material, 64-column lines."""
    body = base64.b64encode(random.Random(seed).randbytes(900)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        + "\n".join(lines)
        + ("\n-----END OPENSSH PRIVATE KEY-----\n")
    )


def seed_app_environments(emu: Emulator, definition: str) -> None:
    """Both ESC environments of ACME_HEAD exist in acme-esc/default, holding ``definition``."""
    for name in _APP_ENVIRONMENTS:
        emu.seed_esc_environment("acme-esc", "default", name, definition)


def json_source(values: Mapping[str, str]) -> SourceValues:
    """``values`` as the ``json:-`` source reads them (what a workflow's toJSON(secrets) gives)."""
    return load_source("json:-", {}, io.StringIO(json.dumps(values)))


def records_without_times(document: Any) -> Any:
    """``document`` (a loaded definition) with each bookkeeping record cut to (secret,
    env var): the times differ between two correct runs. Both record forms are read."""
    values = document.get("values") or {}
    records = (values.get("secretsync") or {}).get("managed") or {}
    for path, record in records.items():
        if isinstance(record, str):
            entry = ManagedEntry.from_line(record)
            records[path] = (entry.secret, entry.env_var) if entry else record
        elif isinstance(record, dict):
            records[path] = (record.get("secret"), record.get("env_var"))
    return document
