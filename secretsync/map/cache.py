"""The validated map, cached as JSON, so a start-up (a service's, the CLI's) skips validation.

Services load settings at every process start; parsing and validating the map costs more
than the rest of the settings together. The cache key is a digest of the map's bytes and
the secretsync version, so an edited map or an upgrade is a miss, never a stale hit. The
map holds names, paths and descriptions, no values, so it is safe on disk. Any problem
with the cache (unwritable folder, corrupt file) falls back to reading the map itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secretsync._version import __version__
from secretsync.map.load import read_map_bytes
from secretsync.map.model import Environment, GithubTarget, Secret, SecretMap

__all__ = ["CACHE_ENV", "cache_dir", "load_map_cached"]

CACHE_ENV = "SECRETSYNC_CACHE_DIR"


def cache_dir(environ: Mapping[str, str]) -> Path | None:
    """``$SECRETSYNC_CACHE_DIR`` (``off`` disables), else the XDG cache folder."""
    chosen = environ.get(CACHE_ENV, "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = environ.get("XDG_CACHE_HOME", "").strip()
    home = Path(base) if base else Path(environ.get("HOME", str(Path.home()))) / ".cache"
    return home / "secretsync" / "maps"


# The fields _store and _decode know. A model that grew a field (a new map key) is read
# from the map itself until this module learns it: a cache must never drop a setting.
_KNOWN = (
    ("path", "github_org", "esc_org", "esc_project", "environments", "categories",
     "default_max_age_days", "secrets", "sync_repositories"),
    ("name", "category", "type", "format", "description", "owner", "environments", "required",
     "max_age_days", "env_var", "field", "esc_path", "github", "line"),
    ("name", "esc_env", "line"),
)  # fmt: skip
_TARGET_FIELDS = ("scope", "repo", "environment", "visibility", "repositories")


def _schema_known() -> bool:
    from dataclasses import fields

    found = tuple(tuple(f.name for f in fields(cls)) for cls in (SecretMap, Secret, Environment))
    targets = tuple(f.name for f in fields(GithubTarget))
    return found == _KNOWN and targets == _TARGET_FIELDS


def load_map_cached(
    path: Path, environ: Mapping[str, str], *, display: Path | None = None
) -> SecretMap:
    """``load_map(path, display=display)``, answered from the cache when the map has not
    changed (the same bytes, the same secretsync version)."""
    from secretsync.map import load as map_load

    folder = cache_dir(environ)
    # ConfigError for a missing, unreadable or huge file, named as the user wrote it.
    raw = read_map_bytes(path, display)
    if folder is None or not _schema_known():
        return map_load.load_map(path, display=display)
    import hashlib

    digest = hashlib.blake2b(raw + __version__.encode(), digest_size=16).hexdigest()
    entry = folder / f"{digest}.json"
    try:
        return _decode(json.loads(entry.read_text(encoding="utf-8")), display or path)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    smap = map_load.load_map(path, display=display)  # MapError: an invalid map is never kept
    _store(entry, smap)
    return smap


def _plain(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """A record's fields by name: ``dataclasses.asdict`` deep-copies every value, which
    cost a cold start of a 1,000-secret map 40 ms; these values are strings, numbers and
    tuples of strings, written as they are."""
    return {name: getattr(record, name) for name in names}


def _store(entry: Path, smap: SecretMap) -> None:
    _, secret_fields, environment_fields = _KNOWN
    secrets = {}
    for name, secret in smap.secrets.items():
        fields = _plain(secret, secret_fields)
        fields["github"] = _plain(secret.github, _TARGET_FIELDS)
        secrets[name] = fields
    document = {
        "environments": {k: _plain(v, environment_fields) for k, v in smap.environments.items()},
        "secrets": secrets,
        "github_org": smap.github_org,
        "esc_org": smap.esc_org,
        "esc_project": smap.esc_project,
        "categories": smap.categories,
        "default_max_age_days": smap.default_max_age_days,
        "sync_repositories": list(smap.sync_repositories),
    }
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(document), encoding="utf-8")
        os.replace(tmp, entry)
    except OSError:
        pass  # a read-only home or image: no cache, same answer


def _decode(document: dict[str, Any], path: Path) -> SecretMap:
    secrets = {}
    for name, fields in document["secrets"].items():
        target = fields.pop("github")
        target["repositories"] = tuple(target["repositories"])
        fields["environments"] = tuple(fields["environments"])
        secrets[name] = Secret(github=GithubTarget(**target), **fields)
    return SecretMap(
        path=path,
        github_org=document["github_org"],
        esc_org=document["esc_org"],
        esc_project=document["esc_project"],
        environments={k: Environment(**v) for k, v in document["environments"].items()},
        categories=dict(document["categories"]),
        default_max_age_days=document["default_max_age_days"],
        secrets=secrets,
        sync_repositories=tuple(document.get("sync_repositories", ())),
    )
