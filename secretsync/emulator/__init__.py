"""A faithful local GitHub Actions secrets + Pulumi ESC API, for tests and ``demo``.

    emu = Emulator()
    httpx.AsyncClient(transport=emu.transport(), base_url="https://api.github.com")
    with emu.serve() as served:            # real HTTP on 127.0.0.1, a free port
        served.url, served.github_url, served.esc_url

GitHub answers at the base URL, ESC under ``/api/esc``; ``/_emulator/...`` are the test
controls (see :mod:`secretsync.emulator.controls`), faults are described in
:mod:`secretsync.emulator.faults`.

May import: nothing of secretsync outside this package (the standard library, httpx for
the transport, PyNaCl for sealed boxes, graphql-core for GitHub's GraphQL), except
``secretsync.map`` in ``seed.py``: starting from what a map names.
"""

from __future__ import annotations

from secretsync.emulator._http import Clock, Delivery, EmuRequest, EmuResponse
from secretsync.emulator.app import ESC_PREFIX, Emulator
from secretsync.emulator.faults import Faults, FaultsError
from secretsync.emulator.server import EmulatorServer, ServedEmulator, serve
from secretsync.emulator.transport import EmulatorTransport

__all__ = [
    "ESC_PREFIX",
    "Clock",
    "Delivery",
    "EmuRequest",
    "EmuResponse",
    "Emulator",
    "EmulatorServer",
    "EmulatorTransport",
    "Faults",
    "FaultsError",
    "ServedEmulator",
    "serve",
]
