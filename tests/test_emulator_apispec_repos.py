"""The emulator's repository, environment, organization and API-root answers, validated
against a cut of GitHub's own OpenAPI description (``tests/apispecs/``, cut the way the
shared secrets description was: see ``tests/apispecs/cut_github.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_support import check_answer, load_description, operations

from secretsync.emulator import Emulator, serve

SPEC = Path(__file__).resolve().parent / "apispecs" / "github-repos-environments.openapi.yaml"
ORG, REPO = "ai-cherry", "sophia-main"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_description(SPEC)


# operationId -> (path, JSON body, expected status); run in this order against one emulator.
SCENARIOS: list[tuple[str, str, Any, int]] = [
    ("meta/root", "/", None, 200),
    ("orgs/get", f"/orgs/{ORG}", None, 200),
    (
        "repos/create-in-org",
        f"/orgs/{ORG}/repos",
        {"name": "dashboard", "description": "front end", "private": True},
        201,
    ),
    ("repos/create-in-org", f"/orgs/{ORG}/repos", {"name": "dashboard"}, 422),  # taken
    ("repos/create-in-org", f"/orgs/{ORG}/repos", {"name": "site", "visibility": "public"}, 201),
    ("repos/get", f"/repos/{ORG}/dashboard", None, 200),
    ("repos/get", f"/repos/{ORG}/missing", None, 404),
    ("repos/list-for-org", f"/orgs/{ORG}/repos?per_page=2", None, 200),
    (
        "repos/create-or-update-environment",
        f"/repos/{ORG}/{REPO}/environments/staging",
        None,
        200,
    ),
    (
        "repos/create-or-update-environment",
        f"/repos/{ORG}/{REPO}/environments/production",
        {
            "wait_timer": 30,
            "deployment_branch_policy": {
                "protected_branches": True,
                "custom_branch_policies": False,
            },
        },
        200,
    ),
    (
        "repos/create-or-update-environment",
        f"/repos/{ORG}/{REPO}/environments/production",
        {"wait_timer": 99999},
        422,
    ),
    ("repos/get-environment", f"/repos/{ORG}/{REPO}/environments/production", None, 200),
    ("repos/get-all-environments", f"/repos/{ORG}/{REPO}/environments", None, 200),
    ("repos/delete-an-environment", f"/repos/{ORG}/{REPO}/environments/staging", None, 204),
]


@pytest.fixture(params=["transport", "server"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    emu = Emulator()
    emu.add_repository(ORG, REPO)
    headers = {"Authorization": "token t"}
    if request.param == "transport":
        with httpx.Client(
            transport=emu.transport(), base_url="https://api.github.com", headers=headers
        ) as http:
            yield http
    else:
        with serve(emu) as served, httpx.Client(base_url=served.url, headers=headers) as http:
            yield http


def test_the_cut_is_valid_openapi(spec: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(spec)


def test_scenarios_cover_every_operation_of_the_cut(spec: dict[str, Any]) -> None:
    assert {op for op, *_ in SCENARIOS} == set(operations(spec))


def test_every_answer_matches_the_described_response(
    spec: dict[str, Any], client: httpx.Client
) -> None:
    ops = operations(spec)
    for op_id, path, body, expected in SCENARIOS:
        method, _template, op = ops[op_id]
        check_answer(spec, op_id, op, expected, client.request(method, path, json=body))


def test_repository_names_are_made_the_way_github_makes_them(client: httpx.Client) -> None:
    made = client.post(f"/orgs/{ORG}/repos", json={"name": "my new repo!"})
    assert (made.status_code, made.json()["name"]) == (201, "my-new-repo-")
    assert made.headers["location"].endswith(f"/repos/{ORG}/my-new-repo-")
    assert client.post(f"/orgs/{ORG}/repos", json={"name": ".."}).status_code == 422
    assert client.post(f"/orgs/{ORG}/repos", json={"name": "x" * 101}).status_code == 422
    assert client.post(f"/orgs/{ORG}/repos", json={"name": "MY-NEW-REPO-"}).status_code == 422


def test_lists_page_with_link_headers(client: httpx.Client) -> None:
    for i in range(5):
        assert client.post(f"/orgs/{ORG}/repos", json={"name": f"r{i}"}).status_code == 201
        assert client.put(f"/repos/{ORG}/{REPO}/environments/e{i}").status_code == 200
    first = client.get(f"/orgs/{ORG}/repos", params={"per_page": 2, "sort": "full_name"})
    assert [r["name"] for r in first.json()] == ["r0", "r1"]
    assert 'rel="next"' in first.headers["link"]
    envs = client.get(f"/repos/{ORG}/{REPO}/environments", params={"per_page": 2})
    assert envs.json()["total_count"] == 5
    assert [e["name"] for e in envs.json()["environments"]] == ["e0", "e1"]
    assert 'rel="last"' in envs.headers["link"]
