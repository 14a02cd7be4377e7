"""``GET /_emulator/workflow-secrets``: what a workflow in one repository would get, by
GitHub's rule, with the visibility changed through the real API (selected-repositories
endpoints included) rather than seeded."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from nacl.public import PublicKey, SealedBox

from secretsync.emulator import Emulator

ORG = "acme"
AUTH = {"Authorization": "token t"}


@pytest.fixture
def emu() -> Emulator:
    emu = Emulator()
    for repo in ("sync", "app"):
        emu.add_repository(ORG, repo)
    return emu


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=emu.transport(), base_url="http://gh.test", headers=AUTH) as c:
        yield c


def view(client: httpx.Client, repo: str) -> dict[str, list[str]]:
    answer = client.get("/_emulator/workflow-secrets", params={"repository": f"{ORG}/{repo}"})
    assert answer.status_code == 200, answer.text
    document: dict[str, list[str]] = answer.json()
    return document


def put(client: httpx.Client, path: str, value: str, **body: object) -> None:
    key = client.get(f"{path.rsplit('/', 1)[0]}/public-key").json()
    sealed = SealedBox(PublicKey(base64.b64decode(key["key"]))).encrypt(value.encode())
    answer = client.put(
        path,
        json={
            "encrypted_value": base64.b64encode(sealed).decode(),
            "key_id": key["key_id"],
            **body,
        },
    )
    assert answer.status_code in (201, 204), answer.text


def test_first_100_by_name_then_repository_secrets_which_win_a_tie(
    emu: Emulator, client: httpx.Client
) -> None:
    for i in reversed(range(105)):
        emu.seed_github_secret(f"orgs/{ORG}", f"S{i:03d}", "v", visibility="all")
    put(client, f"/repos/{ORG}/sync/actions/secrets/S000", "own")
    put(client, f"/repos/{ORG}/sync/actions/secrets/ZETA", "own")
    got = view(client, "sync")
    assert got["organization"] == [f"S{i:03d}" for i in range(100)]
    assert got["organization_past_limit"] == [f"S{i:03d}" for i in range(100, 105)]
    assert got["repository_secrets"] == ["S000", "ZETA"]
    assert got["secrets"] == [f"S{i:03d}" for i in range(1, 100)] + ["S000", "ZETA"]


def test_selected_secrets_reach_only_listed_repositories_as_the_api_changes_them(
    emu: Emulator, client: httpx.Client
) -> None:
    sync_id, app_id = emu.add_repository(ORG, "sync"), emu.add_repository(ORG, "app")
    put(client, f"/orgs/{ORG}/actions/secrets/ONE", "v", visibility="selected",
        selected_repository_ids=[app_id])  # fmt: skip
    assert view(client, "sync")["organization"] == []
    added = client.put(f"/orgs/{ORG}/actions/secrets/ONE/repositories/{sync_id}")
    assert added.status_code == 204
    assert view(client, "sync")["organization"] == ["ONE"]
    assert view(client, "app")["organization"] == ["ONE"]  # adding took nothing away
    put(client, f"/orgs/{ORG}/actions/secrets/ALL", "v", visibility="all")
    conflict = client.put(f"/orgs/{ORG}/actions/secrets/ALL/repositories/{sync_id}")
    assert conflict.status_code == 409  # GitHub: only for visibility selected
    assert view(client, "app")["organization"] == ["ALL", "ONE"]


def test_private_secrets_reach_private_repositories(emu: Emulator, client: httpx.Client) -> None:
    emu.seed_github_secret(f"orgs/{ORG}", "PRIV", "v", visibility="private")
    assert view(client, "app")["organization"] == ["PRIV"]  # emulator repositories: private


def test_unknown_and_malformed_repositories(client: httpx.Client) -> None:
    missing = client.get("/_emulator/workflow-secrets", params={"repository": f"{ORG}/nope"})
    assert missing.status_code == 404
    for bad in ("", "acme", "acme/a/b"):
        answer = client.get("/_emulator/workflow-secrets", params={"repository": bad})
        assert answer.status_code == 400, bad
