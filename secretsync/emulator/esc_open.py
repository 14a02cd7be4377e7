"""Open sessions and checks: the ESC endpoints that evaluate a definition and answer values.

``POST .../open`` evaluates once and keeps the result under a session id until its
``duration`` (Go duration syntax, default ``1h``) runs out on the emulator's clock;
``GET .../open/{id}`` and ``.../open//{id}?property=path`` read it. ``yaml/check``
evaluates posted YAML without storing it and hides secrets unless ``showSecrets=true``.
Also home to :class:`Fail`, the error answer every ESC handler raises.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from secretsync.emulator._http import Clock, EmuRequest, EmuResponse
from secretsync.emulator.esc_eval import EValue
from secretsync.emulator.esc_store import Environment, EscStore
from secretsync.emulator.esc_syntax import Diagnostic, parse_access

__all__ = ["Fail", "OpenSessions", "diagnostics_response"]

_DURATION = re.compile(r"(\d*\.\d+|\d+)(ns|us|µs|ms|s|m|h)")
# The emulator's bound on an open session (ESC's description states none): a year, so an
# endless duration answers 400 instead of overflowing the clock.
MAX_OPEN_SECONDS = 366 * 24 * 3600
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class Fail(Exception):
    """An ESC error answer: ``{"message", "code"}`` with that status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.response = EmuResponse.json(status, {"message": message, "code": status})


def diagnostics_response(status: int, diags: list[Diagnostic], **extra: Any) -> EmuResponse:
    return EmuResponse.json(status, {**extra, "diagnostics": [d.to_api() for d in diags]})


@dataclass
class _Session:
    env: tuple[str, str, str]
    expires: datetime
    root: EValue


class OpenSessions:
    """Evaluated environments by session id (the caller holds the service lock)."""

    def __init__(self, clock: Clock, rng: random.Random, store: EscStore) -> None:
        self._clock, self._rng, self._store = clock, rng, store
        self._open: dict[str, _Session] = {}

    def reset(self) -> None:
        self._open.clear()

    def forget(self, env: Environment) -> None:
        """Drop the sessions of a deleted environment."""
        key = (env.org, env.project, env.name)
        self._open = {k: s for k, s in self._open.items() if s.env != key}

    def open(self, req: EmuRequest, env: Environment, text: str) -> EmuResponse:
        """Evaluate ``text`` (a revision of ``env``) and keep the result for ``duration``."""
        seconds = self._duration(req.arg("duration") or "1h")
        root, diags = self._store.evaluate(env.org, env.ref, text)
        if diags:
            return diagnostics_response(400, diags)
        session_id = f"{self._rng.getrandbits(64):016x}"
        expires = self._clock.now() + timedelta(seconds=seconds)
        self._open[session_id] = _Session((env.org, env.project, env.name), expires, root)
        return EmuResponse.json(200, {"id": session_id})

    @staticmethod
    def _duration(text: str) -> float:
        if not re.fullmatch(f"(?:{_DURATION.pattern})+", text):
            raise Fail(400, "invalid duration")
        seconds = sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(text))
        if seconds > MAX_OPEN_SECONDS:  # the description names no maximum; this is ours
            raise Fail(400, f"duration must be at most {MAX_OPEN_SECONDS // 3600} hours")
        return seconds

    def _session(self, env: Environment, session_id: str) -> EValue:
        session = self._open.get(session_id)
        if session is None or session.env != (env.org, env.project, env.name):
            raise Fail(404, "open session not found")
        if self._clock.now() >= session.expires:
            del self._open[session_id]
            raise Fail(404, "open session expired")
        return session.root

    def read(self, env: Environment, session_id: str) -> EmuResponse:
        root = self._session(env, session_id)
        properties = {k: v.to_api() for k, v in root.value.items()}
        return EmuResponse.json(200, {"properties": properties})

    def read_property(self, req: EmuRequest, env: Environment, session_id: str) -> EmuResponse:
        value = self._session(env, session_id)
        try:
            access, rest = parse_access((req.arg("property") or "") + "}")
        except ValueError:
            raise Fail(400, "invalid property path") from None
        if rest or not access:
            raise Fail(400, "invalid property path")
        for step in access:
            value = _step(value, step)
        return EmuResponse.json(200, value.to_api())

    def check(self, req: EmuRequest, org: str) -> EmuResponse:
        """Evaluate a posted definition as if it were an environment of ``org``."""
        try:
            text = req.body.decode("utf-8")
        except UnicodeError:
            raise Fail(400, "the body must be UTF-8 YAML") from None
        root, diags = self._store.evaluate(org, "default/yaml", text)
        show = (req.arg("showSecrets") or "").lower() == "true"
        properties = {k: _redact(v, show).to_api() for k, v in root.value.items()}
        return diagnostics_response(400 if diags else 200, diags, properties=properties)


def _step(value: EValue, step: str | int) -> EValue:
    inner = value.value
    if isinstance(step, str) and isinstance(inner, dict) and step in inner:
        found: EValue = inner[step]
        return found
    if isinstance(step, int) and isinstance(inner, list) and step < len(inner):
        item: EValue = inner[step]
        return item
    raise Fail(404, "property not found")


def _redact(value: EValue, show: bool) -> EValue:
    if isinstance(value.value, dict):
        return EValue(
            {k: _redact(v, show) for k, v in value.value.items()}, value.secret, value.span
        )
    if isinstance(value.value, list):
        return EValue([_redact(v, show) for v in value.value], value.secret, value.span)
    if value.secret and not show:
        return EValue("[secret]", True, value.span, value.unknown)
    return value
