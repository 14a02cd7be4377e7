"""The map's ``sync.repositories``: where the sync workflows run, validated at file:line:col."""

from __future__ import annotations

import pytest
from map_support import SOPHIA_HEAD

from secretsync.errors import MapError
from secretsync.map.load import parse_map

SECRETS = "secrets:\n  OPENAI_API_KEY: {esc_path: sophia.ai.openai_api_key}\n"
# SOPHIA_HEAD is 6 lines: `sync:` is line 7, its list line 8.


def problems(sync_block: str) -> list[str]:
    with pytest.raises(MapError) as caught:
        parse_map(SOPHIA_HEAD + sync_block + SECRETS, "m.yaml")
    return [f"{i.file}:{i.line}:{i.column}: {i.message}" for i in caught.value.issues]


def test_repositories_are_kept_in_order() -> None:
    text = SOPHIA_HEAD + "sync:\n  repositories: [secrets-sync-1, secrets.sync_2]\n" + SECRETS
    smap = parse_map(text, "m.yaml")
    assert smap.sync_repositories == ("secrets-sync-1", "secrets.sync_2")


def test_without_a_sync_section_there_are_none() -> None:
    assert parse_map(SOPHIA_HEAD + SECRETS, "m.yaml").sync_repositories == ()


def test_names_github_refuses_each_at_its_position() -> None:
    found = problems(
        "sync:\n  repositories:\n    - ai-cherry/secrets-sync\n    - '..'\n    - "
        + "r" * 101
        + "\n"
    )
    assert found[0].startswith("m.yaml:9:7: sync repository 'ai-cherry/secrets-sync'")
    assert "without the owner" in found[0]
    assert found[1].startswith("m.yaml:10:7: sync repository '..'")
    assert found[2].startswith("m.yaml:11:7: ") and "at most 100 characters" in found[2]


def test_duplicates_compare_without_case() -> None:
    (found,) = problems("sync:\n  repositories: [secrets-sync, Secrets-Sync]\n")
    assert found == (
        "m.yaml:8:32: sync repository 'Secrets-Sync' is listed twice (first on line 8)"
    )


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("sync:\n  repositories: []\n", "m.yaml:8:17: sync.repositories lists no repository"),
        ("sync:\n  repos: [a]\n", "m.yaml:8:3: unknown key 'repos'"),
        ("sync: {repositories: secrets-sync}\n", "m.yaml:7:22: sync.repositories"),
    ],
)
def test_shape_errors(block: str, expected: str) -> None:
    assert any(p.startswith(expected) for p in problems(block)), problems(block)
