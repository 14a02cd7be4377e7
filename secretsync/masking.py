"""Showing that a value exists, or changed, without showing the value.

Fingerprints are keyed with a random key made once per process: two fingerprints printed
in one run can be compared (old vs new in a plan), but a printed fingerprint cannot be
checked offline against a guessed password. :class:`Redactor` is the last line of defence:
the CLI runs every line it prints through one that knows the values of this run.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable

__all__ = ["MASK", "Redactor", "fingerprint", "mask"]

MASK = "••••••"
_RUN_KEY = os.urandom(32)  # os, not `secrets`: one import less at every start
# Values shorter than this are too common ("1", "true") to scrub from arbitrary text
# without mangling it; they are never printed by secretsync in the first place.
_MIN_REDACT_LEN = 4
# What add_secrets() takes as a credential: shorter values are words, not keys.
_MIN_SECRET_LEN = 8


def fingerprint(value: str, *, key: bytes | None = None) -> str:
    """A short tag that changes when the value changes: ``fp:1a2b3c4d``."""
    return _fingerprint(value, key or _RUN_KEY)


@functools.lru_cache(maxsize=16384)
def _fingerprint(value: str, key: bytes) -> str:
    # Cached: a plan prints old and new per secret per environment, mostly the same values.
    import hashlib  # here, not at the top: every command imports this module at start-up
    import hmac

    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"fp:{digest[:8]}"


def mask(value: str | None) -> str:
    """What a table shows in place of a value: whether it is set, never what it is."""
    if value is None:
        return "(unset)"
    if value.strip() == "":
        return "(empty)"
    return f"{MASK} ({len(value)} chars)"


class Redactor:
    """Replaces every known secret value (and its common encodings) in a text."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._needles: set[str] = set()
        self._ordered: list[str] = []
        # add_secrets' values, judged only when one turns up in a text (most never do,
        # and judging a thousand values costs a start-up that a sync cannot spare).
        self._candidates: set[str] = set()
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            for form in _forms(value):
                if len(form) >= _MIN_REDACT_LEN:
                    self._needles.add(form)
        # Longest first, so a value that contains another is replaced whole.
        self._ordered = sorted(self._needles, key=len, reverse=True)

    def add_secrets(self, values: Iterable[str]) -> None:
        """Like :meth:`add`, for values read from a store: only those that look like secrets.

        Placeholders and short or word-like values are left out: they are what secretsync
        reports on, by kind, and a redactor that knew ``changeme``, ``true`` or ``prod``
        would mangle every message and JSON document that holds the word. Callers pass
        only the values of sensitive secrets (``Secret.is_sensitive``).
        """
        self._candidates.update(v for v in values if _credential_like(v))

    def _judge_candidates(self, text: str) -> None:
        """Move the candidates found in ``text`` into the needles, if they are credentials."""
        found = [
            value
            for value in self._candidates
            if any(form in text for form in _forms(value) if len(form) >= _MIN_REDACT_LEN)
        ]
        if not found:
            return
        from secretsync.placeholders import Verdict, classify

        stand_ins = (Verdict.EMPTY, Verdict.PLACEHOLDER)
        self._candidates.difference_update(found)
        # A reference-looking value ("$pass${word}") is still a credential when a sensitive
        # secret holds it: only stand-ins are left out.
        self.add(v for v in found if classify(v).verdict not in stand_ins)

    def __bool__(self) -> bool:
        return bool(self._needles or self._candidates)

    def __repr__(self) -> str:
        return f"Redactor({len(self._needles) + len(self._candidates)} values)"

    def redact(self, text: str) -> str:
        if self._candidates:
            self._judge_candidates(text)
        for needle in self._ordered:
            if needle in text:
                text = text.replace(needle, MASK)
        return text


def _credential_like(value: str) -> bool:
    """Long, or mixing digits or cases: ``production`` and ``sophia-ai`` are words."""
    text = value.strip()
    if len(text) < _MIN_SECRET_LEN:
        return False
    mixed_case = any(c.islower() for c in text) and any(c.isupper() for c in text)
    return len(text) >= 20 or mixed_case or any(c.isdigit() for c in text)


def _forms(value: str) -> Iterable[str]:
    """The value as written, and line by line (multi-line keys leak one line at a time)."""
    yield value
    stripped = value.strip()
    if stripped != value:
        yield stripped
    if "\n" in value:
        for line in value.splitlines():
            if len(line.strip()) >= 16:
                yield line.strip()
