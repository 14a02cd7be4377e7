"""GitHub Actions secrets at organization, repository and environment scope.

Reads are concurrent (list pages after the first, once ``total_count`` is known); writes are
serial and paced under the secondary rate limit (:class:`~secretsync.clients.http.WritePacer`).
Values are sealed with the scope's public key (libsodium sealed box) before they leave this
process; GitHub never gives them back.
"""

from __future__ import annotations

import asyncio
import base64
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import httpx
from nacl.public import PublicKey as NaclPublicKey
from nacl.public import SealedBox

from secretsync.clients.credentials import GITHUB_API_DEFAULT, check_endpoint
from secretsync.clients.http import (
    DEFAULT_TIMEOUT,
    RetryPolicy,
    ServiceClient,
    Session,
    Sleep,
    WritePacer,
    seg,
)
from secretsync.errors import ConfigError, RequestRejected
from secretsync.masking import Redactor
from secretsync.timestamps import parse_timestamp

if TYPE_CHECKING:
    from secretsync.map.model import GithubTarget

__all__ = [
    "PER_PAGE",
    "GitHubClient",
    "PublicKey",
    "RepositoryRef",
    "Scope",
    "SecretMeta",
    "scope_of",
]

PER_PAGE = 100  # GitHub's maximum
API_VERSION = "2022-11-28"
Visibility = Literal["all", "private", "selected"]


@dataclass(frozen=True)
class Scope:
    """Where a secret lives: an organization, a repository, or a repository environment."""

    kind: Literal["org", "repo", "env"]
    owner: str
    repository: str | None = None
    environment: str | None = None

    @classmethod
    def org(cls, org: str) -> Scope:
        return cls("org", org)

    @classmethod
    def repo(cls, owner: str, repo: str) -> Scope:
        return cls("repo", owner, repo)

    @classmethod
    def env(cls, owner: str, repo: str, environment: str) -> Scope:
        return cls("env", owner, repo, environment)

    @property
    def path(self) -> str:
        """``orgs/O``, ``repos/O/R`` or ``repos/O/R/environments/E`` with the names as they
        are: how the emulator names scopes when seeding them."""
        return self._path(str)

    @property
    def secrets_path(self) -> str:
        """The API path of the scope's secrets, each name escaped as one segment."""
        tail = "secrets" if self.kind == "env" else "actions/secrets"
        return f"/{self._path(seg)}/{tail}"

    @property
    def key(self) -> str:
        """``org/O``, ``repo/O/R`` or ``env/O/R/E``: a plain identity for maps and reports."""
        names = (self.owner, self.repository, self.environment)
        return "/".join((self.kind, *(n for n in names if n is not None)))

    def _path(self, name: Callable[[str], str]) -> str:
        if self.kind == "org":
            return f"orgs/{name(self.owner)}"
        repo = f"repos/{name(self.owner)}/{name(self.repository or '')}"
        if self.kind == "repo":
            return repo
        return f"{repo}/environments/{name(self.environment or '')}"

    def __str__(self) -> str:
        if self.kind == "org":
            return f"organization {self.owner}"
        if self.kind == "repo":
            return f"repository {self.owner}/{self.repository}"
        return f"environment {self.owner}/{self.repository}:{self.environment}"


def scope_of(target: GithubTarget, org: str) -> Scope:
    """The scope a map entry's GitHub target names, under the map's organization.

    The one place a :class:`~secretsync.map.model.GithubTarget` becomes a :class:`Scope`;
    the map validator guarantees ``repo`` (and ``environment``) where the kind needs them.
    """
    if target.scope == "org":
        return Scope.org(org)
    if target.scope == "repo":
        return Scope.repo(org, target.repo or "")
    return Scope.env(org, target.repo or "", target.environment or "")


@dataclass(frozen=True)
class SecretMeta:
    """What GitHub tells about a secret: never its value."""

    name: str
    created_at: datetime
    updated_at: datetime
    visibility: str | None
    scope: Scope = field(compare=False)


@dataclass(frozen=True)
class RepositoryRef:
    """A repository as the selected-repositories API names it: ``private`` decides whether
    an organization secret of visibility ``private`` reaches it."""

    id: int
    name: str
    private: bool


def _repository(item: Mapping[str, Any]) -> RepositoryRef:
    visibility = item.get("visibility")
    private = bool(item.get("private", True)) if visibility is None else visibility != "public"
    return RepositoryRef(id=int(item["id"]), name=str(item["name"]), private=private)


@dataclass(frozen=True)
class PublicKey:
    """A scope's sealing key: Base64 Curve25519 public key plus the id GitHub wants back."""

    key_id: str
    key: str

    def seal(self, value: str) -> str:
        """The value as GitHub's ``encrypted_value``: Base64 of a sealed box."""
        box = SealedBox(NaclPublicKey(base64.b64decode(self.key)))
        return base64.b64encode(box.encrypt(value.encode("utf-8"))).decode("ascii")


def _time_scale(policy: RetryPolicy | None) -> float:
    return policy.time_scale if policy is not None else 1.0


def _meta(item: Mapping[str, Any], scope: Scope) -> SecretMeta:
    return SecretMeta(
        name=str(item["name"]),
        created_at=parse_timestamp(item["created_at"]),
        updated_at=parse_timestamp(item["updated_at"]),
        visibility=item.get("visibility"),
        scope=scope,
    )


@dataclass
class _Page:
    total: int | None
    secrets: list[SecretMeta]
    next_url: str | None


class GitHubClient(ServiceClient):
    """Async client for GitHub Actions secrets; use as ``async with GitHubClient(...)``."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str = GITHUB_API_DEFAULT,
        transport: httpx.AsyncBaseTransport | None = None,
        writes_per_minute: float = 60,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        pacer: WritePacer | None = None,
        redactor: Redactor | None = None,
        max_concurrency: int = 10,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if transport is None:
            check_endpoint(base_url, "GitHub API URL")
        self._session = Session(
            service="github",
            label="GitHub",
            base_url=base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            transport=transport,
            timeout=timeout,
            policy=policy,
            pacer=pacer or WritePacer(writes_per_minute / _time_scale(policy), sleep=sleep),
            login_hint="run `secretsync login github` or set GH_TOKEN",
            redactor=redactor,
            sleep=sleep,
        )
        self._keys: dict[Scope, PublicKey] = {}
        self._key_locks: dict[Scope, asyncio.Lock] = {}
        self._reads = asyncio.Semaphore(max_concurrency)

    async def list_secrets(self, scope: Scope, *, expected: int = 0) -> list[SecretMeta]:
        """Every secret of the scope: page 1, then the rest at once, or ``Link`` by ``Link``.

        ``expected``: how many secrets the caller expects at least (the map's, for sync);
        that many pages are asked for together with page 1, saving a round trip. A page
        past the end is an empty list, so a wrong guess costs a request, never an answer.
        """

        def numbered(number: int) -> Awaitable[_Page]:
            return self._page(scope, scope.secrets_path, {"per_page": PER_PAGE, "page": number})

        guessed = max(1, math.ceil(expected / PER_PAGE))
        pages = list(await asyncio.gather(*(numbered(n) for n in range(1, guessed + 1))))
        first = pages[0]
        if first.total is not None:
            # A server with a smaller page cap than ours shows it in the first page's length.
            size = len(first.secrets) if 0 < len(first.secrets) < PER_PAGE else PER_PAGE
            count = math.ceil(first.total / size)
            pages += await asyncio.gather(*(numbered(n) for n in range(guessed + 1, count + 1)))
        else:
            pages = [first]  # Link by Link from page 1: guessed pages are not that chain
            url = first.next_url
            while url is not None:
                page = await self._page(scope, url, None)
                pages.append(page)
                url = page.next_url
        seen: dict[str, SecretMeta] = {}
        for page in pages:
            for meta in page.secrets:
                seen.setdefault(meta.name, meta)
        return list(seen.values())

    async def _page(self, scope: Scope, url: str, params: dict[str, int] | None) -> _Page:
        def parse(response: httpx.Response) -> _Page:
            doc = response.json()
            total = doc.get("total_count")
            return _Page(
                total=total if isinstance(total, int) else None,
                secrets=[_meta(item, scope) for item in doc["secrets"]],
                next_url=response.links.get("next", {}).get("url"),
            )

        async with self._reads:
            return await self._session.call(
                "GET", url, params=params, what=str(scope), action="list secrets of", parse=parse
            )

    async def get_secret(
        self, scope: Scope, name: str, *, attempts: int | None = None
    ) -> SecretMeta:
        """One secret's metadata; ``NotFoundError`` when absent. ``attempts`` overrides the
        policy's count (push confirms an unanswered write with a read that tries harder)."""
        async with self._reads:
            return await self._session.call(
                "GET",
                f"{scope.secrets_path}/{seg(name)}",
                what=_secret(scope, name),
                action="read",
                parse=lambda r: _meta(r.json(), scope),
                attempts=attempts,
            )

    async def public_key(self, scope: Scope) -> PublicKey:
        """The scope's sealing key, fetched once per client and scope."""
        lock = self._key_locks.setdefault(scope, asyncio.Lock())
        async with lock:
            if scope not in self._keys:
                self._keys[scope] = await self._session.call(
                    "GET",
                    f"{scope.secrets_path}/public-key",
                    what=str(scope),
                    action="read the public key of",
                    parse=lambda r: PublicKey(str(r.json()["key_id"]), str(r.json()["key"])),
                )
            return self._keys[scope]

    async def put_secret(
        self,
        scope: Scope,
        name: str,
        value: str,
        visibility: Visibility | None = None,
        selected_repository_ids: list[int] | None = None,
    ) -> bool:
        """Create or update a secret; ``True`` when GitHub created it (201), else 204.

        At organization scope ``visibility`` defaults to ``private``; ``selected`` needs
        ``selected_repository_ids``. PUT is idempotent, so it is retried like a read. If
        GitHub refuses the cached key (422 after a key rotation), the key is fetched again
        and the write retried once.
        """
        where = _secret(scope, name)
        body: dict[str, Any] = {}
        if scope.kind == "org":
            body["visibility"] = visibility or "private"
            if body["visibility"] == "selected":
                if selected_repository_ids is None:
                    raise ConfigError(f"{where}: visibility selected needs repositories")
                body["selected_repository_ids"] = list(selected_repository_ids)
            elif selected_repository_ids:
                raise ConfigError(f"{where}: repositories need visibility selected")
        elif visibility is not None or selected_repository_ids:
            raise ConfigError(f"{where}: visibility applies to organization secrets only")
        key = await self.public_key(scope)
        try:
            return await self._put(scope, name, value, body, key)
        except RequestRejected as exc:
            if exc.status != 422:
                raise
            self._keys.pop(scope, None)
            fresh = await self.public_key(scope)
            if fresh.key_id == key.key_id:
                raise
            return await self._put(scope, name, value, body, fresh)

    async def _put(
        self, scope: Scope, name: str, value: str, body: dict[str, Any], key: PublicKey
    ) -> bool:
        return await self._session.call(
            "PUT",
            f"{scope.secrets_path}/{seg(name)}",
            json={**body, "encrypted_value": key.seal(value), "key_id": key.key_id},
            what=_secret(scope, name),
            action="write",
            parse=lambda r: r.status_code == 201,
            ok=(201, 204),
            write=True,
            values=(value,),
        )

    async def delete_secret(self, scope: Scope, name: str) -> bool:
        """Delete a secret; ``False`` when there was none (a retried delete may see that)."""
        return await self._session.call(
            "DELETE",
            f"{scope.secrets_path}/{seg(name)}",
            what=_secret(scope, name),
            action="delete",
            parse=lambda r: r.status_code == 204,
            ok=(204, 404),
            write=True,
        )

    async def repository(self, owner: str, repo: str) -> RepositoryRef:
        """One repository's id and whether it is private (``NotFoundError`` when absent)."""
        async with self._reads:
            return await self._session.call(
                "GET",
                f"/repos/{seg(owner)}/{seg(repo)}",
                what=f"repository {owner}/{repo}",
                action="read",
                parse=lambda r: _repository(r.json()),
            )

    async def list_org_repositories(self, org: str) -> list[RepositoryRef]:
        """Every repository of the organization, ``Link`` page by ``Link`` page."""
        found: dict[int, RepositoryRef] = {}
        url: str | None = f"/orgs/{seg(org)}/repos"
        params: dict[str, int | str] | None = {"per_page": PER_PAGE, "type": "all"}
        while url is not None:

            def parse(response: httpx.Response) -> tuple[list[RepositoryRef], str | None]:
                items = response.json()
                return [_repository(i) for i in items], response.links.get("next", {}).get("url")

            async with self._reads:
                page, url = await self._session.call(
                    "GET",
                    url,
                    params=params,
                    what=f"organization {org}",
                    action="list the repositories of",
                    parse=parse,
                )
            params = None  # the next link carries them
            for repo in page:
                found.setdefault(repo.id, repo)
        return list(found.values())

    async def list_selected_repositories(self, org: str, name: str) -> list[RepositoryRef]:
        """The repositories an organization secret of visibility ``selected`` reaches."""
        path = f"{Scope.org(org).secrets_path}/{seg(name)}/repositories"
        what = _secret(Scope.org(org), name)

        def parse(response: httpx.Response) -> tuple[int | None, list[RepositoryRef]]:
            doc = response.json()
            total = doc.get("total_count")
            return (
                total if isinstance(total, int) else None,
                [_repository(i) for i in doc["repositories"]],
            )

        async def page(number: int) -> tuple[int | None, list[RepositoryRef]]:
            async with self._reads:
                return await self._session.call(
                    "GET",
                    path,
                    params={"per_page": PER_PAGE, "page": number},
                    what=what,
                    action="list the selected repositories of",
                    parse=parse,
                )

        total, first = await page(1)
        pages = [first]
        if total is not None and total > len(first) > 0:
            count = math.ceil(total / len(first))
            pages += [p for _, p in await asyncio.gather(*(page(n) for n in range(2, count + 1)))]
        found: dict[int, RepositoryRef] = {}
        for repos in pages:
            for repo in repos:
                found.setdefault(repo.id, repo)
        return list(found.values())

    async def add_selected_repository(self, org: str, name: str, repository_id: int) -> None:
        """Give one more repository access to a ``selected`` organization secret; additive,
        so it never takes access from another (GitHub answers 409 for other visibilities)."""
        await self._session.call(
            "PUT",
            f"{Scope.org(org).secrets_path}/{seg(name)}/repositories/{repository_id}",
            what=_secret(Scope.org(org), name),
            action=f"add repository {repository_id} to",
            parse=lambda r: None,
            ok=(204,),
            write=True,
        )

    async def repository_id(self, owner: str, repo: str) -> int:
        """The numeric id GitHub wants in ``selected_repository_ids``."""
        return (await self.repository(owner, repo)).id


def _secret(scope: Scope, name: str) -> str:
    return f"secret {name} in {scope}"
