"""The GitHub REST operations the emulator answers, shaped as GitHub's OpenAPI description.

Actions secrets at organization, repository and environment scope (list with ``Link``
pagination, get, public key, create-or-update with sealed boxes, delete), the selected
repositories of an organization secret, the organization lookup, and (in
:mod:`~secretsync.emulator.github_repos`) repositories, deployment environments and the API
root; GraphQL is :mod:`~secretsync.emulator.github_graphql`. Anything else is 404, as
GitHub answers unknown routes.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote

from secretsync.emulator import github_repos as gr
from secretsync.emulator._http import Clock, EmuRequest, EmuResponse, isoformat_z
from secretsync.emulator.github_shapes import api_base, error_response, paginate, repository_json
from secretsync.emulator.github_store import (
    VISIBILITIES,
    GitHubError,
    GitHubStore,
    SecretScope,
    check_secret_name,
)

__all__ = ["GitHubService"]

Handler = Callable[[EmuRequest, list[str]], EmuResponse]
_SEG = "([^/]+)"
_ORG = f"/orgs/{_SEG}/actions/secrets"
_REPO = f"/repos/{_SEG}/{_SEG}"
_ENV = f"{_REPO}/environments/{_SEG}/secrets"


class GitHubService:
    """Routes one GitHub request to its operation; thread safety is the caller's lock."""

    def __init__(self, clock: Clock, rng: random.Random) -> None:
        self.store = GitHubStore(clock, rng)
        s = self
        st = self.store
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "", lambda r, a: gr.meta_root(r)),
            ("POST", "/graphql", s._graphql),
            ("GET", f"/orgs/{_SEG}", s._get_org),
            ("GET", f"/orgs/{_SEG}/repos", lambda r, a: gr.list_org_repositories(st, r, *a)),
            (
                "POST",
                f"/orgs/{_SEG}/repos",
                lambda r, a: gr.create_repository(st, r, a[0], _json_object(r)),
            ),
            ("GET", _REPO, lambda r, a: gr.get_repository(st, r, *a)),
            ("GET", f"{_REPO}/environments", lambda r, a: gr.list_environments(st, r, *a)),
            ("GET", f"{_REPO}/environments/{_SEG}", lambda r, a: gr.get_environment(st, r, *a)),
            (
                "PUT",
                f"{_REPO}/environments/{_SEG}",
                lambda r, a: gr.put_environment(st, r, a[0], a[1], a[2], _json_body(r)),
            ),
            ("DELETE", f"{_REPO}/environments/{_SEG}", s._delete_environment),
            ("GET", _ORG, lambda r, a: s._list(r, s.store.org_scope(a[0]))),
            ("GET", f"{_ORG}/public-key", lambda r, a: s._key(s.store.org_scope(a[0]))),
            ("GET", f"{_ORG}/{_SEG}", lambda r, a: s._get(s.store.org_scope(a[0]), a[1], r)),
            ("PUT", f"{_ORG}/{_SEG}", lambda r, a: s._put(r, s.store.org_scope(a[0]), a[1])),
            ("DELETE", f"{_ORG}/{_SEG}", lambda r, a: s._delete(s.store.org_scope(a[0]), a[1])),
            ("GET", f"{_ORG}/{_SEG}/repositories", s._list_selected),
            ("PUT", f"{_ORG}/{_SEG}/repositories", s._set_selected),
            ("PUT", f"{_ORG}/{_SEG}/repositories/([0-9]+)", s._add_selected),
            ("DELETE", f"{_ORG}/{_SEG}/repositories/([0-9]+)", s._remove_selected),
            ("GET", f"{_REPO}/actions/organization-secrets", s._list_repo_org_secrets),
            ("GET", f"{_REPO}/actions/secrets", lambda r, a: s._list(r, s.store.repo_scope(*a))),
            ("GET", f"{_REPO}/actions/secrets/public-key", lambda r, a: s._key(s._repo(a))),
            ("GET", f"{_REPO}/actions/secrets/{_SEG}", lambda r, a: s._get(s._repo(a), a[2], r)),
            ("PUT", f"{_REPO}/actions/secrets/{_SEG}", lambda r, a: s._put(r, s._repo(a), a[2])),
            ("DELETE", f"{_REPO}/actions/secrets/{_SEG}", lambda r, a: s._delete(s._repo(a), a[2])),
            ("GET", _ENV, lambda r, a: s._list(r, s._env(a))),
            ("GET", f"{_ENV}/public-key", lambda r, a: s._key(s._env(a))),
            ("GET", f"{_ENV}/{_SEG}", lambda r, a: s._get(s._env(a), a[3], r)),
            ("PUT", f"{_ENV}/{_SEG}", lambda r, a: s._put(r, s._env(a), a[3])),
            ("DELETE", f"{_ENV}/{_SEG}", lambda r, a: s._delete(s._env(a), a[3])),
        ]
        self._routes = [(m, re.compile(p + r"/?\Z"), h) for m, p, h in routes]

    def handle(self, req: EmuRequest) -> EmuResponse:
        for method, pattern, handler in self._routes:
            match = pattern.match(req.path)
            if match and req.method in (method, "HEAD" if method == "GET" else method):
                args = [unquote(g) for g in match.groups()]
                try:
                    return handler(req, args)
                except GitHubError as exc:
                    return error_response(
                        exc.status, exc.message, exc.documentation_url, exc.errors
                    )
        return error_response(404, "Not Found", "https://docs.github.com/rest")

    def _repo(self, args: Sequence[str]) -> SecretScope:
        return self.store.repo_scope(args[0], args[1])

    def _env(self, args: Sequence[str]) -> SecretScope:
        return self.store.env_scope(args[0], args[1], args[2])

    # -- organizations, repositories, environments -------------------------------------
    def _get_org(self, req: EmuRequest, args: list[str]) -> EmuResponse:
        return EmuResponse.json(200, gr.organization_json(self.store, api_base(req), args[0]))

    def _delete_environment(self, req: EmuRequest, args: list[str]) -> EmuResponse:
        self.store.delete_environment(*args)
        return EmuResponse.empty(204)

    def _graphql(self, req: EmuRequest, args: list[str]) -> EmuResponse:
        """GraphQL is answered by its own module, imported on the first query."""
        from secretsync.emulator.github_graphql import answer

        return answer(self.store, req)

    # -- secrets -----------------------------------------------------------------------
    def _secret_json(self, req: EmuRequest, scope: SecretScope, name: str) -> dict[str, Any]:
        stored = scope.secrets[name]
        out: dict[str, Any] = {
            "name": stored.name,
            "created_at": isoformat_z(stored.created_at),
            "updated_at": isoformat_z(stored.updated_at),
        }
        if scope.kind == "org":
            out["visibility"] = stored.visibility
            if stored.visibility == "selected":
                out["selected_repositories_url"] = (
                    f"{api_base(req)}/{scope.path}/actions/secrets/{stored.name}/repositories"
                )
        return out

    def _list(self, req: EmuRequest, scope: SecretScope) -> EmuResponse:
        items = [self._secret_json(req, scope, name) for name in sorted(scope.secrets)]
        return paginate(req, items, "secrets")

    def _key(self, scope: SecretScope) -> EmuResponse:
        return EmuResponse.json(200, {"key_id": scope.key_id, "key": scope.public_key})

    def _get(self, scope: SecretScope, name: str, req: EmuRequest) -> EmuResponse:
        stored = self.store.secret(scope, name)
        return EmuResponse.json(200, self._secret_json(req, scope, stored.name))

    def _put(self, req: EmuRequest, scope: SecretScope, raw_name: str) -> EmuResponse:
        body = _json_object(req)
        name = check_secret_name(raw_name)
        for required in ("encrypted_value", "key_id"):
            if not isinstance(body.get(required), str):
                raise GitHubError(422, f'Invalid request.\n\n"{required}" wasn\'t supplied.')
        visibility, repository_ids = None, None
        if scope.kind == "org":
            visibility = body.get("visibility")
            if visibility not in VISIBILITIES:
                raise GitHubError(
                    422, "Invalid request.\n\nvisibility must be one of: all, private, selected."
                )
            if "selected_repository_ids" in body:
                if visibility != "selected":
                    raise GitHubError(
                        422, "selected_repository_ids can only be given with visibility selected."
                    )
                repository_ids = self.store.org_repository_ids(
                    scope.org, body["selected_repository_ids"]
                )
        value = scope.open(body["key_id"], body["encrypted_value"])
        created = self.store.put(
            scope, name, value, visibility=visibility, repository_ids=repository_ids
        )
        return EmuResponse.json(201, {}) if created else EmuResponse.empty(204)

    def _delete(self, scope: SecretScope, raw_name: str) -> EmuResponse:
        stored = self.store.secret(scope, raw_name)
        del scope.secrets[stored.name]
        return EmuResponse.empty(204)

    # -- selected repositories of an organization secret --------------------------------
    def _org_secret(self, args: Sequence[str]) -> tuple[SecretScope, str]:
        scope = self.store.org_scope(args[0])
        return scope, self.store.secret(scope, args[1]).name

    def _list_selected(self, req: EmuRequest, args: list[str]) -> EmuResponse:
        scope, name = self._org_secret(args)
        repos = [self.store.repository_by_id(i) for i in sorted(scope.secrets[name].repository_ids)]
        base = api_base(req)
        owner_id = self.store.org_id(scope.org)
        items = [repository_json(base, repo, owner_id) for repo in repos if repo is not None]
        return paginate(req, items, "repositories")

    def _selected_only(self, scope: SecretScope, name: str) -> set[int]:
        stored = scope.secrets[name]
        if stored.visibility != "selected":
            raise GitHubError(409, "The secret's visibility is not set to selected.")
        return stored.repository_ids

    def _set_selected(self, req: EmuRequest, args: list[str]) -> EmuResponse:
        scope, name = self._org_secret(args)
        body = _json_object(req)
        if "selected_repository_ids" not in body:
            raise GitHubError(
                422, 'Invalid request.\n\n"selected_repository_ids" wasn\'t supplied.'
            )
        ids = self.store.org_repository_ids(scope.org, body["selected_repository_ids"])
        self._selected_only(scope, name)
        scope.secrets[name].repository_ids = ids
        return EmuResponse.empty(204)

    def _add_selected(self, req: EmuRequest, args: list[str]) -> EmuResponse:
        scope, name = self._org_secret(args)
        ids = self.store.org_repository_ids(scope.org, [int(args[2])])
        self._selected_only(scope, name).update(ids)
        return EmuResponse.empty(204)

    def _remove_selected(self, req: EmuRequest, args: list[str]) -> EmuResponse:
        scope, name = self._org_secret(args)
        self._selected_only(scope, name).discard(int(args[2]))
        return EmuResponse.empty(204)

    def _list_repo_org_secrets(self, req: EmuRequest, args: list[str]) -> EmuResponse:
        """Organization secrets this repository can use (``all``, ``private``, or selected)."""
        repo = self.store.repository(args[0], args[1])
        scope = self.store.org_scope(repo.owner)
        items = []
        for name in sorted(scope.secrets):
            stored = scope.secrets[name]
            if stored.visibility != "selected" or repo.id in stored.repository_ids:
                items.append(
                    {
                        "name": stored.name,
                        "created_at": isoformat_z(stored.created_at),
                        "updated_at": isoformat_z(stored.updated_at),
                    }
                )
        return paginate(req, items, "secrets")


def _json_body(req: EmuRequest) -> Any:
    """The parsed JSON body, ``None`` when there is none (an optional body)."""
    if not req.body.strip():
        return None
    return _parsed(req)


def _parsed(req: EmuRequest) -> Any:
    try:
        return req.json()
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise GitHubError(
            400,
            "Problems parsing JSON",
            "https://docs.github.com/rest/overview/resources-in-the-rest-api",
        ) from None


def _json_object(req: EmuRequest) -> dict[str, Any]:
    body = _parsed(req)
    if not isinstance(body, dict):
        raise GitHubError(400, "Problems parsing JSON")
    return body
