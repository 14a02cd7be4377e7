"""secretsync: one map keeps GitHub secrets, Pulumi ESC and your code honest.

``from secretsync import settings`` gives the runtime settings object, built on first
attribute access (see :mod:`secretsync.runtime`).
"""

from __future__ import annotations

from typing import Any

from secretsync._version import __version__

__all__ = ["__version__", "settings"]


def __getattr__(name: str) -> Any:
    # Lazy so that importing the package (the CLI, the emulator) never loads settings.
    if name == "settings":
        from secretsync.runtime import lazy_settings

        return lazy_settings()
    raise AttributeError(f"module 'secretsync' has no attribute {name!r}")
