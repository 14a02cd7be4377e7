"""GitHub's repository and deployment-environment operations, and the API root.

What outside clients need before they can touch a repository or environment secret:
``POST /orgs/{org}/repos`` (PyGithub's ``org.create_repo``), ``GET /repos/{o}/{r}``,
``GET /orgs/{org}/repos``, and ``PUT|GET|DELETE /repos/{o}/{r}/environments/{name}`` with
its list. Shapes follow GitHub's description (``full-repository``, ``minimal-repository``,
``environment``, ``root``); the tests validate them against a cut of it.

What the emulator does not model, and says so in its answers: no git content (every
repository is empty, ``size`` 0, ``default_branch`` ``main``), no users or teams (an
environment's ``reviewers`` can name nobody, so a non-empty list is refused as GitHub
refuses an unknown reviewer), no forks, stars or issues (all counts 0).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from secretsync.emulator._http import EmuRequest, EmuResponse, isoformat_z
from secretsync.emulator.github_shapes import api_base, paginate, repository_json
from secretsync.emulator.github_store import (
    DeployEnvironment,
    GitHubError,
    GitHubStore,
    Repository,
)

__all__ = [
    "MAX_REPO_NAME",
    "MAX_WAIT_TIMER",
    "create_repository",
    "environment_json",
    "full_repository_json",
    "get_repository",
    "list_environments",
    "list_org_repositories",
    "meta_root",
    "organization_json",
    "put_environment",
]

MAX_WAIT_TIMER = 43200  # minutes (30 days), GitHub's documented maximum
MAX_REPO_NAME = 100
_REPO_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_REPOS_DOCS = "https://docs.github.com/rest/repos/repos"
_ENV_DOCS = "https://docs.github.com/rest/deployments/environments"
_ENV_KEYS = frozenset(
    {"wait_timer", "prevent_self_review", "reviewers", "deployment_branch_policy"}
)
_ORG_LIST_TYPES = ("all", "public", "private", "forks", "sources", "member")


def _invalid(message: str, docs: str) -> GitHubError:
    return GitHubError(422, message, docs)


# -- repositories ------------------------------------------------------------------------


def full_repository_json(base: str, repo: Repository, owner_id: int) -> dict[str, Any]:
    """A ``full-repository`` object: the minimal one plus counts, settings and times."""
    out = repository_json(base, repo, owner_id)
    created, updated = isoformat_z(repo.created_at), isoformat_z(repo.updated_at)
    out.update(
        {
            "description": repo.description,
            "homepage": repo.homepage,
            "mirror_url": None,
            "svn_url": f"https://github.com/{repo.full_name}",
            "language": None,
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "open_issues": 0,
            "open_issues_count": 0,
            "network_count": 0,
            "subscribers_count": 0,
            "size": 0,
            "default_branch": "main",
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "license": None,
            "pushed_at": created,
            "created_at": created,
            "updated_at": updated,
            "allow_forking": repo.visibility != "private",
            "web_commit_signoff_required": False,
            "organization": out["owner"],
        }
    )
    return out


def _minimal(base: str, repo: Repository, owner_id: int) -> dict[str, Any]:
    out = repository_json(base, repo, owner_id)
    out.update(
        {
            "description": repo.description,
            "created_at": isoformat_z(repo.created_at),
            "updated_at": isoformat_z(repo.updated_at),
        }
    )
    return out


def get_repository(store: GitHubStore, req: EmuRequest, owner: str, name: str) -> EmuResponse:
    repo = store.repository(owner, name)
    return EmuResponse.json(
        200, full_repository_json(api_base(req), repo, store.org_id(repo.owner))
    )


def create_repository(
    store: GitHubStore, req: EmuRequest, org: str, body: dict[str, Any]
) -> EmuResponse:
    """``POST /orgs/{org}/repos``: 201 with the new repository, 422 for a bad or taken name."""
    docs = f"{_REPOS_DOCS}#create-an-organization-repository"
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _invalid('Invalid request.\n\n"name" wasn\'t supplied.', docs)
    # GitHub keeps letters, digits, ".", "-" and "_" and turns every other character into
    # "-" ("my repo" is created as "my-repo"); "." and ".." are reserved.
    name = _REPO_CHARS.sub("-", name.strip())
    if name in (".", "..") or len(name) > MAX_REPO_NAME:
        raise _invalid(f"Repository creation failed: the name {name!r} is not allowed.", docs)
    for key in ("description", "homepage"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise _invalid(f"Invalid request.\n\n{key} must be a string.", docs)
    visibility = body.get("visibility")
    if visibility is None:
        visibility = "private" if body.get("private") is True else "public"
    if visibility not in ("public", "private"):
        raise _invalid("Invalid request.\n\nvisibility must be public or private.", docs)
    repo = store.create_repository(
        org,
        name,
        visibility=visibility,
        description=body.get("description"),
        homepage=body.get("homepage"),
    )
    base = api_base(req)
    headers = {"Location": f"{base}/repos/{repo.full_name}"}
    payload = full_repository_json(base, repo, store.org_id(org))
    return EmuResponse.json(201, payload, headers)


def list_org_repositories(store: GitHubStore, req: EmuRequest, org: str) -> EmuResponse:
    """``GET /orgs/{org}/repos``: ``type`` and ``sort``/``direction`` as documented."""
    kind = req.arg("type", "all") or "all"
    if kind not in _ORG_LIST_TYPES:
        raise _invalid(
            f"Invalid request.\n\ntype must be one of: {', '.join(_ORG_LIST_TYPES)}.",
            f"{_REPOS_DOCS}#list-organization-repositories",
        )
    repos = store.org_repositories(org)
    if kind in ("public", "private"):
        repos = [r for r in repos if (r.visibility == "public") == (kind == "public")]
    elif kind == "forks":
        repos = []  # the emulator has no forks
    sort = req.arg("sort", "created") or "created"
    keys = {
        "full_name": lambda r: r.full_name.lower(),
        "updated": lambda r: (r.updated_at, r.id),
        "pushed": lambda r: (r.created_at, r.id),
    }
    descending = req.arg("direction", "asc" if sort == "full_name" else "desc") == "desc"
    repos = sorted(repos, key=keys.get(sort, lambda r: (r.created_at, r.id)), reverse=descending)
    base, owner_id = api_base(req), store.org_id(org)
    return paginate(req, [_minimal(base, r, owner_id) for r in repos], None)


# -- deployment environments ---------------------------------------------------------------


def environment_json(base: str, repo: Repository, env: DeployEnvironment) -> dict[str, Any]:
    """An ``environment`` object; protection rules only for what was configured."""
    out: dict[str, Any] = {
        "id": env.id,
        "node_id": f"EN_{env.id}",
        "name": env.name,
        "url": f"{base}/repos/{repo.full_name}/environments/{quote(env.name, safe='')}",
        "html_url": (
            f"https://github.com/{repo.full_name}/deployments/activity_log"
            f"?environments_filter={quote(env.name, safe='')}"
        ),
        "created_at": isoformat_z(env.created_at),
        "updated_at": isoformat_z(env.updated_at),
        "protection_rules": [],
        "deployment_branch_policy": env.branch_policy,
    }
    if env.wait_timer:
        out["protection_rules"].append(
            {
                "id": env.id * 10 + 1,
                "node_id": f"GA_{env.id}_1",
                "type": "wait_timer",
                "wait_timer": env.wait_timer,
            }
        )
    if env.branch_policy is not None:
        out["protection_rules"].append(
            {"id": env.id * 10 + 2, "node_id": f"GA_{env.id}_2", "type": "branch_policy"}
        )
    return out


def _environment_settings(body: Any) -> tuple[int | None, dict[str, bool] | None, bool]:
    """``wait_timer``, ``deployment_branch_policy`` and whether the policy was named."""
    docs = f"{_ENV_DOCS}#create-or-update-an-environment"
    if body is None:
        return None, None, False
    if not isinstance(body, dict):
        raise _invalid("Invalid request.\n\nThe body must be an object.", docs)
    unknown = sorted(set(body) - _ENV_KEYS)
    if unknown:
        raise _invalid(f"Invalid request.\n\n{unknown[0]} is not a permitted key.", docs)
    wait = body.get("wait_timer")
    if wait is not None and (
        not isinstance(wait, int) or isinstance(wait, bool) or not 0 <= wait <= MAX_WAIT_TIMER
    ):
        raise _invalid(f"Invalid request.\n\nwait_timer must be 0 to {MAX_WAIT_TIMER}.", docs)
    if body.get("reviewers"):
        raise _invalid("Invalid request.\n\nNo reviewer with that id exists.", docs)
    policy = body.get("deployment_branch_policy")
    if policy is not None:
        flags = (policy.get("protected_branches"), policy.get("custom_branch_policies"))
        if (
            not isinstance(policy, dict)
            or not all(isinstance(f, bool) for f in flags)
            or flags[0] == flags[1]
        ):
            raise _invalid(
                "Invalid request.\n\nExactly one of protected_branches and "
                "custom_branch_policies must be true.",
                docs,
            )
        policy = {"protected_branches": flags[0], "custom_branch_policies": flags[1]}
    return wait, policy, "deployment_branch_policy" in body


def put_environment(
    store: GitHubStore, req: EmuRequest, owner: str, repo_name: str, name: str, body: Any
) -> EmuResponse:
    """Create or update: 200 with the environment either way, as GitHub answers."""
    wait, policy, policy_named = _environment_settings(body)
    if not name.strip():
        raise _invalid("Invalid request.\n\nThe environment name is empty.", _ENV_DOCS)
    repo = store.repository(owner, repo_name)
    env = store.add_environment(repo.owner, repo.name, name)
    if wait is not None:
        env.wait_timer = wait
    if policy_named:
        env.branch_policy = policy
    return EmuResponse.json(200, environment_json(api_base(req), repo, env))


def get_environment(
    store: GitHubStore, req: EmuRequest, owner: str, repo_name: str, name: str
) -> EmuResponse:
    repo = store.repository(owner, repo_name)
    env = store.environment(owner, repo_name, name)
    return EmuResponse.json(200, environment_json(api_base(req), repo, env))


def list_environments(
    store: GitHubStore, req: EmuRequest, owner: str, repo_name: str
) -> EmuResponse:
    repo = store.repository(owner, repo_name)
    base = api_base(req)
    envs = sorted(repo.environments.values(), key=lambda e: e.name.lower())
    return paginate(req, [environment_json(base, repo, e) for e in envs], "environments")


# -- the API root --------------------------------------------------------------------------

_ROOT = {
    "current_user_url": "/user",
    "current_user_authorizations_html_url": "",
    "authorizations_url": "/authorizations",
    "code_search_url": "/search/code?q={query}{&page,per_page,sort,order}",
    "commit_search_url": "/search/commits?q={query}{&page,per_page,sort,order}",
    "emails_url": "/user/emails",
    "emojis_url": "/emojis",
    "events_url": "/events",
    "feeds_url": "/feeds",
    "followers_url": "/user/followers",
    "following_url": "/user/following{/target}",
    "gists_url": "/gists{/gist_id}",
    "issue_search_url": "/search/issues?q={query}{&page,per_page,sort,order}",
    "issues_url": "/issues",
    "keys_url": "/user/keys",
    "label_search_url": "/search/labels?q={query}&repository_id={repository_id}{&page,per_page}",
    "notifications_url": "/notifications",
    "organization_url": "/orgs/{org}",
    "organization_repositories_url": "/orgs/{org}/repos{?type,page,per_page,sort}",
    "organization_teams_url": "/orgs/{org}/teams",
    "public_gists_url": "/gists/public",
    "rate_limit_url": "/rate_limit",
    "repository_url": "/repos/{owner}/{repo}",
    "repository_search_url": "/search/repositories?q={query}{&page,per_page,sort,order}",
    "current_user_repositories_url": "/user/repos{?type,page,per_page,sort}",
    "starred_url": "/user/starred{/owner}{/repo}",
    "starred_gists_url": "/gists/starred",
    "user_url": "/users/{user}",
    "user_organizations_url": "/user/orgs",
    "user_repositories_url": "/users/{user}/repos{?type,page,per_page,sort}",
    "user_search_url": "/search/users?q={query}{&page,per_page,sort,order}",
}


def meta_root(req: EmuRequest) -> EmuResponse:
    """``GET /``: the hypermedia index (``gh auth status`` reads the scopes header from it).

    Most of what it points at is not emulated; the links say where GitHub has them."""
    base = api_base(req)
    payload = {
        key: (
            f"{base}{path}"
            if key != "current_user_authorizations_html_url"
            else "https://github.com/settings/connections/applications{/client_id}"
        )
        for key, path in _ROOT.items()
    }
    return EmuResponse.json(200, payload)


def organization_json(store: GitHubStore, base: str, org: str) -> dict[str, Any]:
    """An ``organization-full`` object; organizations exist as soon as they are named."""
    url = f"{base}/orgs/{org}"
    repos = store.org_repositories(org)
    created = isoformat_z(store.org_created(org))
    return {
        "login": org,
        "id": store.org_id(org),
        "node_id": f"O_{org}",
        "url": url,
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events",
        "hooks_url": f"{url}/hooks",
        "issues_url": f"{url}/issues",
        "members_url": f"{url}/members{{/member}}",
        "public_members_url": f"{url}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/{org}",
        "description": None,
        "html_url": f"https://github.com/{org}",
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": sum(1 for r in repos if r.visibility == "public"),
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "type": "Organization",
        "total_private_repos": sum(1 for r in repos if r.visibility != "public"),
        "owned_private_repos": sum(1 for r in repos if r.visibility != "public"),
        "created_at": created,
        "updated_at": created,
        "archived_at": None,
    }
