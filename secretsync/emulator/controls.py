"""``/_emulator/...``: the test-only controls, JSON over HTTP.

They need no ``Authorization``, are never faulted or rate limited, and stay out of the
request log, so a test can inspect and steer the emulator without disturbing what it
measures.

    GET    /_emulator/state      everything held, GitHub values in plain text
    POST   /_emulator/reset      empty state (faults and clock stay), then what --seed made
    GET    /_emulator/requests   the API request log: method, path, query, status, fault
    DELETE /_emulator/requests   clear it
    GET|PUT /_emulator/clock     {"now": "2026-01-01T00:00:00Z"} freezes; {"now": null} is real time
    GET|PUT /_emulator/faults    the fault settings (PUT replaces them all)
    GET    /_emulator/workflow-secrets?repository=OWNER/NAME
                                 the secret names a workflow there would get (GitHub's rule)
    GET|PUT /_emulator/providers which credentials each provider facet accepts:
                                 {"openai": {"live": ["sk-..."]}} (PUT replaces them all)
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from secretsync.emulator._http import EmuRequest, EmuResponse, isoformat_z
from secretsync.emulator.faults import Faults, FaultsError
from secretsync.emulator.github_store import GitHubError
from secretsync.emulator.providers import ProvidersError

if TYPE_CHECKING:
    from secretsync.emulator.app import Emulator

__all__ = ["handle_control"]


def handle_control(emu: Emulator, req: EmuRequest) -> EmuResponse:
    what = req.path.removeprefix("/_emulator").strip("/")
    route = (req.method, what)
    try:
        if route == ("GET", "state"):
            return EmuResponse.json(200, emu.state())
        if route == ("POST", "reset"):
            emu.reset()
            return EmuResponse.empty(204)
        if route == ("GET", "requests"):
            return EmuResponse.json(200, {"requests": emu.request_log()})
        if route == ("DELETE", "requests"):
            emu.clear_request_log()
            return EmuResponse.empty(204)
        if route == ("PUT", "clock"):
            emu.clock.set(_parse_now(_body(req).get("now")))
        if what == "clock" and req.method in ("GET", "PUT"):
            return EmuResponse.json(200, {"now": isoformat_z(emu.clock.now())})
        if route == ("GET", "workflow-secrets"):
            repository = (req.query.get("repository") or [""])[0]
            return EmuResponse.json(200, emu.workflow_secrets(repository))
        if route == ("PUT", "faults"):
            emu.set_faults(Faults.from_json(_body(req)))
        if what == "faults" and req.method in ("GET", "PUT"):
            return EmuResponse.json(200, emu.faults.to_json())
        if route == ("PUT", "providers"):
            emu.providers.configure(_body(req))
        if what == "providers" and req.method in ("GET", "PUT"):
            return EmuResponse.json(200, emu.providers.state())
    except GitHubError as exc:
        return EmuResponse.json(exc.status, {"message": exc.message})
    except (FaultsError, ProvidersError, ValueError, TypeError) as exc:
        return EmuResponse.json(400, {"message": str(exc)})
    return EmuResponse.json(404, {"message": f"no emulator control {req.method} {req.path}"})


def _body(req: EmuRequest) -> dict[str, Any]:
    try:
        body = req.json()
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _parse_now(raw: object) -> datetime | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValueError('"now" must be an ISO 8601 time like 2026-01-01T00:00:00Z, or null')
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError('"now" needs a timezone, e.g. a trailing Z')
    return moment
