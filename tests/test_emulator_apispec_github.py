"""Every GitHub operation in the official description, answered by the emulator, with the
answer validated against that operation's response schema (skipped without the file)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from nacl.public import PublicKey, SealedBox
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_support import check_answer, deref, load_description, operations

from secretsync.emulator import Emulator, serve

SPEC = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "apispecs"
    / "github-actions-secrets.openapi.yaml"
)
pytestmark = pytest.mark.skipif(not SPEC.is_file(), reason=f"no API description at {SPEC}")

ORG, REPO, ENV = "ai-cherry", "sophia-main", "production"
ORG_S = f"/orgs/{ORG}/actions/secrets"
REPO_S = f"/repos/{ORG}/{REPO}/actions/secrets"
ENV_S = f"/repos/{ORG}/{REPO}/environments/{ENV}/secrets"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_description(SPEC)


def seal_for(client: httpx.Client, scope: str, value: str) -> dict[str, str]:
    key = client.get(f"{scope}/public-key").json()
    sealed = SealedBox(PublicKey(base64.b64decode(key["key"]))).encrypt(value.encode())
    return {"encrypted_value": base64.b64encode(sealed).decode(), "key_id": key["key_id"]}


Body = Callable[[httpx.Client], Any]
# operationId -> (concrete path, body, expected status); run in this order.
SCENARIOS: list[tuple[str, str, Body | None, int]] = [
    ("actions/get-org-public-key", f"{ORG_S}/public-key", None, 200),
    (
        "actions/create-or-update-org-secret",
        f"{ORG_S}/NEW_ONE",
        lambda c: {
            **seal_for(c, ORG_S, "v"),
            "visibility": "selected",
            "selected_repository_ids": [],
        },
        201,
    ),
    ("actions/list-org-secrets", ORG_S + "?per_page=2", None, 200),
    ("actions/get-org-secret", f"{ORG_S}/PICKED", None, 200),
    ("actions/list-selected-repos-for-org-secret", f"{ORG_S}/PICKED/repositories", None, 200),
    (
        "actions/set-selected-repos-for-org-secret",
        f"{ORG_S}/PICKED/repositories",
        lambda c: {"selected_repository_ids": []},
        204,
    ),
    (
        "actions/add-selected-repo-to-org-secret",
        f"{ORG_S}/PICKED/repositories/{{repo_id}}",
        None,
        204,
    ),
    (
        "actions/remove-selected-repo-from-org-secret",
        f"{ORG_S}/PICKED/repositories/{{repo_id}}",
        None,
        204,
    ),
    (
        "actions/list-repo-organization-secrets",
        f"/repos/{ORG}/{REPO}/actions/organization-secrets",
        None,
        200,
    ),
    ("actions/get-repo-public-key", f"{REPO_S}/public-key", None, 200),
    (
        "actions/create-or-update-repo-secret",
        f"{REPO_S}/REPO_ONE",
        lambda c: seal_for(c, REPO_S, "v"),
        204,
    ),
    ("actions/list-repo-secrets", REPO_S, None, 200),
    ("actions/get-repo-secret", f"{REPO_S}/REPO_ONE", None, 200),
    ("actions/get-environment-public-key", f"{ENV_S}/public-key", None, 200),
    (
        "actions/create-or-update-environment-secret",
        f"{ENV_S}/ENV_NEW",
        lambda c: seal_for(c, ENV_S, "v"),
        201,
    ),
    ("actions/list-environment-secrets", ENV_S, None, 200),
    ("actions/get-environment-secret", f"{ENV_S}/ENV_ONE", None, 200),
    ("actions/delete-org-secret", f"{ORG_S}/NEW_ONE", None, 204),
    ("actions/delete-repo-secret", f"{REPO_S}/REPO_ONE", None, 204),
    ("actions/delete-environment-secret", f"{ENV_S}/ENV_ONE", None, 204),
]


def seeded() -> tuple[Emulator, int]:
    emu = Emulator()
    repo_id = emu.add_repository(ORG, REPO)
    for name, visibility in (("ALL_ONE", "all"), ("PRIV", "private"), ("PICKED", "selected")):
        repos = [REPO] if visibility == "selected" else []
        emu.seed_github_secret(f"orgs/{ORG}", name, "v", visibility=visibility, repositories=repos)
    emu.seed_github_secret(f"repos/{ORG}/{REPO}", "REPO_ONE", "v")
    emu.seed_github_secret(f"repos/{ORG}/{REPO}/environments/{ENV}", "ENV_ONE", "v")
    return emu, repo_id


@pytest.fixture(params=["transport", "server"])
def client_and_repo(request: pytest.FixtureRequest) -> Iterator[tuple[httpx.Client, int]]:
    emu, repo_id = seeded()
    headers = {"Authorization": "token t"}
    if request.param == "transport":
        with httpx.Client(
            transport=emu.transport(), base_url="https://api.github.com", headers=headers
        ) as client:
            yield client, repo_id
    else:
        with serve(emu) as served, httpx.Client(base_url=served.url, headers=headers) as client:
            yield client, repo_id


def test_the_description_itself_is_valid_openapi(spec: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(spec)


def test_scenarios_cover_every_operation(spec: dict[str, Any]) -> None:
    assert {op for op, *_ in SCENARIOS} == set(operations(spec))


def test_every_answer_matches_the_described_response(
    spec: dict[str, Any], client_and_repo: tuple[httpx.Client, int]
) -> None:
    client, repo_id = client_and_repo
    ops = operations(spec)
    for op_id, path, body, expected in SCENARIOS:
        method, _template, op = ops[op_id]
        url = path.replace("{repo_id}", str(repo_id))
        answer = client.request(method, url, json=body(client) if body else None)
        described = check_answer(spec, op_id, op, expected, answer)
        if not answer.content:
            continue
        if "Link" in described.get("headers", {}) and answer.json()["total_count"] > 2:
            assert 'rel="next"' in answer.headers["link"], op_id


def test_org_secret_with_selected_visibility_validates_with_its_url(
    spec: dict[str, Any], client_and_repo: tuple[httpx.Client, int]
) -> None:
    client, _ = client_and_repo
    schema = deref(spec["components"]["schemas"]["organization-actions-secret"], spec)
    picked = client.get(f"{ORG_S}/PICKED").json()
    OAS30Validator(schema, format_checker=oas30_format_checker).validate(picked)
    assert set(picked) == {
        "name",
        "created_at",
        "updated_at",
        "visibility",
        "selected_repositories_url",
    }
    private = client.get(f"{ORG_S}/PRIV").json()
    assert set(private) == {"name", "created_at", "updated_at", "visibility"}
