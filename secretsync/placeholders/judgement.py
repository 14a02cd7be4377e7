"""Is this value acceptable for this mapped secret? One answer for sync, push, audit, settings.

The placeholder classifier judges a value as a would-be secret: ``admin`` or ``production``
are placeholders there. That is right for ``secret``, ``pem`` and ``url`` values, but a
``string`` setting may well hold a user name or an environment name, and an ``int``,
``bool`` or ``json`` value is judged by whether it parses. Keeping these rules here, and
only here, means a value sync accepts is a value the runtime settings accept too.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from secretsync.placeholders import Classification, Verdict, classify, looks_secret_bearing_key

if TYPE_CHECKING:
    from secretsync.map.model import Secret

__all__ = ["FORMAT_KIND", "STRICT_TYPES", "is_format_problem", "judge", "judge_value"]

#: Map types whose values are credentials: every placeholder verdict counts.
STRICT_TYPES = frozenset({"secret", "pem", "url"})
#: ``kind`` prefix of a value that does not parse as its type (``format:int``).
FORMAT_KIND = "format:"

# For a ``string``: kinds that no real setting has (a template, a vendor's documented
# example, a run of padding), and the words that only ever mean "fill this in".
_STRING_KIND_PREFIXES = (
    "empty",
    "whitespace",
    "template:",
    "provider-placeholder:",
    "vendor-example:",
    "pem-placeholder",
    "redacted",
    "padding",
    "elided",
)
_STRING_MARKERS = frozenset(
    {
        "changeme", "change", "replaceme", "replace", "todo", "tbd", "fixme", "placeholder",
        "redacted", "insert", "enter", "paste", "fill", "your", "yours", "xxx", "notreal",
    }
)  # fmt: skip
_VARIABLE = re.compile(r"\$(?:\{[^{}$]*\}|[A-Za-z_][A-Za-z0-9_]*)")
_INT = re.compile(r"[+-]?[0-9]+")
# What pydantic (and so the runtime settings) reads as a boolean.
_BOOLS = frozenset({"true", "false", "1", "0", "yes", "no", "on", "off", "t", "f", "y", "n"})


def judge(secret: Secret, value: str) -> Classification | None:
    """None when ``value`` is acceptable for ``secret``; else why not (no value inside)."""
    return judge_value(secret.type, value, secret.name)


def judge_value(type_name: str, value: str, key: str | None = None) -> Classification | None:
    """The rules by map type; ``key`` (the secret's name) sharpens the classifier.

    The verdict of an answer is EMPTY, PLACEHOLDER, or REFERENCE (the whole value is a
    pointer left unresolved, refused like a placeholder); a value that does not parse as
    its type has verdict PLACEHOLDER and kind ``format:<type>`` (see
    :func:`is_format_problem`).
    """
    if not value.strip():
        return classify(value, key)
    if type_name in ("int", "bool", "json"):
        return _typed(type_name, value, key)
    found = classify(value, key)
    if found.verdict is Verdict.SECRET:
        return None
    if found.verdict is Verdict.REFERENCE:
        return found if _whole_reference(found, value) else None
    if type_name in STRICT_TYPES:
        return found
    # A `string`: only what is a placeholder whatever the setting is, unless the name
    # says the value is a credential after all (a `string` typed DB_PASSWORD).
    if looks_secret_bearing_key(key or ""):
        return found
    if found.kind.startswith(_STRING_KIND_PREFIXES):
        return found
    if found.kind.startswith("word:") and found.kind[len("word:") :] in _STRING_MARKERS:
        return found
    return None


def _whole_reference(found: Classification, value: str) -> bool:
    """A pointer instead of a value: ``${DB_PASSWORD}``, ``op://vault/item``.

    ``$`` and ``${...}`` inside a longer value are a password's own characters
    (``new$${Pa55}-word``): sync writes those losslessly, so they are not refused.
    """
    if found.kind in ("reference:interpolation", "reference:env"):
        return _VARIABLE.fullmatch(value.strip()) is not None
    return True


def is_format_problem(found: Classification) -> bool:
    """True when the value is not a placeholder but does not parse as its type."""
    return found.kind.startswith(FORMAT_KIND)


def _typed(type_name: str, value: str, key: str | None) -> Classification | None:
    text = value.strip()
    if type_name == "int":
        ok, what = _INT.fullmatch(text) is not None, "an integer"
    elif type_name == "bool":
        ok, what = text.lower() in _BOOLS, "a boolean (true/false, yes/no, on/off, 1/0)"
    else:
        ok, what = _parses_as_json(text), "valid JSON"
    if ok:
        return None
    found = classify(value, key)
    if found.verdict is Verdict.REFERENCE or found.kind.startswith("template:"):
        return found  # more telling than "not an integer"
    return Classification(Verdict.PLACEHOLDER, f"{FORMAT_KIND}{type_name}", f"not {what}")


def _parses_as_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True
