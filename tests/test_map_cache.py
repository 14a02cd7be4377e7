"""The runtime's cached map: same answer as the loader, never stale, never required."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from secretsync.errors import MapError
from secretsync.map.cache import cache_dir, load_map_cached
from secretsync.map.load import load_map

SHIPPED = Path(__file__).resolve().parents[1] / "config" / "secret_map.yaml"


@pytest.fixture
def map_file(tmp_path: Path) -> Path:
    target = tmp_path / "secret_map.yaml"
    shutil.copy(SHIPPED, target)
    return target


def test_a_cached_map_equals_the_loaded_one(map_file: Path, tmp_path: Path) -> None:
    env = {"SECRETSYNC_CACHE_DIR": str(tmp_path / "cache")}
    first = load_map_cached(map_file, env)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    second = load_map_cached(map_file, env)  # from the cache
    assert first == second == load_map(map_file)
    assert second.secrets["LAMBDA_LABS_SSH_KEY"].github.repositories == ()
    assert second.by_env_var["LAMBDA_SSH_KEY"].field == "lambda_ssh_key"


def test_an_edited_map_is_a_miss_and_an_invalid_one_is_never_cached(
    map_file: Path, tmp_path: Path
) -> None:
    env = {"SECRETSYNC_CACHE_DIR": str(tmp_path / "cache")}
    load_map_cached(map_file, env)
    map_file.write_text(map_file.read_text().replace("max_age_days: 90", "max_age_days: 30"))
    assert load_map_cached(map_file, env).default_max_age_days == 30
    map_file.write_text(map_file.read_text() + "  bad-name: {category: ai}\n")
    with pytest.raises(MapError):
        load_map_cached(map_file, env)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2


def test_a_corrupt_or_unwritable_cache_falls_back(map_file: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"SECRETSYNC_CACHE_DIR": str(cache)}
    load_map_cached(map_file, env)
    (entry,) = cache.glob("*.json")
    entry.write_text("{not json")
    assert load_map_cached(map_file, env) == load_map(map_file)
    blocked = {"SECRETSYNC_CACHE_DIR": str(map_file)}  # a file, not a folder
    assert load_map_cached(map_file, blocked) == load_map(map_file)


def test_cache_folder_choice(tmp_path: Path) -> None:
    assert cache_dir({"SECRETSYNC_CACHE_DIR": "off"}) is None
    assert cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "secretsync" / "maps"
    assert cache_dir({"HOME": str(tmp_path)}) == tmp_path / ".cache" / "secretsync" / "maps"
