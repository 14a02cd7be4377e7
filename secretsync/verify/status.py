"""What verify can say about one credential, and one result row.

``live``, ``rejected`` and ``unknown`` are the provider's answer (SPEC section 7);
``unverifiable`` means nothing was sent (no format, a format no provider verifies, a
webhook, no value, a placeholder, a value not in the provider's format), so "the provider
could not say" and "we never asked" stay apart. Only ``rejected`` fails the run by default.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Outcome", "Status", "VerifyResult"]


class Status(str, enum.Enum):
    """One credential's verdict; the JSON ``status`` strings."""

    LIVE = "live"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    UNVERIFIABLE = "unverifiable"


@dataclass(frozen=True)
class Outcome:
    """A provider's answer (or why none was asked for), with a one-line reason."""

    status: Status
    detail: str


@dataclass(frozen=True)
class VerifyResult:
    """One secret in one deploy environment (``None``: a values source shared by all).

    ``system`` and ``location`` say where the value was read (``esc`` and
    ``org/project/env:path``, or ``source`` and ``source:NAME``), as audit findings do.
    """

    secret: str
    environment: str | None
    provider: str | None
    status: Status
    detail: str
    system: str
    location: str

    def to_json(self) -> dict[str, str | None]:
        return {
            "secret": self.secret,
            "environment": self.environment,
            "provider": self.provider,
            "status": self.status.value,
            "detail": self.detail,
        }
