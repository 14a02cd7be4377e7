"""Finding and loading a map: the one way a path or text becomes a :class:`SecretMap`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from secretsync.errors import ConfigError
from secretsync.map.model import SecretMap

__all__ = [
    "DEFAULT_MAP",
    "MAP_ENV_VAR",
    "MAP_MAX_BYTES",
    "find_map",
    "load_map",
    "parse_map",
    "read_map_bytes",
]

MAP_ENV_VAR = "SECRETSYNC_MAP"
DEFAULT_MAP = Path("config") / "secret_map.yaml"
# A map of 1,200 secrets (GitHub's most: 1,000 organization + 100 repository + 100
# environment per scope) with descriptions is a few hundred KB; past this the file is
# refused before it is read whole (``--map /dev/zero`` must not run until memory is gone).
MAP_MAX_BYTES = 4 * 1024 * 1024


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
    raw = read_map_bytes(path, shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: cannot read the map ({exc})") from None
    return parse_map(text, shown)


def read_map_bytes(path: Path, shown: Path | str | None = None) -> bytes:
    """The map file's bytes, at most :data:`MAP_MAX_BYTES`; ``ConfigError`` otherwise."""
    shown = path if shown is None else shown
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAP_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            f"{shown}: no such map file", hint="create it or pass --map PATH"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read the map ({exc})") from None
    if len(raw) > MAP_MAX_BYTES:
        raise ConfigError(
            f"{shown}: larger than {MAP_MAX_BYTES // (1024 * 1024)} MB, too large for a secret map",
            hint="pass the map file itself with --map PATH",
        )
    return raw


def parse_map(text: str, path: Path | str = "secret_map.yaml") -> SecretMap:
    """Validate map text; ``path`` is used for positions and kept on the result."""
    # Imported here: pydantic and the rules cost a start-up that a cached map skips.
    from secretsync.map.validation import check_map

    return check_map(text, Path(path))
