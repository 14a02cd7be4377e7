"""Structured values judged by their credential fields: a JSON object, or a JS object /
JAAS line / flow map with quoted fields. A placeholder or a reference in one credential
field decides for the whole value; the field itself is judged by the caller's ``classify``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from secretsync.placeholders import patterns
from secretsync.placeholders.keys import looks_secret_bearing_key
from secretsync.placeholders.verdict import Classification, Verdict
from secretsync.placeholders.verdict import placeholder as _ph

Classifier = Callable[[str, str], Classification]

_JSON_SECRET_FIELDS = frozenset(("key", "secret", "password", "token", "value"))


def json_fields(text: str, classify: Classifier) -> Classification | None:
    """A JSON object (``{"type": "HS256", "key": "..."}``) judged by its credential fields:
    a placeholder or a reference in one of them decides for the whole value."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if patterns.environment_provider(data):
        return Classification(
            Verdict.REFERENCE, "reference:env", "a password provider naming an environment variable"
        )
    for name, field in data.items():
        if not isinstance(field, str) or not (
            name.lower() in _JSON_SECRET_FIELDS or looks_secret_bearing_key(name)
        ):
            continue
        found = classify(field, name)
        if found.verdict in (Verdict.PLACEHOLDER, Verdict.EMPTY):
            return _ph(found.kind, f"a JSON credential field: {found.reason}")
        if found.verdict is Verdict.REFERENCE:
            return Classification(Verdict.REFERENCE, found.kind, f"a JSON field {found.reason}")
    return None


def inline_fields(text: str, classify: Classifier) -> Classification | None:
    """``username: 'DUMMY', password: 'dummy'`` inside a JS object, a JAAS line or a flow
    map that is not strict JSON: a quoted credential field decides like a JSON one."""
    for match in patterns.INLINE_FIELD.finditer(text):
        name, field = match.group("name"), match.group("field")
        if len(field) * 2 > len(text):
            continue  # the field is most of the value: the value's own rules judge it
        found = classify(field, name)
        if found.verdict in (Verdict.PLACEHOLDER, Verdict.EMPTY):
            return _ph(found.kind, f"a quoted credential field: {found.reason}")
        if found.verdict is Verdict.REFERENCE:
            return Classification(Verdict.REFERENCE, found.kind, f"a field {found.reason}")
    return None
