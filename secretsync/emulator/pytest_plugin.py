"""pytest fixtures for testing code that talks to GitHub or ESC, against the emulator.

Registered as a ``pytest11`` plugin, so installing secretsync makes them available:
``secretsync_emulator`` (in-process; plug ``.transport()`` into httpx) and
``secretsync_emulator_server`` (real HTTP on loopback; ``.url``, ``.github_url``,
``.esc_url``, ``.emulator``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from secretsync.emulator.app import Emulator
from secretsync.emulator.server import ServedEmulator, serve

__all__ = ["secretsync_emulator", "secretsync_emulator_server"]


@pytest.fixture
def secretsync_emulator() -> Emulator:
    """A fresh in-process emulator for one test."""
    return Emulator()


@pytest.fixture
def secretsync_emulator_server(secretsync_emulator: Emulator) -> Iterator[ServedEmulator]:
    """The test's ``secretsync_emulator``, served on a free loopback port."""
    with serve(secretsync_emulator) as served:
        yield served
