"""Pulumi ESC environments: list, create, read and write definitions, open, revisions.

Writes are optimistic: :meth:`EscClient.get_definition` returns the ``ETag`` and
:meth:`EscClient.update_definition` sends it back in a request header named ``ETag``; a
stale one answers 409, raised as :class:`~secretsync.errors.ConflictError` for the caller to
re-read and re-apply. A PATCH is never retried on 409.

A PATCH *with* an ETag is retried after a dropped connection or a 5xx (the ETag makes a
second copy of the same write harmless). If the first attempt did land before the
connection dropped, the retry answers 409: the caller re-reads, finds its change already
there, and has nothing left to write. Without an ETag a PATCH is not retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from secretsync.clients.credentials import ESC_API_DEFAULT, check_endpoint
from secretsync.clients.http import DEFAULT_TIMEOUT, RetryPolicy, ServiceClient, Session, seg
from secretsync.errors import ConflictError, RequestRejected
from secretsync.masking import Redactor

__all__ = ["Definition", "Diagnostic", "EnvironmentRef", "EscClient", "Revision", "unwrap"]

YAML = "application/x-yaml"


@dataclass(frozen=True, order=True)
class EnvironmentRef:
    """``org/project/name``, the way ESC and ``esc`` name an environment."""

    org: str
    project: str
    name: str

    def __str__(self) -> str:
        return f"{self.org}/{self.project}/{self.name}"


@dataclass(frozen=True)
class Definition:
    """An environment's YAML with the ``ETag`` to send back and its revision number.

    A decrypted definition holds plaintext secrets, so the YAML is kept out of ``repr``.
    """

    yaml: str = field(repr=False)
    etag: str | None
    revision: int | None


@dataclass(frozen=True)
class Revision:
    number: int
    created: str | None = None
    creator_login: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    """One problem ESC found in a definition (``line``/``column`` 1-based when known)."""

    summary: str
    path: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}: " if self.line else ""
        at = f" (at {self.path})" if self.path else ""
        return f"{where}{self.summary}{at}"


def _diagnostics(doc: Any) -> list[Diagnostic]:
    items = doc.get("diagnostics") if isinstance(doc, dict) else None
    result = []
    for item in items if isinstance(items, list) else []:
        begin = (item.get("range") or {}).get("begin") or {}
        result.append(
            Diagnostic(
                summary=str(item.get("summary", "")),
                path=item.get("path") or None,
                line=begin.get("line"),
                column=begin.get("column"),
            )
        )
    return result


def unwrap(value: Any) -> Any:
    """ESC's evaluated ``{value, secret, trace}`` tree as plain Python values."""
    inner = value["value"] if isinstance(value, dict) and "value" in value else value
    if isinstance(inner, dict):
        return {key: unwrap(item) for key, item in inner.items()}
    if isinstance(inner, list):
        return [unwrap(item) for item in inner]
    return inner


class EscClient(ServiceClient):
    """Async client for the ESC API; use as ``async with EscClient(...)``."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str = ESC_API_DEFAULT,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        if transport is None:
            check_endpoint(base_url, "ESC API URL", example=ESC_API_DEFAULT)
        self._redactor = redactor or Redactor()
        self._session = Session(
            service="esc",
            label="ESC",
            base_url=base_url,
            headers={"Authorization": f"token {token}", "Accept": "application/json"},
            transport=transport,
            timeout=timeout,
            policy=policy,
            login_hint="run `secretsync login pulumi` or set PULUMI_ACCESS_TOKEN",
            redactor=self._redactor,
        )

    async def list_environments(self, org: str) -> list[EnvironmentRef]:
        """Every environment of ``org`` the token can see, following ``continuationToken``."""
        refs: list[EnvironmentRef] = []
        token: str | None = None
        seen: set[str] = set()
        while True:
            params = {"continuationToken": token} if token else None
            doc = await self._session.call(
                "GET",
                f"/environments/{seg(org)}",
                params=params,
                what=f"organization {org}",
                action="list the environments of",
                parse=lambda r: r.json(),
            )
            for item in doc.get("environments") or []:
                refs.append(
                    EnvironmentRef(item.get("organization") or org, item["project"], item["name"])
                )
            token = doc.get("nextToken") or doc.get("continuationToken")
            if not token or token in seen:
                return refs
            seen.add(token)

    async def create_environment(self, org: str, project: str, name: str) -> None:
        """Create an empty environment; ``ConflictError`` when it already exists."""
        ref = EnvironmentRef(org, project, name)

        def parse(response: httpx.Response) -> None:
            if response.status_code == 409:
                raise ConflictError(f"environment {ref} already exists", service="esc", status=409)

        await self._session.call(
            "POST",
            f"/environments/{seg(org)}",
            json={"project": project, "name": name},
            what=f"environment {ref}",
            action="create",
            parse=parse,
            ok=(200, 201, 204, 409),
            idempotent=False,
            write=True,
        )

    async def get_definition(
        self,
        org: str,
        project: str,
        name: str,
        decrypt: bool = False,
        *,
        attempts: int | None = None,
    ) -> Definition:
        """The YAML definition (secrets as ciphertext, or plaintext with ``decrypt``).

        ``attempts`` overrides the retry policy's count (sync confirms an unanswered write
        with a read that tries harder).
        """
        suffix = "/decrypt" if decrypt else ""
        ref = EnvironmentRef(org, project, name)
        return await self._read_definition(ref, suffix, attempts)

    async def get_definition_at(
        self, org: str, project: str, name: str, version: int | str, decrypt: bool = False
    ) -> Definition:
        """The definition as it was at a revision number or tag."""
        suffix = f"/versions/{seg(str(version))}" + ("/decrypt" if decrypt else "")
        return await self._read_definition(EnvironmentRef(org, project, name), suffix)

    async def _read_definition(
        self, ref: EnvironmentRef, suffix: str, attempts: int | None = None
    ) -> Definition:
        def parse(response: httpx.Response) -> Definition:
            revision = response.headers.get("pulumi-esc-revision")
            return Definition(
                yaml=response.text,
                etag=response.headers.get("etag"),
                revision=int(revision) if revision and revision.isdigit() else None,
            )

        return await self._session.call(
            "GET",
            _env_path(ref) + suffix,
            headers={"Accept": YAML},
            what=f"environment {ref}",
            action="read",
            parse=parse,
            attempts=attempts,
        )

    async def update_definition(
        self, org: str, project: str, name: str, yaml: str, etag: str | None = None
    ) -> list[Diagnostic]:
        """Replace the definition; warnings come back as diagnostics.

        ``ConflictError`` when ``etag`` is stale (re-read and re-apply; never retried),
        ``RequestRejected`` with ``.diagnostics`` when ESC refuses the YAML.
        """
        ref = EnvironmentRef(org, project, name)
        headers = {"Content-Type": YAML}
        if etag is not None:
            headers["ETag"] = etag

        def parse(response: httpx.Response) -> list[Diagnostic]:
            if response.status_code == 409:
                raise ConflictError(
                    f"environment {ref} changed since it was read (stale ETag)",
                    service="esc",
                    status=409,
                    hint="re-read the environment and apply the change again",
                )
            found = _diagnostics(response.json()) if response.content else []
            if response.status_code == 400:
                raise self._rejected(ref, found)
            return found

        return await self._session.call(
            "PATCH",
            _env_path(ref),
            content=yaml.encode("utf-8"),
            headers=headers,
            what=f"environment {ref}",
            action="update",
            parse=parse,
            ok=(200, 204, 400, 409),
            idempotent=etag is not None,
            write=True,
        )

    def _rejected(self, ref: EnvironmentRef, found: list[Diagnostic]) -> RequestRejected:
        summary = "; ".join(str(d) for d in found[:3]) or "invalid definition"
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        error = RequestRejected(
            self._redactor.redact(
                f"ESC rejected the definition of environment {ref}: {summary}{more}"
            ),
            service="esc",
            status=400,
        )
        error.diagnostics = found  # type: ignore[attr-defined]
        return error

    async def open_and_read(self, org: str, project: str, name: str) -> dict[str, Any]:
        """Evaluate the environment (open a session, read it) as plain values."""
        ref = EnvironmentRef(org, project, name)
        session_id = await self._session.call(
            "POST",
            _env_path(ref) + "/open",
            what=f"environment {ref}",
            action="open",
            parse=lambda r: str(r.json()["id"]),
        )
        doc = await self._session.call(
            "GET",
            f"{_env_path(ref)}/open/{seg(session_id)}",
            what=f"environment {ref}",
            action="read the opened",
            parse=lambda r: r.json(),
        )
        properties = doc.get("properties") or {}
        return {key: unwrap(value) for key, value in properties.items()}

    async def list_revisions(self, org: str, project: str, name: str) -> list[Revision]:
        """Every revision, newest first (pages with ``before`` until none are left)."""
        ref = EnvironmentRef(org, project, name)
        found: dict[int, Revision] = {}
        before: int | None = None
        while True:
            params = {"before": before} if before is not None else None
            items = await self._session.call(
                "GET",
                _env_path(ref) + "/versions",
                params=params,
                what=f"environment {ref}",
                action="list the revisions of",
                parse=lambda r: [_revision(item) for item in r.json()],
            )
            fresh = [rev for rev in items if rev.number not in found]
            found.update((rev.number, rev) for rev in fresh)
            lowest = min((rev.number for rev in fresh), default=None)
            if lowest is None or lowest <= 1:
                return sorted(found.values(), key=lambda rev: -rev.number)
            before = lowest

    async def check_yaml(self, org: str, yaml: str) -> list[Diagnostic]:
        """What ESC would say about a definition, without saving it."""
        return await self._session.call(
            "POST",
            f"/environments/{seg(org)}/yaml/check",
            content=yaml.encode("utf-8"),
            headers={"Content-Type": YAML},
            what=f"a definition for organization {org}",
            action="check",
            parse=lambda r: _diagnostics(r.json()),
            ok=(200, 400),
        )

    async def delete_environment(self, org: str, project: str, name: str) -> None:
        ref = EnvironmentRef(org, project, name)
        await self._session.call(
            "DELETE",
            _env_path(ref),
            what=f"environment {ref}",
            action="delete",
            parse=lambda r: None,
            ok=(200, 204),
            write=True,
        )


def _env_path(ref: EnvironmentRef) -> str:
    return f"/environments/{seg(ref.org)}/{seg(ref.project)}/{seg(ref.name)}"


def _revision(item: Mapping[str, Any]) -> Revision:
    return Revision(
        number=int(item["number"]),
        created=item.get("created"),
        creator_login=item.get("creatorLogin"),
        tags=tuple(item.get("tags") or ()),
    )
