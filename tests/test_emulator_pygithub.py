"""PyGithub, unmodified, against the served emulator: the emulator speaks GitHub, not just
what secretsync's own client expects. PyGithub seals values with its own PyNaCl code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from github import Auth, Github, GithubException

from secretsync.emulator import Emulator, ServedEmulator

ORG = "ai-cherry"
CANARY = "canary-Ty6hNb3Qz8Wc1Ls"


@pytest.fixture
def gh(secretsync_emulator_server: ServedEmulator) -> Iterator[Github]:
    client = Github(
        base_url=secretsync_emulator_server.url,
        auth=Auth.Token("test-token"),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    yield client
    client.close()


def values(emu: Emulator) -> dict[tuple[str, str], str]:
    return {(s["scope"], s["name"]): s["value"] for s in emu.state()["github"]["secrets"]}


def test_organization_secret_create_list_delete(gh: Github, secretsync_emulator: Emulator) -> None:
    secretsync_emulator.add_repository(ORG, "sophia-main")
    org = gh.get_organization(ORG)
    org.create_secret("openai_api_key", CANARY, visibility="private")
    repo = gh.get_repo(f"{ORG}/sophia-main")
    org.create_secret("PICKED", "p", visibility="selected", selected_repositories=[repo])

    assert values(secretsync_emulator) == {
        (f"orgs/{ORG}", "OPENAI_API_KEY"): CANARY,
        (f"orgs/{ORG}", "PICKED"): "p",
    }
    listed = {s.name: s.visibility for s in org.get_secrets()}
    assert listed == {"OPENAI_API_KEY": "private", "PICKED": "selected"}
    picked = org.get_secret("PICKED")
    assert [r.full_name for r in picked.selected_repositories] == [f"{ORG}/sophia-main"]

    org.get_secret("OPENAI_API_KEY").delete()
    assert [s.name for s in org.get_secrets()] == ["PICKED"]


def test_repository_secret_create_update_list_delete(
    gh: Github, secretsync_emulator: Emulator
) -> None:
    secretsync_emulator.add_repository(ORG, "sophia-main")
    repo = gh.get_repo(f"{ORG}/sophia-main")
    repo.create_secret("DB_PASSWORD", CANARY)
    repo.create_secret("DB_PASSWORD", CANARY + "-rotated")  # 204 on update
    for i in range(35):  # more than one page: PyGithub follows the Link header
        secretsync_emulator.seed_github_secret(f"repos/{ORG}/sophia-main", f"EXTRA_{i:02d}", "x")

    assert values(secretsync_emulator)[(f"repos/{ORG}/sophia-main", "DB_PASSWORD")] == (
        CANARY + "-rotated"
    )
    listed = [s.name for s in repo.get_secrets()]
    assert len(listed) == 36
    assert listed[0] == "DB_PASSWORD"
    assert repo.delete_secret("DB_PASSWORD") is True
    assert repo.delete_secret("DB_PASSWORD") is False  # 404 the second time
    assert "DB_PASSWORD" not in [s.name for s in repo.get_secrets()]


def test_pygithub_sees_githubs_errors(gh: Github) -> None:
    with pytest.raises(GithubException) as caught:
        gh.get_repo(f"{ORG}/does-not-exist")
    assert caught.value.status == 404
    org = gh.get_organization(ORG)
    with pytest.raises(GithubException) as caught:
        org.create_secret("GITHUB_NOPE", "v", visibility="all")
    assert caught.value.status == 422


def test_create_repository_and_environment_then_write_secrets_in_both(
    gh: Github, secretsync_emulator: Emulator
) -> None:
    org = gh.get_organization(ORG)
    repo = org.create_repo("payments", description="made by PyGithub", private=True)
    assert (repo.full_name, repo.private, repo.description) == (
        f"{ORG}/payments",
        True,
        "made by PyGithub",
    )
    assert [r.name for r in org.get_repos()] == ["payments"]
    with pytest.raises(GithubException) as taken:
        org.create_repo("payments")
    assert taken.value.status == 422

    env = repo.create_environment("production", wait_timer=5)
    assert env.name == "production"
    assert [rule.type for rule in env.protection_rules] == ["wait_timer"]
    repo.create_environment("staging")
    assert [e.name for e in repo.get_environments()] == ["production", "staging"]
    assert repo.get_environment("staging").url.endswith(
        f"/repos/{ORG}/payments/environments/staging"
    )

    repo.create_secret("REPO_TOKEN", CANARY)
    env.create_secret("ENV_TOKEN", CANARY + "-env")
    assert values(secretsync_emulator) == {
        (f"repos/{ORG}/payments", "REPO_TOKEN"): CANARY,
        (f"repos/{ORG}/payments/environments/production", "ENV_TOKEN"): CANARY + "-env",
    }
    assert [s.name for s in env.get_secrets()] == ["ENV_TOKEN"]

    repo.delete_environment("staging")
    assert [e.name for e in repo.get_environments()] == ["production"]
    with pytest.raises(GithubException) as gone:
        repo.get_environment("staging")
    assert gone.value.status == 404


def test_a_ghes_style_base_url_works_too(
    secretsync_emulator_server: ServedEmulator, secretsync_emulator: Emulator
) -> None:
    client = Github(
        base_url=secretsync_emulator_server.url + "/api/v3",
        auth=Auth.Token("t"),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    try:
        repo = client.get_organization(ORG).create_repo("ghes")
        repo.create_secret("VIA_PREFIX", "v")
        assert repo.url == f"{secretsync_emulator_server.url}/api/v3/repos/{ORG}/ghes"
    finally:
        client.close()
    assert values(secretsync_emulator) == {(f"repos/{ORG}/ghes", "VIA_PREFIX"): "v"}
