"""How GitHub shapes what it returns: error documents, pages with ``Link`` headers,
``minimal-repository`` objects. Links are built on the base URL the client used, so a
client following them stays on the emulator."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from secretsync.emulator._http import EmuRequest, EmuResponse
from secretsync.emulator.github_store import Repository

__all__ = ["api_base", "error_response", "paginate", "repository_json"]


def error_response(
    status: int,
    message: str,
    documentation_url: str,
    errors: list[dict[str, str]] | None = None,
) -> EmuResponse:
    """GitHub's error document; a 422 may list ``errors`` (resource, field, code)."""
    payload: dict[str, Any] = {"message": message}
    if errors:
        payload["errors"] = errors
    payload.update({"documentation_url": documentation_url, "status": str(status)})
    return EmuResponse.json(status, payload)


def api_base(req: EmuRequest) -> str:
    """The base URL the client used, so every link leads back to this emulator."""
    if req.base_url:
        return req.base_url
    return f"http://{req.headers.get('host', '127.0.0.1')}"


def _int_arg(req: EmuRequest, name: str, default: int) -> int:
    raw = req.arg(name)
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if value >= 1 else default


def paginate(req: EmuRequest, items: list[dict[str, Any]], key: str | None) -> EmuResponse:
    """One page of ``items`` plus ``total_count``, and an RFC 5988 ``Link`` header.

    ``key`` None: the page is a bare JSON array, as GitHub lists repositories."""
    per_page = min(_int_arg(req, "per_page", 30), 100)
    page = _int_arg(req, "page", 1)
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]

    def link(number: int, rel: str) -> str:
        query = {k: v for k, v in req.query.items() if k not in ("page", "per_page")}
        params = [(k, v) for k, values in query.items() for v in values]
        params += [("per_page", str(per_page)), ("page", str(number))]
        return f'<{api_base(req)}{req.path}?{urlencode(params)}>; rel="{rel}"'

    rels = []
    if page > 1:
        rels += [link(min(page - 1, last), "prev")]
    if page < last:
        rels += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        rels += [link(1, "first")]
    headers = {"Link": ", ".join(rels)} if rels else {}
    if key is None:
        return EmuResponse.json(200, chunk, headers)
    return EmuResponse.json(200, {"total_count": len(items), key: chunk}, headers)


_REPO_URLS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}
_USER_URLS = {
    "followers_url": "/followers",
    "following_url": "/following{/other_user}",
    "gists_url": "/gists{/gist_id}",
    "starred_url": "/starred{/owner}{/repo}",
    "subscriptions_url": "/subscriptions",
    "organizations_url": "/orgs",
    "repos_url": "/repos",
    "events_url": "/events{/privacy}",
    "received_events_url": "/received_events",
}


def repository_json(base: str, repo: Repository, owner_id: int) -> dict[str, Any]:
    """A ``minimal-repository`` object (every required field), links on ``base``."""
    url = f"{base}/repos/{repo.full_name}"
    user_url = f"{base}/users/{repo.owner}"
    owner: dict[str, Any] = {
        "login": repo.owner,
        "id": owner_id,
        "node_id": f"O_{repo.owner}",
        "avatar_url": f"https://avatars.githubusercontent.com/{repo.owner}",
        "gravatar_id": "",
        "url": user_url,
        "html_url": f"https://github.com/{repo.owner}",
        "type": "Organization",
        "site_admin": False,
        **{k: user_url + v for k, v in _USER_URLS.items()},
    }
    return {
        "id": repo.id,
        "node_id": f"R_{repo.id}",
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": owner,
        "private": repo.private,
        "html_url": f"https://github.com/{repo.full_name}",
        "description": None,
        "fork": False,
        "url": url,
        **{k: url + v for k, v in _REPO_URLS.items()},
        "git_url": f"git://github.com/{repo.full_name}.git",
        "ssh_url": f"git@github.com:{repo.full_name}.git",
        "clone_url": f"https://github.com/{repo.full_name}.git",
        "visibility": repo.visibility,
    }
