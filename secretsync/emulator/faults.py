"""Trouble the emulator can inject, so clients are tested against a bad day, not a good one.

Every fault is drawn from one ``random.Random(seed)``, three draws per API request in the
order requests arrive, so a seed replays the same sequence. What each fault does:

- ``latency_ms``: every API request is answered that much later (the server thread sleeps;
  the httpx transport sleeps, with ``asyncio.sleep`` on the async path).
- ``fail_rate``: that share of API requests answer ``fail_status`` (default 503) *before*
  anything is applied.
- ``drop_rate``: the request *is applied*, then the connection closes without an answer
  (the worst case: the client cannot know whether its write landed). httpx raises
  ``RemoteProtocolError``.
- ``truncate_rate``: the request is applied and the answer is cut short (the server
  promises more ``Content-Length`` than it sends, then closes). httpx raises
  ``RemoteProtocolError``.
- ``rate_limit_writes_per_minute``: GitHub's secondary limit. A write (PUT/POST/PATCH/
  DELETE) beyond that many in a sliding 60 s window of real time is refused with
  ``rate_limit_status`` (403 or 429) and ``retry-after``; the refused write is not applied.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = [
    "MAX_LATENCY_MS",
    "FaultDraw",
    "Faults",
    "FaultsError",
    "PrimaryBudget",
    "WriteLimiter",
]


class FaultsError(ValueError):
    """A fault setting is out of range or of the wrong type."""


# Bounds of the emulator's own, so a typo cannot park every request for days:
MAX_LATENCY_MS = 60_000  # twice the 30 s client timeout: every timeout path stays reachable
MAX_WRITES_PER_MINUTE = 1_000_000
MAX_SEED = 2**63  # |seed| below this: a seed is an id, not a number to compute with


@dataclass(frozen=True)
class Faults:
    """Fault settings; the default injects nothing."""

    latency_ms: int = 0
    fail_rate: float = 0.0
    fail_status: int = 503
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    rate_limit_writes_per_minute: int | None = None
    rate_limit_status: int = 403
    seed: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.latency_ms, bool) or not isinstance(self.latency_ms, int):
            raise FaultsError("latency_ms must be a whole number of milliseconds")
        if not 0 <= self.latency_ms <= MAX_LATENCY_MS:
            raise FaultsError(f"latency_ms must be between 0 and {MAX_LATENCY_MS}")
        for name in ("fail_rate", "drop_rate", "truncate_rate"):
            rate = getattr(self, name)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                raise FaultsError(f"{name} must be a number between 0 and 1")
        if not isinstance(self.fail_status, int) or not 400 <= self.fail_status <= 599:
            raise FaultsError("fail_status must be an HTTP error status (400-599)")
        limit = self.rate_limit_writes_per_minute
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise FaultsError("rate_limit_writes_per_minute must be a whole number or null")
        if limit is not None and not 1 <= limit <= MAX_WRITES_PER_MINUTE:
            raise FaultsError(
                f"rate_limit_writes_per_minute must be between 1 and {MAX_WRITES_PER_MINUTE} "
                "(null: no limit)"
            )
        if self.rate_limit_status not in (403, 429):
            raise FaultsError("rate_limit_status must be 403 or 429")
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise FaultsError("seed must be a whole number or null")
        if self.seed is not None and not -MAX_SEED < self.seed < MAX_SEED:
            raise FaultsError("seed must be a whole number below 2**63 in size, or null")

    @classmethod
    def from_json(cls, payload: Mapping[str, Any], base: Faults | None = None) -> Faults:
        """Settings from a JSON object; keys not given keep their value in ``base``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(payload) - known)
        if unknown:
            raise FaultsError(f"unknown fault setting(s): {', '.join(unknown)}")
        merged = {**asdict(base or cls()), **payload}
        return cls(**merged)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FaultDraw:
    """What the dice said for one request."""

    delay_s: float = 0.0
    fail: bool = False
    drop: bool = False
    truncate: bool = False


class FaultDice:
    """The seeded random source; three draws per API request, under a lock."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)  # noqa: S311 (replayable dice, not crypto)
        self._lock = threading.Lock()

    def roll(self) -> FaultDraw:
        f = self.faults
        with self._lock:
            fail, drop, truncate = self._rng.random(), self._rng.random(), self._rng.random()
        return FaultDraw(
            delay_s=f.latency_ms / 1000,
            fail=fail < f.fail_rate,
            drop=drop < f.drop_rate,
            truncate=truncate < f.truncate_rate,
        )


class WriteLimiter:
    """GitHub's secondary limit: at most ``per_minute`` writes in any sliding 60 s window.

    Real monotonic time, not the emulator clock: clients pace themselves with real sleeps.
    """

    WINDOW_S = 60.0

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._accepted: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self, per_minute: int | None) -> int | None:
        """Record a write and return None, or refuse it: seconds until one would pass."""
        now = self._monotonic()
        with self._lock:
            while self._accepted and now - self._accepted[0] >= self.WINDOW_S:
                self._accepted.popleft()
            if per_minute is not None and len(self._accepted) >= per_minute:
                oldest = self._accepted[len(self._accepted) - per_minute]
                return max(1, math.ceil(oldest + self.WINDOW_S - now))
            self._accepted.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._accepted.clear()


class PrimaryBudget:
    """GitHub's primary limit: ``limit`` requests an hour, shown in ``x-ratelimit-*``."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self._clock = clock
        self._used = 0
        self._reset_at = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Count one request; False when the hour's budget was already spent."""
        with self._lock:
            self._roll()
            if self._used >= self.limit:
                return False
            self._used += 1
            return True

    def headers(self) -> dict[str, str]:
        with self._lock:
            self._roll()
            return {
                "x-ratelimit-limit": str(self.limit),
                "x-ratelimit-remaining": str(max(0, self.limit - self._used)),
                "x-ratelimit-reset": str(self._reset_at),
                "x-ratelimit-used": str(self._used),
                "x-ratelimit-resource": "core",
            }

    def reset(self) -> None:
        with self._lock:
            self._used, self._reset_at = 0, 0

    def _roll(self) -> None:
        now = int(self._clock())
        if now >= self._reset_at:
            self._used, self._reset_at = 0, now + 3600
