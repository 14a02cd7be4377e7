"""The GraphQL subset (``POST /graphql``, ``/api/graphql``): what GitHub's answers look like
for the queries the GitHub CLI sends, for bad queries, and with variables and fragments."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from secretsync.emulator import Emulator

AUTH = {"Authorization": "bearer t"}


@pytest.fixture
def client(secretsync_emulator: Emulator) -> Iterator[httpx.Client]:
    secretsync_emulator.add_repository("acme", "web")
    transport = secretsync_emulator.transport()
    with httpx.Client(transport=transport, base_url="https://api.github.com", headers=AUTH) as c:
        yield c


def test_repository_ids_by_alias_as_gh_asks(
    client: httpx.Client, secretsync_emulator: Emulator
) -> None:
    query = (
        'query MapRepositoryNames { repo_000: repository(owner: "acme", name: "WEB") '
        '{ databaseId } repo_001: repository(owner: "acme", name: "nope") { databaseId } }'
    )
    answer = client.post("/graphql", json={"query": query, "variables": None})
    assert answer.status_code == 200
    web_id = secretsync_emulator.add_repository("acme", "web")
    assert answer.json()["data"] == {"repo_000": {"databaseId": web_id}, "repo_001": None}
    (error,) = answer.json()["errors"]
    assert error["type"] == "NOT_FOUND" and error["path"] == ["repo_001"]
    assert error["message"] == "Could not resolve to a Repository with the name 'acme/nope'."


def test_variables_fragments_and_the_ghes_path(client: httpx.Client) -> None:
    query = """
    query($o: String!, $n: String!) { viewer { login } repository(owner: $o, name: $n) { ...r } }
    fragment r on Repository { nameWithOwner isPrivate owner { login ... on Organization { id } } }
    """
    answer = client.post(
        "/api/graphql", json={"query": query, "variables": {"o": "acme", "n": "web"}}
    )
    data = answer.json()["data"]
    assert data["viewer"] == {"login": "secretsync-emulator"}
    assert data["repository"]["nameWithOwner"] == "acme/web"
    assert data["repository"]["owner"] == {"login": "acme", "id": "O_acme"}


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"query": "{ viewer { login nope } }"}, 200, "Cannot query field 'nope'"),
        ({"query": "mutation { x }"}, 200, "mutation"),
        ({"nothing": 1}, 200, "A query attribute must be specified"),
    ],
)
def test_bad_queries_answer_errors_without_data(
    client: httpx.Client, body: dict[str, object], status: int, needle: str
) -> None:
    answer = client.post("/graphql", json=body)
    assert answer.status_code == status
    assert "data" not in answer.json()
    assert needle in answer.json()["errors"][0]["message"]


def test_unparsable_json_is_400_and_no_token_is_401(client: httpx.Client) -> None:
    assert client.post("/graphql", content=b"{not json").status_code == 400
    anonymous = client.post(
        "/graphql", json={"query": "{ viewer { login } }"}, headers={"Authorization": ""}
    )
    assert anonymous.status_code == 401


def test_queries_are_not_counted_as_writes(
    secretsync_emulator: Emulator, client: httpx.Client
) -> None:
    from secretsync.emulator import Faults

    secretsync_emulator.set_faults(Faults(rate_limit_writes_per_minute=1))
    for _ in range(3):
        assert client.post("/graphql", json={"query": "{ viewer { login } }"}).status_code == 200
