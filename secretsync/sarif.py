"""SARIF 2.1.0 output, shared by ``audit`` and ``scan`` for GitHub code scanning.

Code scanning shows a result at a file and line of the repository, so every result names a
repository-relative posix path; ``uriBaseId: %SRCROOT%`` lets the upload action resolve it.
A result's ``fingerprint`` becomes its ``partialFingerprints`` entry, which code scanning
uses to follow one alert across commits. Callers build it from stable names (rule, path,
secret name), never from a value: SARIF files are uploaded and kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Literal

from secretsync._version import __version__

__all__ = [
    "FINGERPRINT_KEY",
    "SARIF_SCHEMA_URI",
    "SARIF_VERSION",
    "SarifResult",
    "SarifRule",
    "render_sarif",
]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# Our own stable key (GitHub computes primaryLocationLineHash itself when it is absent).
FINGERPRINT_KEY = "secretsync/v1"
DEFAULT_INFORMATION_URI = "https://github.com/ai-cherry/secretsync"

Level = Literal["error", "warning", "note"]
_LEVELS = ("error", "warning", "note")


@dataclass(frozen=True)
class SarifRule:
    """A rule's metadata: code scanning shows ``short`` in lists and ``help`` on the alert.

    ``help`` is plain text; ``help_markdown`` (default: ``help``) is what GitHub renders.
    ``full`` (default: ``short``) is the longer description.
    """

    id: str
    name: str
    short: str
    help: str
    level: Level
    full: str | None = None
    help_markdown: str | None = None
    tags: tuple[str, ...] = ("security",)

    def __post_init__(self) -> None:
        if self.level not in _LEVELS:
            raise ValueError(f"SARIF rule {self.id}: level must be one of {_LEVELS}")


@dataclass(frozen=True)
class SarifResult:
    """One finding: where (repo-relative posix ``path``; ``line``/``column`` 1-based or None).

    A result with a path but no line is placed on line 1 (code scanning needs a line);
    one without a path has no location at all.
    """

    rule_id: str
    level: Level
    message: str
    path: str | None
    line: int | None
    column: int | None
    fingerprint: str

    def __post_init__(self) -> None:
        if self.level not in _LEVELS:
            raise ValueError(f"SARIF result for {self.rule_id}: level must be one of {_LEVELS}")


def render_sarif(
    rules: Sequence[SarifRule],
    results: Sequence[SarifResult],
    *,
    tool_version: str = __version__,
    tool_name: str = "secretsync",
    information_uri: str = DEFAULT_INFORMATION_URI,
) -> str:
    """The JSON text of a SARIF log with one run; every result must name a listed rule."""
    index = {rule.id: position for position, rule in enumerate(rules)}
    if len(index) != len(rules):
        raise ValueError("SARIF rule ids must be unique")
    log = {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool_name,
                        "version": tool_version,
                        "semanticVersion": tool_version,
                        "informationUri": information_uri,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "repository root"}}},
                "columnKind": "unicodeCodePoints",
                "results": [_result(result, index) for result in results],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(rule: SarifRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.full or rule.short},
        "help": {"text": rule.help, "markdown": rule.help_markdown or rule.help},
        "defaultConfiguration": {"level": rule.level},
        "properties": {"tags": list(rule.tags)},
    }


def _result(result: SarifResult, index: dict[str, int]) -> dict[str, Any]:
    if result.rule_id not in index:
        raise ValueError(f"SARIF result names unknown rule {result.rule_id!r}")
    out: dict[str, Any] = {
        "ruleId": result.rule_id,
        "ruleIndex": index[result.rule_id],
        "level": result.level,
        "message": {"text": result.message},
    }
    if result.path is not None:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": _uri(result.path), "uriBaseId": "%SRCROOT%"}
        }
        # Code scanning needs region.startLine to place an alert; a file-level result
        # is shown on the first line.
        line = result.line if result.line is not None and result.line >= 1 else 1
        region: dict[str, int] = {"startLine": line}
        if result.line is not None and result.column is not None and result.column >= 1:
            region["startColumn"] = result.column
        physical["region"] = region
        out["locations"] = [{"physicalLocation": physical}]
    out["partialFingerprints"] = {FINGERPRINT_KEY: result.fingerprint}
    return out


def _uri(path: str) -> str:
    """A relative URI reference: posix separators, no leading ``./``, spaces escaped."""
    posix = PureWindowsPath(path).as_posix() if "\\" in path else path
    text = str(PurePosixPath(posix))
    if text.startswith("/"):
        raise ValueError(f"SARIF paths are repository-relative, got {path!r}")
    return text.replace("%", "%25").replace(" ", "%20")
