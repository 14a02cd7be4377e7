"""Where settings values come from, in precedence order, and the chain that orders them.

First wins: init arguments, the process environment (what ``esc run`` and GitHub Actions
inject), an opened ESC environment, the OS keyring, ``.env``. The ESC and keyring sources
only look for fields that no earlier source filled, so a service whose environment is
complete never opens a connection nor imports httpx or keyring.

The keyring is for local development: by default it is skipped in CI (``CI`` or
``GITHUB_ACTIONS`` set) and when a deploy environment is named, where a missing optional
field would otherwise cost a keyring import and a D-Bus round trip at every start.
``SECRETSYNC_SETTINGS_SOURCES=env,esc`` (or ``sources=``) chooses the sources exactly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource

from secretsync.errors import ConfigError
from secretsync.runtime.fields import field_aliases, secretsync_meta, unfilled_fields

if TYPE_CHECKING:
    import httpx

__all__ = [
    "ALL_SOURCES",
    "EnvironSource",
    "KeyringSettingsSource",
    "LoadOptions",
    "check_sources",
    "chosen_sources",
    "default_chain",
    "load_options",
    "unfilled_fields",
]

ALL_SOURCES: tuple[str, ...] = ("env", "esc", "keyring", "dotenv")
SOURCES_ENV = "SECRETSYNC_SETTINGS_SOURCES"
KEYRING_SERVICE = "secretsync-settings"


@dataclass(frozen=True)
class LoadOptions:
    """What ``load_settings`` asked for; read by the chain when pydantic builds the sources."""

    environ: Mapping[str, str] | None = field(default=None, repr=False)  # holds tokens
    sources: tuple[str, ...] | None = None  # None: the default policy (module docstring)
    environment: str | None = None
    transport: httpx.AsyncBaseTransport | None = None


# A context variable, not class state: two threads may load different settings at once.
_OPTIONS: ContextVar[LoadOptions | None] = ContextVar("secretsync_settings", default=None)


def check_sources(names: Iterable[str]) -> tuple[str, ...]:
    """Source names, checked; ``ConfigError`` for an unknown one."""
    chosen = tuple(name.strip() for name in names if name.strip())
    unknown = [name for name in chosen if name not in ALL_SOURCES]
    if unknown:
        raise ConfigError(
            f"unknown settings source {unknown[0]!r}", hint=f"use {', '.join(ALL_SOURCES)}"
        )
    return chosen


def chosen_sources(options: LoadOptions, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The sources of one load: explicit ones, else ``$SECRETSYNC_SETTINGS_SOURCES``, else
    every source with the keyring left out in CI and for a named deploy environment."""
    if options.sources is not None:
        return check_sources(options.sources)
    if environ.get(SOURCES_ENV, "").strip():
        return check_sources(environ[SOURCES_ENV].split(","))
    deployed = options.environment or environ.get("CI") or environ.get("GITHUB_ACTIONS")
    return tuple(s for s in ALL_SOURCES if not (deployed and s == "keyring"))


@contextmanager
def load_options(options: LoadOptions) -> Iterator[None]:
    if options.sources is not None:
        check_sources(options.sources)
    token = _OPTIONS.set(options)
    try:
        yield
    finally:
        _OPTIONS.reset(token)


def default_chain(
    settings_cls: type[BaseSettings],
    init_settings: PydanticBaseSettingsSource,
    dotenv_settings: PydanticBaseSettingsSource,
) -> tuple[PydanticBaseSettingsSource, ...]:
    """The sources of the current load, in precedence order."""
    options = _OPTIONS.get() or LoadOptions()
    environ = os.environ if options.environ is None else options.environ
    chain: list[PydanticBaseSettingsSource] = [init_settings]
    chosen = chosen_sources(options, environ)
    for name in ALL_SOURCES:
        if name not in chosen:
            continue
        if name == "env":
            chain.append(EnvironSource(settings_cls, environ))
        elif name == "esc":
            from secretsync.runtime.esc_source import EscSettingsSource

            chain.append(
                EscSettingsSource(
                    settings_cls,
                    environ=environ,
                    environment=options.environment,
                    transport=options.transport,
                    keyring_token="keyring" in chosen,
                )
            )
        elif name == "keyring":
            chain.append(KeyringSettingsSource(settings_cls))
        else:
            chain.append(dotenv_settings)
    return tuple(chain)


class EnvironSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        sensitive = bool(self.case_sensitive)
        return {
            (key if sensitive else key.lower()): value
            for key, value in self._environ.items()
            if not (self.env_ignore_empty and value == "")
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(case_sensitive={self.case_sensitive})"


class KeyringSettingsSource(PydanticBaseSettingsSource):
    """Values from the OS keyring, for local development.

    Service ``secretsync-settings`` (or the class's ``secretsync_keyring_service``), username
    the GitHub secret name: ``keyring set secretsync-settings OPENAI_API_KEY``. A machine
    without a usable keyring simply contributes nothing.
    """

    def __init__(self, settings_cls: type[BaseSettings], service: str | None = None) -> None:
        super().__init__(settings_cls)
        self.service: str = service or str(
            getattr(settings_cls, "secretsync_keyring_service", KEYRING_SERVICE)
        )

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        # Unused: __call__ reads only the fields still missing, in one pass.
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        missing = unfilled_fields(self)
        if not missing:
            return {}
        import keyring
        import keyring.errors

        found: dict[str, Any] = {}
        for name, info in missing:
            aliases = field_aliases(info, name)
            username = str(secretsync_meta(info).get("secret") or aliases[0])
            try:
                value = keyring.get_password(self.service, username)
            except keyring.errors.NoKeyringError:
                return found
            except keyring.errors.KeyringError:
                continue
            if value is not None:
                found[aliases[0]] = value
        return found

    def __repr__(self) -> str:
        return f"{type(self).__name__}(service={self.service!r})"
