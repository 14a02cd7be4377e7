"""What :func:`~secretsync.placeholders.classify` answers: a verdict, a stable kind and a
sentence for people. Kept apart so every rule module can build one without import cycles.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Verdict(str, Enum):
    EMPTY = "empty"
    PLACEHOLDER = "placeholder"
    REFERENCE = "reference"
    SECRET = "secret"


@dataclass(frozen=True)
class Classification:
    """The verdict, a stable id of the pattern that decided it, and a sentence for people."""

    verdict: Verdict
    kind: str
    reason: str


def placeholder(kind: str, reason: str) -> Classification:
    return Classification(Verdict.PLACEHOLDER, kind, reason)
