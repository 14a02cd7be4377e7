"""Finding and loading a map: the one way a path or text becomes a :class:`SecretMap`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from secretsync.errors import ConfigError
from secretsync.map.model import SecretMap
from secretsync.map.validation import check_map

__all__ = ["DEFAULT_MAP", "MAP_ENV_VAR", "find_map", "load_map", "parse_map"]

MAP_ENV_VAR = "SECRETSYNC_MAP"
DEFAULT_MAP = Path("config") / "secret_map.yaml"


def find_map(start: Path, environ: Mapping[str, str]) -> Path:
    """``$SECRETSYNC_MAP``, else ``config/secret_map.yaml`` in ``start`` or a parent."""
    if environ.get(MAP_ENV_VAR):
        return Path(environ[MAP_ENV_VAR])
    for folder in (start, *start.parents):
        candidate = folder / DEFAULT_MAP
        if candidate.is_file():
            # Relative, so messages and report locations read like the repository.
            return Path(os.path.relpath(candidate, start))
    raise ConfigError(
        f"no {DEFAULT_MAP.as_posix()} in {start} or any folder above it",
        hint=f"pass --map PATH or set {MAP_ENV_VAR}",
    )


def load_map(path: Path | str, *, display: Path | str | None = None) -> SecretMap:
    """Read and validate a map file; raises ``MapError`` listing every problem.

    ``display`` is the path that messages and reports show (and ``SecretMap.path``), when
    it differs from where the file is read (a path relative to another folder).
    """
    path = Path(path)
    shown = Path(display) if display is not None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{shown}: no such map file", hint="create it or pass --map PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{shown}: cannot read the map ({exc})") from None
    return parse_map(text, shown)


def parse_map(text: str, path: Path | str = "secret_map.yaml") -> SecretMap:
    """Validate map text; ``path`` is used for positions and kept on the result."""
    return check_map(text, Path(path))
