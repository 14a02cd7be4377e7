"""Guards every test keeps: no network beyond loopback, no real keyring, no real home."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from hypothesis import settings
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

_LOOPBACK_PREFIXES = ("127.", "::1", "localhost")

# CI runs every property test on the same examples (a red build must be reproducible);
# a developer's run explores new ones each time.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring so no test reads or writes the developer's real one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise PasswordDeleteError(f"{service}/{username} not set")
        del self.store[(service, username)]


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family == socket.AF_UNIX or str(host).startswith(_LOOPBACK_PREFIXES):
            return real_connect(self, address)
        raise RuntimeError(f"test tried to reach the network: {host!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _clean_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never see the developer's tokens, map or home folder."""
    for name in (
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "PULUMI_ACCESS_TOKEN",
        "SECRETSYNC_MAP",
        "SECRETSYNC_SECRETS_JSON",
        "SECRETSYNC_GITHUB_API_URL",
        "SECRETSYNC_ESC_API_URL",
        "SECRETSYNC_PROVIDERS_URL",
        "SECRETSYNC_ENVIRONMENT",
        "ENVIRONMENT",
        "GITHUB_ACTIONS",
        "NO_COLOR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in the test's own folder: no `.env` or map of the checkout leaks in.

    Modules whose every test needs it say ``pytestmark = pytest.mark.usefixtures(...)``.
    """
    monkeypatch.chdir(tmp_path)
    return tmp_path
