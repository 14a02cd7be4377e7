"""The pre-deploy gate: read GitHub, ESC and the workflows, check them against the map.

``gather`` reads (a fixed number of requests per scope and environment), ``rules`` judges
(pure functions over a :class:`Snapshot`), ``report`` renders. :func:`run_audit` chains the
first two for callers that just want the findings.

May import: sync (sources, the definition's bookkeeping), clients, map, placeholders
and the root modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from secretsync.audit.findings import RULES, Finding, Rule, Severity, System, sort_findings
from secretsync.audit.gather import (
    EscState,
    ScopeState,
    Snapshot,
    gather_snapshot,
    map_location,
    repo_root,
)
from secretsync.audit.report import JSON_SCHEMA_ID, AuditReport, FailOn, parse_fail_on
from secretsync.audit.rules import evaluate, map_findings
from secretsync.clients.esc import EscClient
from secretsync.clients.github import GitHubClient
from secretsync.map.model import SecretMap

__all__ = [
    "JSON_SCHEMA_ID",
    "RULES",
    "AuditReport",
    "EscState",
    "FailOn",
    "Finding",
    "Rule",
    "ScopeState",
    "Severity",
    "Snapshot",
    "System",
    "evaluate",
    "gather_snapshot",
    "map_findings",
    "map_location",
    "parse_fail_on",
    "repo_root",
    "run_audit",
    "sort_findings",
]


async def run_audit(
    smap: SecretMap,
    environments: Sequence[str],
    *,
    github: GitHubClient,
    esc: EscClient,
    now: datetime | None = None,
    root: Path | None = None,
    source: Mapping[str, str] | None = None,
    map_file: str | None = None,
) -> list[Finding]:
    """Read everything once, then apply every rule; findings worst first."""
    snapshot = await gather_snapshot(
        smap,
        environments,
        github=github,
        esc=esc,
        now=now,
        root=root,
        source=source,
        map_file=map_file,
    )
    return evaluate(snapshot)
