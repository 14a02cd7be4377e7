"""The GitHub half of the emulator, through both front ends (in-process and real HTTP)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from nacl.public import PrivateKey, PublicKey, SealedBox

from secretsync.emulator import Emulator, serve

ORG = "ai-cherry"
REPO = "sophia-main"
CANARY = "canary-Zq8vT3kLm2Xw9Ry"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def seal(public_key: str, value: str | bytes) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    box = SealedBox(PublicKey(base64.b64decode(public_key)))
    return base64.b64encode(box.encrypt(raw)).decode("ascii")


class Api:
    """A thin GitHub client for the tests: the requests a real client sends."""

    def __init__(self, client: httpx.Client, emu: Emulator, base_url: str) -> None:
        self.client, self.emu, self.base_url = client, emu, base_url

    def key(self, scope: str) -> dict[str, Any]:
        answer = self.client.get(f"/{scope}/secrets/public-key")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def put(self, scope: str, name: str, value: str | bytes, **extra: Any) -> httpx.Response:
        key = self.key(scope)
        body = {"encrypted_value": seal(key["key"], value), "key_id": key["key_id"], **extra}
        return self.client.put(f"/{scope}/secrets/{name}", json=body)


@pytest.fixture(params=["transport", "server"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    emu = Emulator()
    emu.clock.set(T0)
    emu.add_repository(ORG, REPO)
    emu.add_environment(ORG, REPO, "production")
    headers = {"Authorization": "Bearer test-token"}
    if request.param == "transport":
        base = "https://api.github.com"
        with httpx.Client(transport=emu.transport(), base_url=base, headers=headers) as client:
            yield Api(client, emu, base)
    else:
        with serve(emu) as served, httpx.Client(base_url=served.url, headers=headers) as client:
            yield Api(client, emu, served.url)


ORG_SCOPE = f"orgs/{ORG}/actions"
REPO_SCOPE = f"repos/{ORG}/{REPO}/actions"
ENV_SCOPE = f"repos/{ORG}/{REPO}/environments/production"
SCOPES = [ORG_SCOPE, REPO_SCOPE, ENV_SCOPE]


def _extra(scope: str) -> dict[str, Any]:
    return {"visibility": "private"} if scope.startswith("orgs/") else {}


def stored(emu: Emulator, name: str) -> list[dict[str, Any]]:
    return [s for s in emu.state()["github"]["secrets"] if s["name"] == name]


def test_public_key_is_a_real_stable_curve25519_key_per_scope(api: Api) -> None:
    keys = [api.key(scope) for scope in SCOPES]
    assert all(len(base64.b64decode(k["key"])) == 32 for k in keys)
    assert len({k["key_id"] for k in keys}) == 3
    assert api.key(ORG_SCOPE) == keys[0]


@pytest.mark.parametrize("scope", SCOPES)
def test_put_creates_201_then_updates_204_and_decrypts_the_value(api: Api, scope: str) -> None:
    created = api.put(scope, "openai_api_key", CANARY, **_extra(scope))
    assert (created.status_code, created.json()) == (201, {})
    api.emu.clock.set(T0 + timedelta(hours=1))
    updated = api.put(scope, "OPENAI_API_KEY", CANARY + "-2", **_extra(scope))
    assert (updated.status_code, updated.content) == (204, b"")

    [entry] = stored(api.emu, "OPENAI_API_KEY")
    assert entry["value"] == CANARY + "-2"
    got = api.client.get(f"/{scope}/secrets/openai_api_key").json()
    assert got["name"] == "OPENAI_API_KEY"
    assert got["created_at"] == "2026-01-01T00:00:00Z"
    assert got["updated_at"] == "2026-01-01T01:00:00Z"
    assert CANARY not in str(got)


@pytest.mark.parametrize("scope", SCOPES)
def test_delete_answers_204_then_404(api: Api, scope: str) -> None:
    api.put(scope, "TO_GO", "v", **_extra(scope))
    assert api.client.delete(f"/{scope}/secrets/to_go").status_code == 204
    assert api.client.get(f"/{scope}/secrets/TO_GO").status_code == 404
    gone = api.client.delete(f"/{scope}/secrets/TO_GO")
    assert gone.status_code == 404
    assert gone.json()["message"] == "Not Found"
    assert stored(api.emu, "TO_GO") == []


def test_list_paginates_with_link_headers_on_the_clients_base_url(api: Api) -> None:
    names = [f"S_{i:02d}" for i in range(35)]
    for name in names:
        api.emu.seed_github_secret(f"repos/{ORG}/{REPO}", name, "v")
    first = api.client.get(f"/{REPO_SCOPE}/secrets")
    assert first.json()["total_count"] == 35
    assert [s["name"] for s in first.json()["secrets"]] == names[:30]
    links = first.links
    assert set(links) == {"next", "last"}
    assert links["next"]["url"] == f"{api.base_url}/{REPO_SCOPE}/secrets?per_page=30&page=2"
    assert links["last"]["url"].endswith("page=2")

    second = api.client.get(links["next"]["url"])
    assert [s["name"] for s in second.json()["secrets"]] == names[30:]
    assert set(second.links) == {"prev", "first"}

    middle = api.client.get(f"/{REPO_SCOPE}/secrets", params={"per_page": 10, "page": 2})
    assert set(middle.links) == {"prev", "next", "last", "first"}
    assert middle.links["last"]["url"].endswith("per_page=10&page=4")
    assert [s["name"] for s in middle.json()["secrets"]] == names[10:20]


def test_per_page_is_capped_at_100_and_a_lone_page_has_no_link(api: Api) -> None:
    for i in range(101):
        api.emu.seed_github_secret(f"orgs/{ORG}", f"N_{i:03d}", "v")
    capped = api.client.get(f"/{ORG_SCOPE}/secrets", params={"per_page": 500})
    assert len(capped.json()["secrets"]) == 100
    assert capped.links["next"]["url"].endswith("per_page=100&page=2")
    api.emu.reset()
    api.emu.seed_github_secret(f"orgs/{ORG}", "ONLY", "v")
    alone = api.client.get(f"/{ORG_SCOPE}/secrets")
    assert "link" not in alone.headers
    beyond = api.client.get(f"/{ORG_SCOPE}/secrets", params={"page": 9})
    assert beyond.json() == {"total_count": 1, "secrets": []}


def test_org_secret_shape_depends_on_visibility(api: Api) -> None:
    repo_id = api.emu.add_repository(ORG, REPO)
    api.put(ORG_SCOPE, "ALL_ONE", "v", visibility="all")
    api.put(ORG_SCOPE, "PICKED", "v", visibility="selected", selected_repository_ids=[repo_id])
    secrets = {s["name"]: s for s in api.client.get(f"/{ORG_SCOPE}/secrets").json()["secrets"]}
    assert secrets["ALL_ONE"]["visibility"] == "all"
    assert "selected_repositories_url" not in secrets["ALL_ONE"]
    assert secrets["PICKED"]["selected_repositories_url"] == (
        f"{api.base_url}/orgs/{ORG}/actions/secrets/PICKED/repositories"
    )
    [entry] = stored(api.emu, "PICKED")
    assert entry["selected_repositories"] == [f"{ORG}/{REPO}"]


def test_selected_repositories_list_set_add_remove(api: Api) -> None:
    main_id = api.emu.add_repository(ORG, REPO)
    other_id = api.emu.add_repository(ORG, "other")
    api.put(ORG_SCOPE, "PICKED", "v", visibility="selected", selected_repository_ids=[main_id])
    url = f"/{ORG_SCOPE}/secrets/PICKED/repositories"

    def ids() -> list[int]:
        answer = api.client.get(url).json()
        assert answer["total_count"] == len(answer["repositories"])
        return [r["id"] for r in answer["repositories"]]

    assert ids() == [main_id]
    assert api.client.put(f"{url}/{other_id}").status_code == 204
    assert ids() == [main_id, other_id]
    assert api.client.delete(f"{url}/{main_id}").status_code == 204
    assert ids() == [other_id]
    assert api.client.put(url, json={"selected_repository_ids": [main_id]}).status_code == 204
    assert ids() == [main_id]
    assert api.client.put(url, json={"selected_repository_ids": [999]}).status_code == 422
    assert api.client.put(url, json={}).status_code == 422
    assert api.client.get(f"/{ORG_SCOPE}/secrets/NOPE/repositories").status_code == 404


def test_selected_repository_changes_conflict_unless_visibility_is_selected(api: Api) -> None:
    repo_id = api.emu.add_repository(ORG, REPO)
    api.put(ORG_SCOPE, "OPEN", "v", visibility="all")
    url = f"/{ORG_SCOPE}/secrets/OPEN/repositories"
    assert api.client.put(f"{url}/{repo_id}").status_code == 409
    assert api.client.delete(f"{url}/{repo_id}").status_code == 409
    assert api.client.put(url, json={"selected_repository_ids": [repo_id]}).status_code == 409


def test_org_put_validates_visibility_and_repository_ids(api: Api) -> None:
    repo_id = api.emu.add_repository(ORG, REPO)
    foreign = api.emu.add_repository("someone-else", "theirs")
    assert api.put(ORG_SCOPE, "A", "v").status_code == 422  # visibility is required
    assert api.put(ORG_SCOPE, "A", "v", visibility="public").status_code == 422
    ids = {"selected_repository_ids": [repo_id]}
    assert api.put(ORG_SCOPE, "A", "v", visibility="all", **ids).status_code == 422
    bad = {"selected_repository_ids": [foreign]}
    assert api.put(ORG_SCOPE, "A", "v", visibility="selected", **bad).status_code == 422
    assert api.put(ORG_SCOPE, "A", "v", visibility="selected", **ids).status_code == 201
    assert api.put(ORG_SCOPE, "A", "v", visibility="private").status_code == 204
    [entry] = stored(api.emu, "A")
    assert (entry["visibility"], entry["selected_repository_ids"]) == ("private", [])


def test_repository_sees_the_org_secrets_shared_with_it(api: Api) -> None:
    repo_id = api.emu.add_repository(ORG, REPO)
    other_id = api.emu.add_repository(ORG, "other")
    api.put(ORG_SCOPE, "EVERYONE", "v", visibility="all")
    api.put(ORG_SCOPE, "MINE", "v", visibility="selected", selected_repository_ids=[repo_id])
    api.put(ORG_SCOPE, "THEIRS", "v", visibility="selected", selected_repository_ids=[other_id])
    answer = api.client.get(f"/repos/{ORG}/{REPO}/actions/organization-secrets").json()
    assert [s["name"] for s in answer["secrets"]] == ["EVERYONE", "MINE"]
    assert answer["total_count"] == 2


@pytest.mark.parametrize(
    "name",
    ["1STARTS_WITH_DIGIT", "HAS-DASH", "HAS%20SPACE", "GITHUB_TOKEN", "github_lower", "Ü_NAME"],
)
def test_secret_names_follow_githubs_rules(api: Api, name: str) -> None:
    answer = api.put(REPO_SCOPE, name, "v")
    assert answer.status_code == 422
    assert set(answer.json()) >= {"message", "documentation_url"}
    assert api.emu.state()["github"]["secrets"] == []


@pytest.mark.parametrize("name", ["_UNDERSCORE_FIRST", "lower_case_ok", "A1"])
def test_valid_names_are_stored_upper_case(api: Api, name: str) -> None:
    assert api.put(REPO_SCOPE, name, "v").status_code == 201
    assert [s["name"] for s in api.emu.state()["github"]["secrets"]] == [name.upper()]


def test_bad_ciphertexts_and_keys_are_422_and_nothing_is_stored(api: Api) -> None:
    key = api.key(REPO_SCOPE)
    url = f"/{REPO_SCOPE}/secrets/X"
    stranger = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    bodies = [
        {"encrypted_value": "not base64!!", "key_id": key["key_id"]},
        {"encrypted_value": seal(stranger, "v"), "key_id": key["key_id"]},
        {"encrypted_value": base64.b64encode(b"plain text").decode(), "key_id": key["key_id"]},
        {"encrypted_value": seal(key["key"], "v"), "key_id": "123"},
        {"encrypted_value": seal(key["key"], "v")},
        {"key_id": key["key_id"]},
        {"encrypted_value": 12, "key_id": key["key_id"]},
    ]
    for body in bodies:
        answer = api.client.put(url, json=body)
        assert answer.status_code == 422, body
        assert answer.json()["documentation_url"].startswith("https://docs.github.com/")
    assert api.client.put(url, content=b"{not json").status_code == 400
    assert api.client.put(url, json=["a list"]).status_code == 400
    assert api.emu.state()["github"]["secrets"] == []


def test_a_rotated_key_makes_the_old_key_id_stale(api: Api) -> None:
    old = api.key(REPO_SCOPE)
    new_id = api.emu.rotate_public_key(f"repos/{ORG}/{REPO}")
    assert new_id != old["key_id"]
    body = {"encrypted_value": seal(old["key"], "v"), "key_id": old["key_id"]}
    assert api.client.put(f"/{REPO_SCOPE}/secrets/X", json=body).status_code == 422
    assert api.key(REPO_SCOPE)["key_id"] == new_id
    assert api.put(REPO_SCOPE, "X", "v").status_code == 201


def test_values_are_limited_to_48_kib(api: Api) -> None:
    assert api.put(REPO_SCOPE, "FITS", b"x" * (48 * 1024)).status_code == 201
    assert api.put(REPO_SCOPE, "TOO_BIG", b"x" * (48 * 1024 + 1)).status_code == 422
    assert [s["name"] for s in api.emu.state()["github"]["secrets"]] == ["FITS"]


def test_values_round_trip_byte_for_byte(api: Api) -> None:
    value = "line1\nline2 $HOME ${x} $$ ünïcödé 🙂 yes ~ null 0123 "
    assert api.put(ENV_SCOPE, "TRICKY", value).status_code == 201
    assert stored(api.emu, "TRICKY")[0]["value"] == value


@pytest.mark.parametrize(
    ("scope", "limit"), [(REPO_SCOPE, 100), (ENV_SCOPE, 100), (ORG_SCOPE, 1000)]
)
def test_secret_count_limits(api: Api, scope: str, limit: int) -> None:
    path = scope.removesuffix("/actions")
    for i in range(limit):
        api.emu.seed_github_secret(path, f"S_{i:04d}", "v")
    assert api.put(scope, "ONE_TOO_MANY", "v", **_extra(scope)).status_code == 422
    assert api.put(scope, "S_0000", "new", **_extra(scope)).status_code == 204  # updates still fit
    assert len(api.emu.state()["github"]["secrets"]) == limit


def test_unknown_repository_and_environment_are_404(api: Api) -> None:
    for path in (
        f"/repos/{ORG}/nope/actions/secrets",
        f"/repos/{ORG}/nope/actions/secrets/public-key",
        f"/repos/{ORG}/{REPO}/environments/staging/secrets",
        f"/repos/{ORG}/{REPO}/environments/staging/secrets/public-key",
        f"/repos/{ORG}/nope",
        "/not/an/api/route",
    ):
        answer = api.client.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["message"] == "Not Found"


def test_org_and_repository_lookups(api: Api) -> None:
    repo_id = api.emu.add_repository(ORG, REPO)
    repo = api.client.get(f"/repos/{ORG.upper()}/{REPO}").json()
    assert (repo["id"], repo["name"], repo["full_name"]) == (repo_id, REPO, f"{ORG}/{REPO}")
    assert repo["owner"]["login"] == ORG
    assert repo["url"] == f"{api.base_url}/repos/{ORG}/{REPO}"
    org = api.client.get(f"/orgs/{ORG}").json()
    assert (org["login"], org["url"]) == (ORG, f"{api.base_url}/orgs/{ORG}")
    env = api.client.get(f"/repos/{ORG}/{REPO}/environments/production").json()
    assert env["name"] == "production"


def test_every_answer_carries_rate_limit_headers_and_counts(api: Api) -> None:
    first = api.client.get(f"/{ORG_SCOPE}/secrets")
    missing = api.client.get(f"/repos/{ORG}/nope/actions/secrets")
    for answer in (first, missing):
        assert answer.headers["x-ratelimit-limit"] == "5000"
        assert answer.headers["x-ratelimit-resource"] == "core"
        assert int(answer.headers["x-ratelimit-reset"]) > datetime.now().timestamp()
    assert int(missing.headers["x-ratelimit-used"]) == int(first.headers["x-ratelimit-used"]) + 1
    assert int(missing.headers["x-ratelimit-remaining"]) == 5000 - int(
        missing.headers["x-ratelimit-used"]
    )


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Bearer"])
def test_requests_without_usable_credentials_get_401(api: Api, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    api.client.headers.pop("Authorization")
    for path in (f"/{ORG_SCOPE}/secrets", "/api/esc/environments/acme"):
        answer = api.client.get(path, headers=headers)
        assert answer.status_code == 401
        expected = (
            "Requires authentication" if not header or not header.strip() else "Bad credentials"
        )
        assert answer.json()["message"] == expected


@pytest.mark.parametrize("header", ["Bearer abc", "token abc", "bearer abc"])
def test_any_bearer_or_token_credential_is_accepted(api: Api, header: str) -> None:
    assert (
        api.client.get(f"/{ORG_SCOPE}/secrets", headers={"Authorization": header}).status_code
        == 200
    )


def test_primary_budget_runs_out_with_403() -> None:
    emu = Emulator(primary_limit=2)
    with httpx.Client(
        transport=emu.transport(), base_url="http://gh.test", headers={"Authorization": "token t"}
    ) as client:
        assert [client.get(f"/orgs/{ORG}").status_code for _ in range(3)] == [200, 200, 403]
        last = client.get(f"/orgs/{ORG}")
    assert last.headers["x-ratelimit-remaining"] == "0"
    assert "rate limit" in last.json()["message"]


def test_values_never_reach_the_request_log_or_reprs(api: Api) -> None:
    api.put(REPO_SCOPE, "CANARY", CANARY)
    api.emu.seed_github_secret(f"orgs/{ORG}", "SEEDED", CANARY)
    assert CANARY not in str(api.emu.request_log())
    assert CANARY not in repr(api.emu.github.store.scopes)
    assert CANARY not in repr(api.emu.transport())
    assert CANARY in str(api.emu.state())  # only the state control shows values


def test_head_answers_like_get_without_a_body(api: Api) -> None:
    api.emu.seed_github_secret(f"orgs/{ORG}", "A", "v")
    got = api.client.get(f"/{ORG_SCOPE}/secrets")
    head = api.client.head(f"/{ORG_SCOPE}/secrets")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == got.headers["content-length"]
    assert api.client.head(f"/{ORG_SCOPE}/secrets/NOPE").status_code == 404
