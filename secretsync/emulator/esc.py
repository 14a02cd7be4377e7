"""The emulator's Pulumi ESC API: environments, revisions, ETags, decrypt, open and check.

Served under ``/api/esc`` by the emulator core; ``req.path`` here is what follows it. Shapes
follow ``pulumi-esc.swagger.yaml`` and what the official clients parse. This module routes
and serves environments, revisions and revision tags; state lives in
:mod:`~secretsync.emulator.esc_store`, open sessions and checks in
:mod:`~secretsync.emulator.esc_open`, evaluation in :mod:`~secretsync.emulator.esc_eval`
(whose docstring lists what was inferred about definitions).

Inferred behaviour of the HTTP surface (from the official CLI and SDK, not the spec):

- ``/decrypt`` answers with the same ``ETag`` and ``Pulumi-ESC-Revision`` headers as GET:
  the official CLI's ``env edit --show-secrets`` reads the ETag from it.
- A PATCH is refused (409) when its ``ETag`` (or ``If-Match``) header names an older
  revision; no header means an unconditional write. Each accepted PATCH is a new revision,
  even when the text is unchanged. A PATCH is checked like ``yaml/check``: any diagnostic
  (bad YAML, a non-literal ``fn::secret``, an unknown reference, a missing import) answers
  400 and stores nothing.
- Names: organizations as the swagger's ``orgName``; projects and environments use
  letters, digits, ``-``, ``_``, ``.``, at most 100, and an environment is not ``open`` or
  ``yaml`` (the swagger's patterns would also refuse any name merely starting so).
- ``yaml/check`` shows secret values as ``[secret]`` unless ``?showSecrets=true``.
- A successful open answers ``{"id": ...}`` without ``diagnostics``: the service omits an
  empty list, and the SDK would reject a list where the swagger says an object.
- Listing an organization that has no environments answers ``{"environments": []}``.
- Environment tags and clone: :mod:`~secretsync.emulator.esc_manage`.
"""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from secretsync._collector import paused
from secretsync.emulator import esc_manage
from secretsync.emulator._http import Clock, EmuRequest, EmuResponse, isoformat_z
from secretsync.emulator.esc_open import Fail, OpenSessions, diagnostics_response
from secretsync.emulator.esc_store import Environment, EscStore, Revision, RevisionTag
from secretsync.emulator.locks import KeyedLocks, SharedLock

__all__ = ["EscService"]

_TAG = re.compile(r"[a-zA-Z0-9-_.]{1,100}")


class EscService:
    """State and request handling for the ESC half of the emulator (thread-safe)."""

    list_page_size = 100

    def __init__(self, clock: Clock, rng: random.Random) -> None:
        self._clock, self._rng = clock, rng
        # Shared by every request, exclusive for what adds or removes environments; each
        # request about one environment also holds that environment's own lock, so a slow
        # one (a big decrypted read) never makes another environment wait.
        self._lock = SharedLock()
        self._envs = KeyedLocks()
        self._store = EscStore(clock, rng)
        self._sessions = OpenSessions(clock, rng, self._store)

    # -- test controls ------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock.exclusive():
            self._store.reset()
            self._sessions.reset()

    def seed_environment(self, org: str, project: str, name: str, yaml_text: str) -> None:
        """Create (if needed) and write an environment; ``ValueError`` if it has problems."""
        with self._lock.exclusive():
            env = self._store.find(org, project, name) or self._store.create(org, project, name)
            diags = self._store.write(env, yaml_text)
            if diags:
                raise ValueError("; ".join(f"{d.path or '(root)'}: {d.summary}" for d in diags))

    def create_environment(self, org: str, project: str, name: str) -> bool:
        """An empty environment unless it exists (False then); ``ValueError`` for bad names."""
        with self._lock.exclusive():
            if self._store.find(org, project, name) is not None:
                return False
            self._store.create(org, project, name)
            return True

    def state(self) -> dict[str, Any]:
        with self._lock.exclusive():
            return self._store.state()

    # -- dispatch -----------------------------------------------------------------------

    def handle(self, req: EmuRequest) -> EmuResponse:
        parts = req.path.split("/")[1:]
        if parts and parts[-1] == "":
            parts = parts[:-1]
        # Parsing, evaluating and encrypting a big definition builds acyclic trees: no
        # collector passes over the host's heap meanwhile (see secretsync._collector).
        with self._locked(req.method, parts), paused():
            try:
                return self._route(req, parts)
            except Fail as fail:
                return fail.response

    def _locked(self, method: str, parts: list[str]) -> AbstractContextManager[None]:
        """Exclusive for creating, cloning and deleting environments; else shared, plus the
        lock of the one environment the request is about."""
        rest = parts[2:] if len(parts) >= 2 and parts[0] == "environments" else []
        creates = method == "POST" and (not rest or rest[2:] == ["clone"])
        if creates or (method == "DELETE" and len(rest) == 2):
            return self._lock.exclusive()
        if len(rest) < 2 or rest == ["yaml", "check"]:
            return self._lock.shared()
        return self._one_environment((parts[1], rest[0], rest[1]))

    @contextmanager
    def _one_environment(self, key: tuple[str, str, str]) -> Iterator[None]:
        with self._lock.shared(), self._envs.hold(key):
            yield

    def _route(self, req: EmuRequest, parts: list[str]) -> EmuResponse:
        m = req.method
        if len(parts) < 2 or parts[0] != "environments" or not parts[1]:
            raise Fail(404, "not found")
        org, rest = parts[1], parts[2:]
        if not rest:
            return self._allow(m, {"GET": self._list, "POST": self._create_request}, req, org)
        if rest == ["yaml", "check"] and m == "POST":
            return self._sessions.check(req, org)
        if len(rest) < 2:
            raise Fail(404, "not found")
        env = self._find(org, rest[0], rest[1])
        tail = rest[2:]
        routes: dict[tuple[str, ...], dict[str, Any]] = {
            (): {
                "GET": self._get,
                "HEAD": self._head,
                "PATCH": self._patch,
                "DELETE": self._delete,
            },
            ("decrypt",): {"GET": self._decrypt},
            ("versions",): {"GET": self._versions},
            ("versions", "tags"): {"GET": self._list_tags, "POST": self._create_tag},
            ("open",): {"POST": self._open},
            ("tags",): {
                "GET": esc_manage.list_tags,
                "POST": lambda r, e: esc_manage.create_tag(r, e, self._clock),
            },
            ("clone",): {
                "POST": lambda r, e: esc_manage.clone_environment(r, e, self._store, self._clock)
            },
        }
        if tuple(tail) in routes:
            return self._allow(m, routes[tuple(tail)], req, env)
        if len(tail) == 2 and tail[0] == "tags":
            env_tag_routes = {
                "GET": esc_manage.get_tag,
                "PATCH": lambda r, e, n: esc_manage.update_tag(r, e, n, self._clock),
                "DELETE": esc_manage.delete_tag,
            }
            return self._allow(m, env_tag_routes, req, env, tail[1])
        if len(tail) == 3 and tail[:2] == ["versions", "tags"]:
            tag_routes = {"GET": self._get_tag, "PATCH": self._move_tag, "DELETE": self._delete_tag}
            return self._allow(m, tag_routes, req, env, tail[2])
        if len(tail) == 2 and tail[0] == "versions":
            return self._allow(m, {"GET": self._get_version}, req, env, tail[1])
        if len(tail) == 3 and tail[0] == "versions" and tail[2] == "decrypt":
            return self._allow(m, {"GET": self._get_version_decrypted}, req, env, tail[1])
        if len(tail) == 3 and tail[0] == "versions" and tail[2] == "open":
            return self._allow(m, {"POST": self._open}, req, env, tail[1])
        if len(tail) == 2 and tail[0] == "open":
            return self._allow(m, {"GET": self._read}, req, env, tail[1])
        if len(tail) == 3 and tail[:2] == ["open", ""]:
            return self._allow(m, {"GET": self._read_property}, req, env, tail[2])
        raise Fail(404, "not found")

    @staticmethod
    def _allow(method: str, table: dict[str, Any], *args: Any) -> EmuResponse:
        if method not in table:
            raise Fail(405, f"method {method} not allowed")
        response: EmuResponse = table[method](*args)
        return response

    # -- environments -------------------------------------------------------------------

    def _find(self, org: str, project: str, name: str) -> Environment:
        env = self._store.find(org, project, name)
        if env is None:
            raise Fail(404, f"environment {org}/{project}/{name} not found")
        return env

    def _create_request(self, req: EmuRequest, org: str) -> EmuResponse:
        try:
            body = req.json()
            project, name = body["project"], body["name"]
        except (ValueError, KeyError, TypeError):
            raise Fail(400, "the body must be JSON with 'project' and 'name'") from None
        if not isinstance(project, str) or not isinstance(name, str):
            raise Fail(400, "'project' and 'name' must be strings")
        if self._store.find(org, project, name) is not None:
            raise Fail(409, f"environment {org}/{project}/{name} already exists")
        try:
            self._store.create(org, project, name)
        except ValueError as exc:
            raise Fail(400, str(exc)) from None
        return EmuResponse.empty(204)

    def _list(self, req: EmuRequest, org: str) -> EmuResponse:
        # An organization without environments lists none (200, `environments: []`), as
        # the service answers: the reference gives `environments` as required, the
        # official CLI's client reads an empty list. The emulator knows every org.
        envs = self._store.environments(org) or []
        token = req.arg("continuationToken")
        if token:
            try:
                after = (
                    base64.b64decode(token, altchars=b"-_", validate=True).decode().split("/", 1)
                )
            except (ValueError, UnicodeError):
                raise Fail(400, "invalid continuation token") from None
            envs = [e for e in envs if [e.project, e.name] > after]
        page = envs[: self.list_page_size]
        payload: dict[str, Any] = {
            "environments": [
                {
                    "organization": org,
                    "project": e.project,
                    "name": e.name,
                    "created": isoformat_z(e.created),
                    "modified": isoformat_z(e.current.created),
                }
                for e in page
            ]
        }
        if len(envs) > len(page):
            payload["nextToken"] = base64.urlsafe_b64encode(page[-1].ref.encode()).decode()
        return EmuResponse.json(200, payload)

    def _get(self, req: EmuRequest, env: Environment) -> EmuResponse:
        return EmuResponse.yaml(200, env.current.text, env.headers())

    def _head(self, req: EmuRequest, env: Environment) -> EmuResponse:
        return EmuResponse.empty(200, {"ETag": env.etag()})

    def _decrypt(self, req: EmuRequest, env: Environment) -> EmuResponse:
        return EmuResponse.yaml(200, self._store.decrypted(env, env.current.text), env.headers())

    def _patch(self, req: EmuRequest, env: Environment) -> EmuResponse:
        wanted = req.headers.get("etag") or req.headers.get("if-match")
        if wanted and wanted.strip().removeprefix("W/").strip('"') != env.etag():
            raise Fail(409, f"environment {env.org}/{env.ref} was changed since it was read")
        try:
            text = req.body.decode("utf-8")
        except UnicodeError:
            raise Fail(400, "the body must be UTF-8 YAML") from None
        diags = self._store.write(env, text)
        if diags:
            return diagnostics_response(400, diags)
        return EmuResponse.json(200, {"diagnostics": []}, env.headers())

    def _delete(self, req: EmuRequest, env: Environment) -> EmuResponse:
        self._store.delete(env)
        self._sessions.forget(env)
        return EmuResponse.empty(204)

    # -- revisions ----------------------------------------------------------------------

    def _versions(self, req: EmuRequest, env: Environment) -> EmuResponse:
        revs = list(reversed(env.revisions))
        before, count = self._int_arg(req, "before"), self._int_arg(req, "count")
        if before is not None:
            revs = [r for r in revs if r.number < before]
        if count is not None:
            revs = revs[: max(count, 0)]
        return EmuResponse.json(200, [env.revision_json(r) for r in revs])

    @staticmethod
    def _int_arg(req: EmuRequest, name: str) -> int | None:
        raw = req.arg(name)
        if raw is None or raw == "":
            return None
        if not re.fullmatch(r"-?[0-9]+", raw):
            raise Fail(400, f"'{name}' must be an integer")
        return int(raw)

    @staticmethod
    def _revision(env: Environment, version: str) -> Revision:
        rev = env.revision(version)
        if rev is not None:
            return rev
        raise Fail(404, f"revision {version} of {env.org}/{env.ref} not found")

    def _get_version(self, req: EmuRequest, env: Environment, version: str) -> EmuResponse:
        rev = self._revision(env, version)
        headers = {"ETag": env.etag(rev), "Pulumi-ESC-Revision": str(rev.number)}
        return EmuResponse.yaml(200, rev.text, headers)

    def _get_version_decrypted(
        self, req: EmuRequest, env: Environment, version: str
    ) -> EmuResponse:
        # Not in the swagger; the official CLI reads `versions/{v}/decrypt` for
        # `esc env get --show-secrets` at a revision (and for rollbacks).
        rev = self._revision(env, version)
        headers = {"ETag": env.etag(rev), "Pulumi-ESC-Revision": str(rev.number)}
        return EmuResponse.yaml(200, self._store.decrypted(env, rev.text), headers)

    # -- evaluation ---------------------------------------------------------------------

    # -- revision tags ------------------------------------------------------------------

    @staticmethod
    def _latest(env: Environment) -> RevisionTag:
        return RevisionTag("latest", env.current.number, env.created, env.current.created)

    def _tag(self, env: Environment, name: str) -> RevisionTag:
        if name == "latest":
            return self._latest(env)
        if name not in env.tags:
            raise Fail(404, f"revision tag {name} of {env.org}/{env.ref} not found")
        return env.tags[name]

    def _tag_body(self, req: EmuRequest, env: Environment, *keys: str) -> dict[str, Any]:
        try:
            body = req.json()
            values = {key: body[key] for key in keys}
        except (ValueError, KeyError, TypeError):
            raise Fail(400, f"the body must be JSON with {', '.join(keys)}") from None
        number = values["revision"]
        if not isinstance(number, int) or env.revision(str(number)) is None:
            raise Fail(400, "'revision' must name an existing revision")
        return values

    def _list_tags(self, req: EmuRequest, env: Environment) -> EmuResponse:
        tags = sorted([self._latest(env), *env.tags.values()], key=lambda t: t.name)
        after, count = req.arg("after"), self._int_arg(req, "count")
        page = [t.to_api() for t in tags if not after or t.name > after]
        return EmuResponse.json(200, {"tags": page[:count] if count else page, "nextToken": ""})

    def _create_tag(self, req: EmuRequest, env: Environment) -> EmuResponse:
        body = self._tag_body(req, env, "name", "revision")
        name = body["name"]
        if not isinstance(name, str) or not _TAG.fullmatch(name) or name.isdigit():
            raise Fail(400, "invalid revision tag name")
        if name == "latest" or name in env.tags:
            raise Fail(409, f"revision tag {name} already exists")
        now = self._clock.now()
        env.tags[name] = RevisionTag(name, body["revision"], now, now)
        return EmuResponse.empty(204)

    def _get_tag(self, req: EmuRequest, env: Environment, name: str) -> EmuResponse:
        return EmuResponse.json(200, self._tag(env, name).to_api())

    def _move_tag(self, req: EmuRequest, env: Environment, name: str) -> EmuResponse:
        tag = self._tag(env, name)
        if name == "latest":
            raise Fail(400, "the latest tag always names the newest revision")
        tag.revision = self._tag_body(req, env, "revision")["revision"]
        tag.modified = self._clock.now()
        return EmuResponse.empty(204)

    def _delete_tag(self, req: EmuRequest, env: Environment, name: str) -> EmuResponse:
        self._tag(env, name)
        if name == "latest":
            raise Fail(400, "the latest tag cannot be deleted")
        del env.tags[name]
        return EmuResponse.empty(204)

    def _open(self, req: EmuRequest, env: Environment, version: str = "latest") -> EmuResponse:
        return self._sessions.open(req, env, self._revision(env, version).text)

    def _read(self, req: EmuRequest, env: Environment, session_id: str) -> EmuResponse:
        return self._sessions.read(env, session_id)

    def _read_property(self, req: EmuRequest, env: Environment, session_id: str) -> EmuResponse:
        return self._sessions.read_property(req, env, session_id)
