"""The emulator: one thread-safe handler in front of the GitHub and ESC services.

Every front end (httpx transport, loopback server, pytest fixtures) calls :meth:`deliver`.
An API request goes through, in order: the fault dice (a ``fail_status`` answer before
anything is applied), authentication (401 without ``Authorization``), for GitHub the
primary and secondary rate limits, then the service itself. Locking is per ESC environment
and per GitHub secret scope (:mod:`~secretsync.emulator.locks`): a slow request on one never
makes another wait; what adds repositories or environments runs alone. Drops and
truncations happen after the request was applied; the front end carries them out.
``/_emulator/...`` controls skip all of that and are not logged.

GitHub answers at the root (as ``api.github.com``) and under ``/api/v3`` (as GitHub
Enterprise Server, where clients such as the GitHub CLI put the REST API); GraphQL is
``/graphql`` or ``/api/graphql``. Links in answers keep the prefix the client used.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast
from urllib.parse import unquote, urlencode

from secretsync.emulator._http import Clock, Delivery, EmuRequest, EmuResponse, isoformat_z
from secretsync.emulator.controls import handle_control
from secretsync.emulator.faults import FaultDice, Faults, PrimaryBudget, WriteLimiter
from secretsync.emulator.github import GitHubService
from secretsync.emulator.github_shapes import error_response
from secretsync.emulator.locks import KeyedLocks, SharedLock
from secretsync.emulator.providers import PREFIX as PROVIDERS_PREFIX
from secretsync.emulator.providers import ProviderFacet

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from pathlib import Path

    from secretsync.emulator.seed import Seeded
    from secretsync.emulator.server import ServedEmulator
    from secretsync.emulator.transport import EmulatorTransport
    from secretsync.map.model import SecretMap

__all__ = ["ESC_PREFIX", "Delivery", "Emulator"]

ESC_PREFIX = "/api/esc"
CONTROL_PREFIX = "/_emulator"
GHES_PREFIX = "/api/v3"
# What a classic token can do here: every operation the emulator serves. GitHub sends the
# header on every answer to such a token; `gh auth status` reads it.
OAUTH_SCOPES = "admin:org, repo, workflow"
PRIMARY_LIMIT = 5000
_WRITES = frozenset({"PUT", "POST", "PATCH", "DELETE"})
_AUTH = re.compile(r"(?i)(bearer|token)\s+\S+")
_PHRASES = {status.value: status.phrase for status in HTTPStatus}
_RATE_DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"


class EscService(Protocol):
    """What the ESC half (``secretsync.emulator.esc``) provides; it shares our clock."""

    def handle(self, req: EmuRequest) -> EmuResponse: ...
    def state(self) -> dict[str, Any]: ...
    def reset(self) -> None: ...
    def seed_environment(self, org: str, project: str, name: str, yaml_text: str) -> None: ...
    def create_environment(self, org: str, project: str, name: str) -> bool: ...


class Emulator:
    """GitHub Actions secrets + Pulumi ESC, in memory. Safe to share between threads."""

    def __init__(
        self,
        faults: Faults | None = None,
        *,
        primary_limit: int = PRIMARY_LIMIT,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``primary_limit``: requests an hour; ``monotonic``: the clock of the secondary
        write limit (real time by default; tests of pacing can pass a fake one)."""
        self.clock = Clock()
        self._lock = threading.RLock()  # the request log, faults, the ESC half's import
        self._github_lock = SharedLock()  # exclusive: anything but one scope's secrets
        self._scopes = KeyedLocks()
        self.github = GitHubService(self.clock, random.Random())  # noqa: S311 (ids, not keys)
        #: What ``verify`` asks: ``/_providers/{provider}/...`` (emulator/providers.py).
        self.providers = ProviderFacet()
        self._esc: EscService | None = None
        self._faults = faults or Faults()
        self._dice = FaultDice(self._faults)
        self._writes = WriteLimiter(monotonic)
        self._budget = PrimaryBudget(primary_limit)
        self._log: list[dict[str, Any]] = []
        self._seeds: list[SecretMap] = []  # what seed_map made, made again on reset

    # -- the handler -------------------------------------------------------------------
    def handle(self, req: EmuRequest) -> EmuResponse:
        """The answer, without wire faults (latency, drops, truncation): see :meth:`deliver`."""
        return self.deliver(req).response

    def deliver(self, req: EmuRequest) -> Delivery:
        if req.path == CONTROL_PREFIX or req.path.startswith(CONTROL_PREFIX + "/"):
            return Delivery(handle_control(self, req))
        draw = self._dice.roll()
        is_esc = req.path == ESC_PREFIX or req.path.startswith(ESC_PREFIX + "/")
        # Provider facets authenticate their own way (x-api-key, Api-Key, a JSON body) and
        # are not GitHub: no Authorization check, no GitHub budget; faults do apply.
        is_provider = req.path.startswith(PROVIDERS_PREFIX + "/")
        fault: str | None = None
        if draw.fail:
            fault = "fail"
            status = self._faults.fail_status
            response = _error(is_esc, status, _PHRASES.get(status, "Injected failure"))
            if status in (429, 503):
                # Both services say when to come back on these; a client that honours the
                # header should not have to fall back on its own long default.
                response.headers["retry-after"] = "1"
        elif is_provider:
            response = self.providers.handle(req)
        elif not req.headers.get("authorization", "").strip():
            response = _error(is_esc, 401, "Requires authentication")
        elif not _AUTH.fullmatch(req.headers["authorization"].strip()):
            response = _error(is_esc, 401, "Bad credentials")
        elif is_esc:
            response = self._esc_handle(req)
        else:
            response, fault = self._github_handle(_github_view(req))
            response.headers.setdefault("X-OAuth-Scopes", OAUTH_SCOPES)
        if not (is_esc or is_provider) and "x-ratelimit-limit" not in response.headers:
            response.headers.update(self._budget.headers())
        cut: Literal["drop", "truncate"] | None = None
        if draw.drop:
            cut = fault = "drop"
        elif draw.truncate:
            cut = fault = "truncate"
        entry = {
            "method": req.method,
            "path": req.path,
            "query": urlencode([(k, v) for k, vs in req.query.items() for v in vs]),
            "status": response.status,
            "fault": fault,
        }
        with self._lock:
            self._log.append(entry)
        return Delivery(response, draw.delay_s, cut)

    def _github_handle(self, req: EmuRequest) -> tuple[EmuResponse, str | None]:
        """Rate limits, then the operation, under its scope's lock (see :func:`_scope_key`)."""
        with self._github_locked(req.path):
            fault: str | None = "rate_limit"
            if not self._budget.take():
                message = "API rate limit exceeded for user ID 1."
                response = error_response(403, message, f"{_RATE_DOCS}#about-primary-rate-limits")
            elif (
                req.method in _WRITES
                and req.path != "/graphql"  # queries: not content-creating requests
                and (wait := self._writes.admit(self._faults.rate_limit_writes_per_minute))
            ):
                message = (
                    "You have exceeded a secondary rate limit. Please wait a few minutes "
                    "before you try again."
                )
                response = error_response(
                    self._faults.rate_limit_status,
                    message,
                    f"{_RATE_DOCS}#about-secondary-rate-limits",
                )
                response.headers["retry-after"] = str(wait)
            else:
                response, fault = self.github.handle(req), None
            response.headers.update(self._budget.headers())
            return response, fault

    def _esc_handle(self, req: EmuRequest) -> EmuResponse:
        esc = self.esc
        if esc is None:
            return _error(True, 501, "the ESC emulator is not available in this build")
        inner = dataclasses.replace(req, path=req.path[len(ESC_PREFIX) :] or "/")
        return esc.handle(inner)  # it locks per environment itself

    @contextmanager
    def _github_locked(self, path: str) -> Iterator[None]:
        key = _scope_key(path)
        if key is None:
            with self._github_lock.exclusive():
                yield
        else:
            with self._github_lock.shared(), self._scopes.hold(key):
                yield

    @property
    def esc(self) -> EscService | None:
        """The ESC half, imported on first use (None while it is not part of the package)."""
        with self._lock:
            if self._esc is None and importlib.util.find_spec("secretsync.emulator.esc"):
                module = importlib.import_module("secretsync.emulator.esc")
                service = module.EscService(self.clock, random.Random())  # noqa: S311
                self._esc = cast(EscService, service)
            return self._esc

    # -- controls, as Python -----------------------------------------------------------
    @property
    def faults(self) -> Faults:
        return self._faults

    def set_faults(self, faults: Faults) -> None:
        """New fault settings: the dice restart from ``faults.seed``, the write window empty."""
        with self._lock:
            self._faults = faults
            self._dice = FaultDice(faults)
            self._writes.reset()

    def state(self) -> dict[str, Any]:
        """Everything held, secret values in plain text: for tests, never for logs."""
        esc = self.esc
        with self._github_lock.exclusive():
            github = self.github.store.state()
        return {
            "now": isoformat_z(self.clock.now()),
            "github": github,
            "esc": esc.state() if esc is not None else {},
            "providers": self.providers.state(),
        }

    def reset(self) -> None:
        """Empty state, log and rate-limit counters; fault settings and the clock stay.
        What :meth:`seed_map` made is made again: reset returns to the start-up state."""
        with self._github_lock.exclusive():
            self.github.store.reset()
        if self._esc is not None:
            self._esc.reset()
        with self._lock:
            self.providers.reset()
            self._log.clear()
            self._writes.reset()
            self._budget.reset()
            seeds = list(self._seeds)
        from secretsync.emulator.seed import seed_from_map

        for smap in seeds:
            seed_from_map(self, smap)

    def request_log(self) -> list[dict[str, Any]]:
        """API requests so far: method, path, query, status, fault (never bodies)."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def clear_request_log(self) -> None:
        with self._lock:
            self._log.clear()

    def workflow_secrets(self, repository: str) -> dict[str, Any]:
        """The secret names a workflow in ``OWNER/NAME`` would get, by GitHub's rule."""
        from secretsync.emulator.workflow_view import workflow_secrets

        with self._lock:
            return workflow_secrets(self.github.store, repository)

    # -- seeding -----------------------------------------------------------------------
    def add_repository(self, owner: str, name: str) -> int:
        """Create a repository (idempotent) and return its id."""
        with self._github_lock.exclusive():
            return self.github.store.add_repository(owner, name)

    def add_environment(self, owner: str, repo: str, environment: str) -> None:
        """Create a deployment environment (and its repository if needed)."""
        with self._github_lock.exclusive():
            self.github.store.add_environment(owner, repo, environment)

    def seed_github_secret(
        self,
        scope_path: str,
        name: str,
        value: str,
        updated_at: datetime | str | None = None,
        visibility: str = "private",
        repositories: Iterable[str] = (),
    ) -> None:
        """Store a secret as if a client had PUT it; creates the repository/environment.

        ``scope_path``: ``orgs/O``, ``repos/O/R`` or ``repos/O/R/environments/E``;
        ``repositories``: names (or ``owner/name``) for ``visibility="selected"``.
        """
        if isinstance(updated_at, str):
            updated_at = datetime.fromisoformat(updated_at.replace("Z", "+00:00"))
        with self._github_lock.exclusive():
            self.github.store.seed(
                scope_path,
                name,
                value,
                updated_at=updated_at,
                visibility=visibility,
                repositories=tuple(repositories),
            )

    def rotate_public_key(self, scope_path: str) -> str:
        """Give a scope a new key pair; clients holding the old ``key_id`` get 422."""
        with self._github_lock.exclusive():
            store = self.github.store
            return store.rotate_key(store.scope_at(scope_path))

    def seed_esc_environment(self, org: str, project: str, name: str, yaml_text: str) -> None:
        esc = self.esc
        if esc is None:
            raise RuntimeError("the ESC emulator is not available in this build")
        esc.seed_environment(org, project, name, yaml_text)

    def create_esc_environment(self, org: str, project: str, name: str) -> bool:
        """An empty ESC environment, as ``POST /environments/{org}`` makes one; False when
        it already existed (left as it is). ``ValueError`` for a name ESC refuses."""
        esc = self.esc
        if esc is None:
            raise RuntimeError("the ESC emulator is not available in this build")
        return esc.create_environment(org, project, name)

    def seed_map(self, smap: SecretMap | Path | str) -> Seeded:
        """Everything a secret map names (see :mod:`secretsync.emulator.seed`); made again
        after every :meth:`reset`."""
        from secretsync.emulator.seed import seed_from_map

        seeded = seed_from_map(self, smap)
        with self._lock:
            self._seeds.append(seeded.smap)
        return seeded

    def add_organization(self, org: str) -> int:
        """Organizations exist as soon as they are named; this fixes the id and the
        creation time the emulator gives it (idempotent)."""
        with self._github_lock.exclusive():
            return self.github.store.org_id(org)

    # -- front ends --------------------------------------------------------------------
    def transport(self) -> EmulatorTransport:
        """An httpx transport (sync and async) answering from this emulator in-process."""
        from secretsync.emulator.transport import EmulatorTransport

        return EmulatorTransport(self)

    def serve(
        self, host: str = "127.0.0.1", port: int = 0
    ) -> AbstractContextManager[ServedEmulator]:
        """Serve over real HTTP on a thread: ``with emu.serve() as served: served.url``."""
        from secretsync.emulator.server import serve

        return serve(self, host=host, port=port)


_SCOPED = re.compile(
    r"/(?:orgs/(?P<org>[^/]+)/actions/secrets"
    r"|repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?:environments/(?P<env>[^/]+)/secrets"
    r"|actions/secrets|(?P<shared>actions/organization-secrets)))(?:/|\Z)"
)


def _scope_key(path: str) -> str | None:
    """The secret scope a GitHub request touches (``org/acme``, ``repo/acme/web``,
    ``env/acme/web/prod``, lower-case as GitHub compares), or None for anything else
    (repositories, environments, GraphQL, ...), which runs alone."""
    found = _SCOPED.match(path)
    if found is None:
        return None
    org, owner, repo, env = (unquote(g).lower() if g else g for g in found.group(1, 2, 3, 4))
    if org is not None:
        return f"org/{org}"
    if found.group("shared"):  # a repository's view of its organization's secrets
        return f"org/{owner}"
    if env is not None:
        return f"env/{owner}/{repo}/{env}"
    return f"repo/{owner}/{repo}"


def _github_view(req: EmuRequest) -> EmuRequest:
    """The request as the GitHub service routes it: without ``/api/v3`` (kept in the base
    URL, so links lead back through it), ``/api/graphql`` as ``/graphql``."""
    path, base = req.path, req.base_url
    if path == "/api/graphql":
        path = "/graphql"
    elif path == GHES_PREFIX or path.startswith(GHES_PREFIX + "/"):
        host = req.headers.get("host", "127.0.0.1")
        path, base = path[len(GHES_PREFIX) :] or "/", (base or f"http://{host}") + GHES_PREFIX
    if path == req.path:
        return req
    return dataclasses.replace(req, path=path, base_url=base)


def _error(is_esc: bool, status: int, message: str) -> EmuResponse:
    if is_esc:
        return EmuResponse.json(status, {"code": status, "message": message})
    return error_response(status, message, "https://docs.github.com/rest")
