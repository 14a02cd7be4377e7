"""pytest fixtures for testing code that talks to GitHub or ESC, against the emulator.

Registered as a ``pytest11`` plugin, so installing secretsync makes them available:
``secretsync_emulator`` (in-process; plug ``.transport()`` into httpx),
``secretsync_emulator_server`` (real HTTP on loopback; ``.url``, ``.github_url``,
``.esc_url``, ``.emulator``), and ``secretsync_emulator_factory`` for more than one, or for
one that starts holding what a secret map names::

    def test_deploy(secretsync_emulator_factory):
        served = secretsync_emulator_factory(seed="config/secret_map.yaml", serve=True)
        # served.github_url / served.esc_url: repositories, environments and ESC
        # environments of the map exist, empty
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, cast, overload

import pytest

from secretsync.emulator.app import Emulator
from secretsync.emulator.server import ServedEmulator
from secretsync.emulator.server import serve as serve_emulator

if TYPE_CHECKING:
    from secretsync.map.model import SecretMap

__all__ = [
    "EmulatorFactory",
    "secretsync_emulator",
    "secretsync_emulator_factory",
    "secretsync_emulator_server",
]


class EmulatorFactory(Protocol):
    """``factory(seed=None, serve=False)``: a fresh emulator, served until the test ends
    when ``serve`` is true; ``seed`` is a map (path or loaded) to start from."""

    @overload
    def __call__(
        self, seed: SecretMap | Path | str | None = None, *, serve: Literal[False] = False
    ) -> Emulator: ...
    @overload
    def __call__(
        self, seed: SecretMap | Path | str | None = None, *, serve: Literal[True]
    ) -> ServedEmulator: ...


@pytest.fixture
def secretsync_emulator_factory() -> Iterator[EmulatorFactory]:
    """Make emulators (seeded from a map if asked, served if asked) for one test."""
    with ExitStack() as stack:

        def make(
            seed: SecretMap | Path | str | None = None, *, serve: bool = False
        ) -> Emulator | ServedEmulator:
            emulator = Emulator()
            if seed is not None:
                emulator.seed_map(seed)
            if serve:
                return stack.enter_context(serve_emulator(emulator))
            return emulator

        yield cast(EmulatorFactory, make)


@pytest.fixture
def secretsync_emulator() -> Emulator:
    """A fresh in-process emulator for one test."""
    return Emulator()


@pytest.fixture
def secretsync_emulator_server(secretsync_emulator: Emulator) -> Iterator[ServedEmulator]:
    """The test's ``secretsync_emulator``, served on a free loopback port."""
    with serve_emulator(secretsync_emulator) as served:
        yield served
