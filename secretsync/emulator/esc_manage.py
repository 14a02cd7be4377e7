"""ESC environment tags and clone, as ``pulumi-esc.swagger.yaml`` describes them.

Environment tags are key/value labels on an environment (not revision tags):
``GET|POST /environments/{org}/{project}/{env}/tags`` and ``GET|PATCH|DELETE .../tags/{name}``.
Listing answers ``{"tags": {name: tag}, "nextToken": ...}`` (a map, as the swagger and the
official CLI's client type have it), ordered by name, paged by ``after`` and ``count``.
An update names the tag's current value (``currentTag.value``), a check against a lost
update; an empty ``newTag`` name or value keeps the old one (the official CLI sends empty
strings for what it does not change). ``POST .../clone`` copies an environment's definition
(at ``version``, default latest) into a new one of the same organization; the
``preserve*`` flags copy history, revision tags and environment tags (access: the
emulator has no teams, so there is nothing to preserve).

Inferred, not documented: a duplicate tag name or clone target answers 400, the only
client error the description lists for those operations.
"""

from __future__ import annotations

from typing import Any

from secretsync.emulator._http import Clock, EmuRequest, EmuResponse
from secretsync.emulator.esc_open import Fail
from secretsync.emulator.esc_store import (
    Environment,
    EnvironmentTag,
    EscStore,
    Revision,
    RevisionTag,
)

__all__ = [
    "clone_environment",
    "create_tag",
    "delete_tag",
    "get_tag",
    "list_tags",
    "update_tag",
]

MAX_TAG_LENGTH = 255  # the emulator's own bound; the service documents none


def _body(req: EmuRequest) -> dict[str, Any]:
    try:
        body = req.json()
    except (ValueError, UnicodeError):
        raise Fail(400, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise Fail(400, "the body must be a JSON object")
    return body


def _text(value: object, what: str, *, empty_ok: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty_ok):
        raise Fail(400, f"{what} must be a non-empty string")
    if len(value) > MAX_TAG_LENGTH:
        raise Fail(400, f"{what} is longer than {MAX_TAG_LENGTH} characters")
    return value


def _find(env: Environment, name: str) -> EnvironmentTag:
    found = env.env_tags.get(name)
    if found is None:
        raise Fail(404, f"tag {name} of environment {env.org}/{env.ref} not found")
    return found


def list_tags(req: EmuRequest, env: Environment) -> EmuResponse:
    after = req.arg("after") or ""
    raw_count = req.arg("count")
    if raw_count and not raw_count.isdigit():
        raise Fail(400, "'count' must be an integer")
    count = int(raw_count) if raw_count else None
    names = [n for n in sorted(env.env_tags) if n > after]
    page = names[:count] if count else names
    more = len(page) < len(names)
    return EmuResponse.json(
        200,
        {
            "tags": {n: env.env_tags[n].to_api() for n in page},
            "nextToken": page[-1] if more and page else "",
        },
    )


def create_tag(req: EmuRequest, env: Environment, clock: Clock) -> EmuResponse:
    body = _body(req)
    name = _text(body.get("name"), "'name'")
    value = _text(body.get("value"), "'value'", empty_ok=True)
    if name in env.env_tags:
        raise Fail(400, f"tag {name} already exists on {env.org}/{env.ref}")
    now = clock.now()
    tag = EnvironmentTag(f"{env.uid}-{len(env.env_tags) + 1}", name, value, now, now)
    env.env_tags[name] = tag
    return EmuResponse.json(200, tag.to_api())


def get_tag(req: EmuRequest, env: Environment, name: str) -> EmuResponse:
    return EmuResponse.json(200, _find(env, name).to_api())


def update_tag(req: EmuRequest, env: Environment, name: str, clock: Clock) -> EmuResponse:
    tag = _find(env, name)
    body = _body(req)
    current, new = body.get("currentTag"), body.get("newTag")
    if not isinstance(current, dict) or not isinstance(new, dict):
        raise Fail(400, "the body must hold currentTag and newTag objects")
    if _text(current.get("value"), "'currentTag.value'", empty_ok=True) != tag.value:
        raise Fail(400, f"tag {name} does not hold that current value (changed meanwhile?)")
    new_name = _text(new.get("name", ""), "'newTag.name'", empty_ok=True) or tag.name
    new_value = _text(new.get("value", ""), "'newTag.value'", empty_ok=True) or tag.value
    if new_name != tag.name and new_name in env.env_tags:
        raise Fail(400, f"tag {new_name} already exists on {env.org}/{env.ref}")
    del env.env_tags[tag.name]
    tag.name, tag.value, tag.modified = new_name, new_value, clock.now()
    env.env_tags[new_name] = tag
    return EmuResponse.json(200, tag.to_api())


def delete_tag(req: EmuRequest, env: Environment, name: str) -> EmuResponse:
    del env.env_tags[_find(env, name).name]
    return EmuResponse.empty(204)


def clone_environment(
    req: EmuRequest, env: Environment, store: EscStore, clock: Clock
) -> EmuResponse:
    body = _body(req)
    project = _text(body.get("project"), "'project'")
    name = _text(body.get("name"), "'name'")
    flags = {}
    for key in (
        "preserveHistory",
        "preserveAccess",
        "preserveEnvironmentTags",
        "preserveRevisionTags",
    ):
        if not isinstance(body.get(key, False), bool):
            raise Fail(400, f"'{key}' must be a boolean")
        flags[key] = bool(body.get(key, False))
    version = body.get("version")
    if version in (None, 0):
        source = env.current
    elif isinstance(version, int) and not isinstance(version, bool):
        found = env.revision(str(version))
        if found is None:
            raise Fail(400, f"revision {version} of {env.org}/{env.ref} not found")
        source = found
    else:
        raise Fail(400, "'version' must be a revision number")
    if store.find(env.org, project, name) is not None:
        raise Fail(400, f"environment {env.org}/{project}/{name} already exists")
    try:
        clone = store.create(env.org, project, name)
    except ValueError as exc:
        raise Fail(400, str(exc)) from None
    if flags["preserveHistory"]:
        clone.revisions = [
            Revision(r.number, r.created, r.text) for r in env.revisions[: source.number]
        ]
        if flags["preserveRevisionTags"]:
            now = clock.now()
            clone.tags = {
                t.name: RevisionTag(t.name, t.revision, now, now)
                for t in env.tags.values()
                if t.revision <= source.number
            }
    else:
        clone.revisions = [Revision(1, clone.created, source.text)]
    if flags["preserveEnvironmentTags"]:
        clone.env_tags = {
            n: EnvironmentTag(f"{clone.uid}-{i}", t.name, t.value, t.created, t.modified)
            for i, (n, t) in enumerate(sorted(env.env_tags.items()), 1)
        }
    return EmuResponse.empty(204)
