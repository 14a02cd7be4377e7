"""What a settings field knows about itself: the names it is read from and its map facts.

The bottom of ``runtime``: the model, every source and the ESC source read fields through
these helpers, so none of them needs another.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

__all__ = [
    "ESC_SKIPPED",
    "declared_aliases",
    "field_aliases",
    "note_esc_skipped",
    "secretsync_meta",
    "unfilled_fields",
]


def declared_aliases(info: FieldInfo) -> list[str]:
    """The variable names a field declares (its validation alias or alias), in order."""
    alias = info.validation_alias
    if isinstance(alias, str):
        return [alias]
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    return [info.alias] if info.alias else []


def field_aliases(info: FieldInfo, name: str) -> list[str]:
    """Variable names a field is read from, preferred first (the field name as last resort)."""
    return declared_aliases(info) or [name]


def secretsync_meta(info: FieldInfo) -> Mapping[str, Any]:
    """The map facts a field carries (secret name, ESC path) for the ESC and keyring sources."""
    extra = info.json_schema_extra
    meta = extra.get("secretsync") if isinstance(extra, dict) else None
    return meta if isinstance(meta, dict) else {}


def unfilled_fields(source: PydanticBaseSettingsSource) -> list[tuple[str, FieldInfo]]:
    """Fields that no earlier source of the chain gave a value."""
    state = source.current_state
    return [
        (name, info)
        for name, info in source.settings_cls.model_fields.items()
        if name not in state and not any(a in state for a in field_aliases(info, name))
    ]


# Why the ESC source read nothing during the current load (no deploy environment named, no
# token): a missing field's error must say so, or a newcomer hunts for a value that was
# never looked for. A context variable: two threads may load settings at once.
ESC_SKIPPED: ContextVar[str | None] = ContextVar("secretsync_esc_skipped", default=None)


def note_esc_skipped(reason: str) -> None:
    """Record, for the load in progress, why ESC was not read (``reason`` names no value)."""
    ESC_SKIPPED.set(reason)
