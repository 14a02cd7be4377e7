"""Settings values from an opened Pulumi ESC environment.

Active only when a deploy environment is named (``SECRETSYNC_ENVIRONMENT``, or
``ENVIRONMENT`` when it names one the settings class knows) and a Pulumi token exists
(``PULUMI_ACCESS_TOKEN``; or ``secretsync login pulumi`` when the keyring is one of the
sources, so a deployed service that never meant to use ESC pays no keyring import).
The environment is opened at most once per time-to-live per process; its values stay in
this process's memory only (never on disk) and are matched to fields by the secret's ESC
path, else by the ``environmentVariables`` entry named like the field's variable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
import time
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from secretsync.errors import ConfigError, CredentialsError
from secretsync.runtime.fields import (
    field_aliases,
    note_esc_skipped,
    secretsync_meta,
    unfilled_fields,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["DEFAULT_TTL_SECONDS", "EscSettingsSource", "clear_esc_cache"]

DEFAULT_TTL_SECONDS = 300.0
TTL_ENV = "SECRETSYNC_ESC_TTL"
TOKEN_ENV = "PULUMI_ACCESS_TOKEN"

_cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


def clear_esc_cache() -> None:
    """Forget every opened environment (after a rotation, and between tests)."""
    with _cache_lock:
        _cache.clear()


class EscSettingsSource(PydanticBaseSettingsSource):
    """Reads the fields still missing from an opened ESC environment.

    ``ref`` (``org/project/env``) wins; else the deploy environment is looked up in the
    settings class's ``secretsync_esc`` mapping. Plug it into any ``BaseSettings`` through
    ``settings_customise_sources``.
    """

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        *,
        environ: Mapping[str, str] | None = None,
        environment: str | None = None,
        ref: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        ttl_seconds: float | None = None,
        keyring_token: bool = True,
    ) -> None:
        super().__init__(settings_cls)
        self.environ = os.environ if environ is None else environ
        self.environment = environment
        self.ref = ref
        self.transport = transport
        self.ttl_seconds = ttl_seconds
        self.keyring_token = keyring_token

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        # Unused: __call__ reads only the fields still missing, in one pass.
        return None, field_name, False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(ref={self.target()!r})"

    def target(self) -> str | None:
        """``org/project/env`` to open, or None when no deploy environment is named."""
        if self.ref:
            return self.ref
        known: Mapping[str, str] = getattr(self.settings_cls, "secretsync_esc", {})
        name = self.environment or self.environ.get("SECRETSYNC_ENVIRONMENT", "").strip()
        if name:
            if name not in known:
                raise ConfigError(
                    f"deploy environment {name!r} has no ESC environment in the settings",
                    hint=f"known: {', '.join(known) or 'none'}",
                )
            return known[name]
        generic = self.environ.get("ENVIRONMENT", "").strip()
        # ENVIRONMENT often means something else locally ("development"): only a known name.
        return known.get(generic)

    def __call__(self) -> dict[str, Any]:
        missing = unfilled_fields(self)
        if not missing:
            return {}
        ref = self.target()
        if ref is None:
            known = ", ".join(getattr(self.settings_cls, "secretsync_esc", {})) or "none"
            note_esc_skipped(f"SECRETSYNC_ENVIRONMENT is not set (the map's: {known})")
            return {}
        values = self._values(ref)
        if values is None:
            login = " or `secretsync login pulumi`" if self.keyring_token else ""
            note_esc_skipped(f"no Pulumi token ({TOKEN_ENV}{login})")
            return {}
        exported = values.get("environmentVariables")
        exported = exported if isinstance(exported, dict) else {}
        found: dict[str, Any] = {}
        for name, info in missing:
            aliases = field_aliases(info, name)
            path = secretsync_meta(info).get("esc_path")
            value = _lookup(values, str(path)) if path else None
            if value is None:
                value = next((exported[a] for a in aliases if a in exported), None)
            if value is not None:
                found[aliases[0]] = value
        return found

    def _values(self, ref: str) -> dict[str, Any] | None:
        if not self.environ.get(TOKEN_ENV, "").strip() and not self.keyring_token:
            return None
        from secretsync.clients import credentials  # imports keyring: only once ESC may be used

        try:
            credentials.pulumi_token(self.environ)
        except CredentialsError:
            return None  # no token: ESC is not one of this process's sources
        base_url = credentials.esc_api_url(self.environ)
        key, ttl = (base_url, ref), self._ttl()
        with _cache_lock:
            cached = _cache.get(key)
            if cached is not None and time.monotonic() - cached[0] < ttl:
                return cached[1]
            values: dict[str, Any] = _run(self._open(ref))
            _cache[key] = (time.monotonic(), values)  # opened at, values
            return values

    def _ttl(self) -> float:
        if self.ttl_seconds is not None:
            return self.ttl_seconds
        raw = self.environ.get(TTL_ENV, "").strip()
        try:
            return float(raw) if raw else DEFAULT_TTL_SECONDS
        except ValueError:
            raise ConfigError(f"{TTL_ENV} is not a number of seconds") from None

    async def _open(self, ref: str) -> dict[str, Any]:
        from secretsync.clients import esc_from_env

        parts = ref.split("/")
        if len(parts) != 3 or not all(parts):
            raise ConfigError(f"ESC environment {ref!r} is not org/project/name")
        async with esc_from_env(self.environ, transport=self.transport) as esc:
            return dict(await esc.open_and_read(*parts))


def _lookup(values: Mapping[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _run(coro: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """Run a coroutine to completion, also from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
