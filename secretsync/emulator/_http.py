"""The emulator's own request and response types, independent of any HTTP server.

One handler serves three front ends (httpx transport, loopback server, pytest fixture);
they all translate to and from these two types.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import parse_qs

__all__ = ["CLOCK_YEARS", "Clock", "Delivery", "EmuRequest", "EmuResponse", "isoformat_z"]


@dataclass(frozen=True)
class EmuRequest:
    """One API request. ``path`` has no query string and is as sent (still percent-encoded);
    header names are lower-case; ``base_url`` is how the client reached us
    (``http://127.0.0.1:8900``), for links the answer has to carry."""

    method: str
    path: str
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = field(default=b"", repr=False)  # PATCH bodies carry plaintext values
    base_url: str = ""

    @classmethod
    def build(
        cls,
        method: str,
        target: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        base_url: str = "",
    ) -> EmuRequest:
        path, _, query = target.partition("?")
        return cls(
            method=method.upper(),
            path=path,
            query=parse_qs(query, keep_blank_values=True),
            headers={k.lower(): v for k, v in (headers or {}).items()},
            body=body,
            base_url=base_url.rstrip("/"),
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class EmuResponse:
    """One answer: status, headers (any case), body bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = field(default=b"", repr=False)  # /_emulator/state carries values

    @classmethod
    def json(
        cls, status: int, payload: Any, headers: Mapping[str, str] | None = None
    ) -> EmuResponse:
        out = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, out, json.dumps(payload).encode("utf-8"))

    @classmethod
    def yaml(cls, status: int, text: str, headers: Mapping[str, str] | None = None) -> EmuResponse:
        out = {"Content-Type": "application/x-yaml", **(headers or {})}
        return cls(status, out, text.encode("utf-8"))

    @classmethod
    def empty(cls, status: int, headers: Mapping[str, str] | None = None) -> EmuResponse:
        return cls(status, dict(headers or {}), b"")


def isoformat_z(moment: datetime) -> str:
    """GitHub's timestamp shape: ``2026-01-01T00:00:00Z``."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# The years the emulator's clock may show. GitHub's rate-limit reset is a Unix time and
# both services speak RFC 3339 UTC: before 1970 nothing is meaningful, and a clock near
# year 9999 overflows the moment anything adds a duration (an open session's expiry,
# advance()). 2100 leaves any test decades of room.
CLOCK_YEARS = (1970, 2100)


class Clock:
    """The emulator's notion of now: real time until set, then frozen (tests move it)."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._fixed or datetime.now(timezone.utc)

    def set(self, moment: datetime | None) -> None:
        """Freeze the clock at ``moment`` (timezone-aware), or ``None`` for real time."""
        if moment is not None and moment.tzinfo is None:
            raise ValueError("the emulator clock needs a timezone-aware datetime")
        if moment is not None:
            _check_year(moment)
        with self._lock:
            self._fixed = moment

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        with self._lock:
            base = self._fixed or datetime.now(timezone.utc)
            try:
                moment = base + timedelta(seconds=seconds)
            except OverflowError:
                raise ValueError("that moves the emulator clock out of its range") from None
            _check_year(moment)
            self._fixed = moment


def _check_year(moment: datetime) -> None:
    first, last = CLOCK_YEARS
    if not first <= moment.astimezone(timezone.utc).year < last:
        raise ValueError(f"the emulator clock must stay within the years {first}-{last - 1}")


@dataclass(frozen=True)
class Delivery:
    """An answer and how to deliver it: after ``delay_s``, whole, dropped or truncated."""

    response: EmuResponse
    delay_s: float = 0.0
    cut: Literal["drop", "truncate"] | None = None
