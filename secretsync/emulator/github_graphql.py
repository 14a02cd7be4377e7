"""GitHub's GraphQL endpoint, for the part of its schema the GitHub CLI needs.

``gh auth status`` asks ``viewer { login }``; ``gh secret set --visibility selected --repos
a,b`` turns names into ids with one aliased ``repository(owner:, name:) { databaseId }``
per repository. The schema below is a subset of GitHub's own (same type and field names),
executed by graphql-core, the reference implementation's port, so aliases, fragments,
variables and validation errors behave as a real GraphQL server's do. Queries only: no
mutations. Imported on the first GraphQL request, never at start-up.

How GitHub shapes answers, kept here: HTTP 200 even for errors; a query that does not
validate answers ``errors`` without ``data``; a repository that cannot be resolved is
``null`` with an error whose top-level ``type`` is ``NOT_FOUND``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLSchema, build_schema, graphql_sync

from secretsync.emulator._http import EmuRequest, EmuResponse

if TYPE_CHECKING:
    from secretsync.emulator.github_store import GitHubStore

__all__ = ["VIEWER_LOGIN", "answer"]

VIEWER_LOGIN = "secretsync-emulator"  # any token authenticates as this one user
VIEWER_ID = 1
_SDL = """
type Query {
  viewer: User!
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
  organization(login: String!): Organization
}
interface RepositoryOwner { id: ID! login: String! url: String! }
type User implements RepositoryOwner {
  id: ID! databaseId: Int login: String! name: String url: String!
}
type Organization implements RepositoryOwner {
  id: ID! databaseId: Int login: String! name: String url: String!
}
enum RepositoryVisibility { PRIVATE PUBLIC INTERNAL }
type Repository {
  id: ID!
  databaseId: Int
  name: String!
  nameWithOwner: String!
  owner: RepositoryOwner!
  isPrivate: Boolean!
  visibility: RepositoryVisibility!
  description: String
  url: String!
  createdAt: String!
}
"""


@lru_cache(maxsize=1)
def _schema() -> GraphQLSchema:
    schema = build_schema(_SDL)
    owner = schema.get_type("RepositoryOwner")
    owner.resolve_type = lambda value, info, kind: value["__typename"]  # type: ignore[union-attr]
    return schema


class _Root:
    """The query root over one store; fields resolve lazily, as graphql-core asks."""

    def __init__(self, store: GitHubStore) -> None:
        self._store = store

    @property
    def viewer(self) -> dict[str, Any]:
        return {
            "__typename": "User",
            "id": f"U_{VIEWER_ID}",
            "databaseId": VIEWER_ID,
            "login": VIEWER_LOGIN,
            "name": "secretsync emulator",
            "url": f"https://github.com/{VIEWER_LOGIN}",
        }

    def _org(self, login: str) -> dict[str, Any]:
        return {
            "__typename": "Organization",
            "id": f"O_{login}",
            "databaseId": self._store.org_id(login),
            "login": login,
            "name": login,
            "url": f"https://github.com/{login}",
        }

    def organization(self, info: Any, login: str) -> dict[str, Any]:
        return self._org(login)

    def repository(
        self, info: Any, owner: str, name: str, followRenames: bool = True
    ) -> dict[str, Any]:
        found = self._store.repositories.get((owner.lower(), name.lower()))
        if found is None:
            raise GraphQLError(
                f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                extensions={"type": "NOT_FOUND"},
            )
        return {
            "id": f"R_{found.id}",
            "databaseId": found.id,
            "name": found.name,
            "nameWithOwner": found.full_name,
            "owner": self._org(found.owner),
            "isPrivate": found.private,
            "visibility": found.visibility.upper(),
            "description": found.description,
            "url": f"https://github.com/{found.full_name}",
            "createdAt": found.created_at.isoformat().replace("+00:00", "Z"),
        }


def answer(store: GitHubStore, req: EmuRequest) -> EmuResponse:
    """One ``POST /graphql``: ``{"query": ..., "variables": ..., "operationName": ...}``."""
    try:
        body = req.json()
    except (UnicodeDecodeError, json.JSONDecodeError):
        docs = "https://docs.github.com/graphql"
        problem = {"message": "Problems parsing JSON", "documentation_url": docs}
        return EmuResponse.json(400, problem)
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        missing = "A query attribute must be specified and must be a string."
        return EmuResponse.json(200, {"errors": [{"message": missing}]})
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return EmuResponse.json(200, {"errors": [{"message": "Variables are invalid JSON."}]})
    result = graphql_sync(
        _schema(),
        body["query"],
        root_value=_Root(store),
        variable_values=variables,
        operation_name=body.get("operationName") or None,
    )
    payload: dict[str, Any] = {}
    if result.data is not None:
        payload["data"] = result.data
    if result.errors:
        payload["errors"] = [_github_error(error) for error in result.errors]
    return EmuResponse.json(200, payload)


def _github_error(error: GraphQLError) -> dict[str, Any]:
    """graphql-core's error, with GitHub's top-level ``type`` where the resolver set one."""
    out: dict[str, Any] = {}
    extensions = dict(error.extensions or {})
    if "type" in extensions:
        out["type"] = extensions.pop("type")
    formatted = error.formatted
    for key in ("path", "locations"):
        if formatted.get(key) is not None:
            out[key] = formatted[key]
    if extensions:
        out["extensions"] = extensions
    out["message"] = error.message
    return out
