"""Runs of padding and elision marks: the filler people type where a key should be
(``xxxxxxxx``, ``sk-proj-...``, ``****1234``) and the repeated units of a made-up value.

Each check is a C-level regular expression first; the Python loop behind it only sees values
that already look padded, so a random key leaves after one ``search``.
"""

from __future__ import annotations

import re

from secretsync._lazyre import lazy_compile

_RUN = lazy_compile(r"(.)\1{2,}", re.S)
_PAD_CHARS = frozenset("xX*#0.-_•…")
#: The marks of a value shown cut short.
ELISIONS = ("...", "…", "***", "•••")
_ELISION_RUN = lazy_compile(r"\.{3,}|…+|\*{3,}|•{3,}")
_PLAIN = lazy_compile(r"[A-Za-z0-9_.-]*")
_TRUNCATED = lazy_compile(r"[A-Za-z0-9_+/=.-]{4,}?(?:\.{3,}|…)")


def repeated_unit(text: str) -> bool:
    """``apikeyapikeyapikey``, ``abcabcabc``: one short unit written out three times or more."""
    for size in range(2, min(12, len(text) // 3) + 1):
        unit = text[:size]
        if (unit * (len(text) // size + 1)).startswith(text):
            return True
    return False


def padding_run(body: str) -> str | None:
    """The padding character when runs of it make up at least half of ``body``."""
    if len(body) < 3:
        return None
    covered: dict[str, int] = {}
    for match in _RUN.finditer(body):
        char = match.group(1)
        if char in _PAD_CHARS or len(match.group(0)) == len(body):
            covered[char] = covered.get(char, 0) + len(match.group(0))
    if not covered:
        return None
    char, _ = max(covered.items(), key=lambda item: item[1])
    return char if sum(covered.values()) * 2 >= len(body) else None


def elided(value: str) -> bool:
    """``sk-proj-...``, ``AKIA…WXYZ``, ``****1234``: a marker, a few plain characters around;
    or a token of any length cut off with ``...`` (``eyJhbGciOi...``): no real key ends so."""
    if not any(mark in value for mark in ELISIONS):
        return False
    rest = _ELISION_RUN.sub("", value)
    if len(rest) <= 24 and _PLAIN.fullmatch(rest) is not None:
        return True
    return value.endswith(("...", "…")) and _TRUNCATED.fullmatch(value) is not None
