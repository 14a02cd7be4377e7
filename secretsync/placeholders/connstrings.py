"""``Name=value;`` connection strings (Azure Storage, Service Bus, ADO.NET) judged by their
fields, as a reviewer reads them: the credential field decides, the storage emulator's
documented settings are an example, and a string with no credential but a placeholder
host or server is a template nobody filled in. Needs ``=``, so plain tokens never get here.
"""

from __future__ import annotations

from collections.abc import Callable

from secretsync._lazyre import lazy_compile
from secretsync.placeholders.verdict import Classification, Verdict
from secretsync.placeholders.verdict import placeholder as _ph

Classifier = Callable[[str, str], Classification]

_PAIR = lazy_compile(r"\s*([A-Za-z][A-Za-z _]{0,40})=([^;]*)")
#: Keywords of Azure and ADO.NET connection strings: one must be present to call it one.
_KNOWN = frozenset(
    (
        "defaultendpointsprotocol", "accountname", "accountkey", "endpointsuffix",
        "blobendpoint", "queueendpoint", "tableendpoint", "fileendpoint", "endpoint",
        "sharedaccesskeyname", "sharedaccesskey", "sharedaccesssignature", "entitypath",
        "usedevelopmentstorage", "server", "data source", "database", "initial catalog",
        "user id", "uid", "password", "pwd", "trusted_connection", "integrated security",
    )
)  # fmt: skip
_CREDENTIALS = frozenset(
    ("accountkey", "sharedaccesskey", "sharedaccesssignature", "password", "pwd")
)
#: The Azure Storage emulator's fixed, published account (Azurite, the old emulator).
_EMULATOR_ACCOUNT = "devstoreaccount1"


def _pairs(text: str) -> list[tuple[str, str]] | None:
    pairs: list[tuple[str, str]] = []
    for part in text.strip().rstrip(";").split(";"):
        match = _PAIR.fullmatch(part)
        if match is None:
            return None
        pairs.append((match.group(1).strip().lower(), match.group(2).strip()))
    return pairs


def connection_string(text: str, classify: Classifier) -> Classification | None:
    """The verdict a ``Name=value;`` connection string earns from its fields, or None."""
    pairs = _pairs(text)
    if not pairs or not any(name in _KNOWN for name, _ in pairs):
        return None
    fields = dict(pairs)
    if fields.get("usedevelopmentstorage", "").lower() == "true":
        return _ph("vendor-example:azure", "the Azure Storage emulator's development setting")
    if fields.get("accountname", "").lower() == _EMULATOR_ACCOUNT:
        return _ph("vendor-example:azure", "the Azure Storage emulator's published account key")
    credentials = [(name, value) for name, value in pairs if name in _CREDENTIALS]
    for name, value in credentials:
        found = classify(value, name)
        if found.verdict in (Verdict.PLACEHOLDER, Verdict.EMPTY):
            return _ph(found.kind, f"a connection-string credential field: {found.reason}")
        if found.verdict is Verdict.REFERENCE:
            return Classification(
                Verdict.REFERENCE, found.kind, f"a connection-string field {found.reason}"
            )
    if credentials:
        return None  # a real-looking credential: the value's own rules judge it
    for name, value in pairs:
        if value and name in _KNOWN:
            found = classify(value, name)
            if found.verdict is Verdict.PLACEHOLDER:
                return _ph(found.kind, f"a connection string with no credential: {found.reason}")
    return None
