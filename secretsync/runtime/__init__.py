"""Runtime settings: typed, validated secrets instead of ``os.getenv``.

``from secretsync import settings`` then ``settings.openai_api_key`` builds the settings on
first attribute access, once per process (thread-safe), with :func:`load_settings`' defaults:
the map found like the CLI finds it, the deploy environment from ``SECRETSYNC_ENVIRONMENT``
(else ``ENVIRONMENT`` when the map knows it; else every secret of the map), the default
sources. Call :func:`load_settings` to choose map, environment and sources yourself, or
use a class made by ``secretsync codegen settings`` (no map read at run time: the fast
start, and no map in the image): instantiate it, or name it in
``SECRETSYNC_SETTINGS_CLASS=package.module:Class`` for ``from secretsync import settings``.

Decisions, in one place:

* Fields: one per secret of the environment; without one, every secret, required only
  when required in every environment.
* Names: a field reads the map's ``env_var``, then the GitHub secret name (what a workflow
  author writes in ``env:``) unless another secret's ``env_var`` is that name.
* Types: ``secret``, ``pem`` and ``url`` are ``SecretStr`` (webhook URLs and DSNs carry
  credentials), checked as PEM armour or an absolute URL; ``string`` is ``str``, ``int``,
  ``bool``, ``json`` parsed. Placeholders and unresolved references are refused (for
  ``string`` only the unambiguous ones: ``production`` is a fine region-like word).
* An empty variable is an error ("empty"), never a reason to fall back to a later source:
  an unset GitHub secret reaches a workflow as ``""``.
* ``repr``/``str`` show only ``<set>``/``None``; dumps mask the ``SecretStr`` types.

The import stays lean: no httpx, rich or keyring unless a source needs it.

May import: clients (only when ESC is used), map, placeholders and the root modules;
never the CLI.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secretsync.errors import ConfigError
from secretsync.runtime.esc_source import EscSettingsSource, clear_esc_cache
from secretsync.runtime.model import (
    Bool,
    Int,
    JsonData,
    Pem,
    SecretSyncSettings,
    SecretText,
    SecretUrl,
    Text,
    build_settings_class,
)
from secretsync.runtime.sources import (
    ALL_SOURCES,
    KeyringSettingsSource,
    LoadOptions,
    load_options,
)

if TYPE_CHECKING:
    import httpx

CLASS_ENV = "SECRETSYNC_SETTINGS_CLASS"

__all__ = [
    "ALL_SOURCES",
    "Bool",
    "EscSettingsSource",
    "Int",
    "JsonData",
    "KeyringSettingsSource",
    "LazySettings",
    "Pem",
    "SecretSyncSettings",
    "SecretText",
    "SecretUrl",
    "Text",
    "build_settings_class",
    "clear_esc_cache",
    "lazy_settings",
    "load_settings",
    "reset_settings",
]


def load_settings(
    map_path: str | os.PathLike[str] | None = None,
    environment: str | None = None,
    sources: Iterable[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    settings_cls: type[SecretSyncSettings] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SecretSyncSettings:
    """Build and validate settings; raises ``SettingsError`` listing every bad field.

    ``sources`` picks from ``ALL_SOURCES`` (precedence stays env, esc, keyring, dotenv);
    None applies the default policy of :mod:`secretsync.runtime.sources`.
    ``settings_cls`` (a generated class; or ``$SECRETSYNC_SETTINGS_CLASS``, as
    ``package.module:Class``) skips reading the map. ``environ`` replaces
    ``os.environ`` for every source; ``transport`` is for tests and the demo (ESC emulator).
    """
    env = os.environ if environ is None else environ
    if settings_cls is None and map_path is None and env.get(CLASS_ENV, "").strip():
        settings_cls = _import_class(env[CLASS_ENV].strip())
    environment = environment or _environment_from(env, settings_cls)
    if settings_cls is None:
        from secretsync.map.cache import load_map_cached

        where = Path(map_path) if map_path is not None else _find_map(env)
        smap = load_map_cached(where, env)
        if environment is None:
            generic = env.get("ENVIRONMENT", "").strip()
            environment = generic if generic in smap.environments else None
        settings_cls = build_settings_class(smap, environment)
    options = LoadOptions(
        environ=env,
        sources=None if sources is None else tuple(sources),
        environment=environment,
        transport=transport,
    )
    with load_options(options):
        return settings_cls()


def _import_class(spec: str) -> type[SecretSyncSettings]:
    """``package.module:Class``: a generated settings class (no map read at start-up)."""
    module_name, _, class_name = spec.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), class_name or "Settings")
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(
            f"{CLASS_ENV}={spec!r} cannot be imported ({type(exc).__name__})",
            hint="use package.module:Class, as written by `secretsync codegen settings`",
        ) from None
    if not (isinstance(found, type) and issubclass(found, SecretSyncSettings)):
        raise ConfigError(f"{CLASS_ENV}={spec!r} is not a SecretSyncSettings class")
    return found


def _environment_from(
    environ: Mapping[str, str], settings_cls: type[SecretSyncSettings] | None
) -> str | None:
    named = environ.get("SECRETSYNC_ENVIRONMENT", "").strip()
    if named:
        return named
    generic = environ.get("ENVIRONMENT", "").strip()
    if settings_cls is not None and generic in settings_cls.secretsync_esc:
        return generic
    return None


def _find_map(environ: Mapping[str, str]) -> Path:
    """The map the CLI would use (``$SECRETSYNC_MAP``, else ``config/`` upward)."""
    from secretsync.map.load import find_map  # lean: the CLI builds its consoles lazily

    try:
        return find_map(Path.cwd(), environ)
    except ConfigError as exc:
        raise ConfigError(
            exc.message, hint="set SECRETSYNC_MAP, or call load_settings(map_path=...)"
        ) from None


class LazySettings:
    """Stands in for the settings until the first attribute is read, then delegates."""

    __slots__ = ("_loaded", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: SecretSyncSettings | None = None

    def _target(self) -> SecretSyncSettings:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = load_settings()
                loaded = self._loaded
        return loaded

    def _reset(self) -> None:
        with self._lock:
            self._loaded = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._target(), name)

    def __dir__(self) -> list[str]:
        return sorted(type(self._target()).model_fields)

    def __repr__(self) -> str:
        return "<settings: not loaded yet>" if self._loaded is None else repr(self._loaded)


_LAZY = LazySettings()


def lazy_settings() -> LazySettings:
    """The process-wide settings proxy (what ``from secretsync import settings`` gives)."""
    return _LAZY


def reset_settings() -> None:
    """Drop the built settings; the next attribute access builds them again."""
    _LAZY._reset()
    clear_esc_cache()
