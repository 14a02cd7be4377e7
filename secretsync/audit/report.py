"""The audit's result and its renderings: table, JSON, Markdown, SARIF, Actions annotations.

Every renderer reads the same :class:`AuditReport`; none sees a value, because findings
never hold one. The JSON form is the stable ``secretsync/audit/v1`` schema of docs/AUDIT.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from secretsync._version import __version__
from secretsync.audit.findings import RULES, Finding, Severity
from secretsync.sarif import SarifResult, render_sarif

__all__ = ["JSON_SCHEMA_ID", "AuditReport", "FailOn", "parse_fail_on"]

JSON_SCHEMA_ID = "secretsync/audit/v1"
FailOn = Severity | None  # None: never fail
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.NOTE: "cyan"}
_ANNOTATION = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
SHARED_GROUP = "all environments"


@dataclass(frozen=True)
class AuditReport:
    """Findings of one audit run, and the threshold that decides pass or fail."""

    findings: tuple[Finding, ...]
    map_file: str
    environments: tuple[str, ...]
    generated_at: datetime
    fail_on: FailOn = Severity.ERROR

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def passed(self) -> bool:
        """False when a finding is at or above ``fail_on``; always True with ``never``."""
        threshold = self.fail_on
        if threshold is None:
            return True
        return not any(f.severity.at_least(threshold) for f in self.findings)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def groups(self) -> list[tuple[str, list[Finding]]]:
        """Findings by environment (shared ones under "all environments"), worst group first."""
        order = [None, *self.environments]
        buckets: dict[str | None, list[Finding]] = {}
        for finding in self.findings:
            buckets.setdefault(finding.environment, []).append(finding)

        def rank(key: str | None) -> tuple[int, int]:
            worst = min(f.severity.rank for f in buckets[key])
            position = order.index(key) if key in order else len(order)
            return worst, position

        return [(key or SHARED_GROUP, buckets[key]) for key in sorted(buckets, key=rank)]

    def summary_line(self) -> str:
        counts = ", ".join(
            _plural(self.count(s), s.value) for s in (Severity.ERROR, Severity.WARNING)
        )
        notes = self.count(Severity.NOTE)
        if notes:
            counts += f", {_plural(notes, 'note')}"
        verdict = "passed" if self.passed else "FAILED"
        scope = ", ".join(self.environments) or "no environment"
        return f"audit {verdict} ({scope}): {counts}"

    # -- renderings ----------------------------------------------------------------------

    def to_json(self) -> str:
        document = {
            "schema": JSON_SCHEMA_ID,
            "generated_at": _stamp(self.generated_at),
            "map": self.map_file,
            "environments": list(self.environments),
            "summary": {
                "error": self.count(Severity.ERROR),
                "warning": self.count(Severity.WARNING),
                "note": self.count(Severity.NOTE),
                "passed": self.passed,
                "fail_on": self.fail_on.value if self.fail_on else "never",
            },
            "findings": [_json_finding(f) for f in self.findings],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def to_plain(self) -> str:
        """The table for pipes and files: one line per finding, grouped, no colour."""
        lines: list[str] = []
        for title, findings in self.groups():
            lines.append(f"{title}:")
            for f in findings:
                secret = f.secret or "-"
                lines.append(f"  {f.severity.value:<7} {f.rule:<18} {secret:<24} {f.location}")
                lines.append(f"  {'':<7} {f.message}")
        lines.append(self.summary_line())
        return "\n".join(lines) + "\n"

    def rich(self) -> RenderableType:
        """The tables for a terminal: one per environment group, worst first, laid out for
        the terminal's width when printed (see :class:`_FittedTables`)."""
        return _FittedTables(self)

    def to_markdown(self) -> str:
        """For ``$GITHUB_STEP_SUMMARY``: a verdict line and one table."""
        icon = "✅" if self.passed else "❌"
        lines = [
            f"## {icon} secretsync {self.summary_line()}",
            "",
            f"Map `{self.map_file}`, generated {_stamp(self.generated_at)}.",
            "",
        ]
        if not self.findings:
            lines.append("No findings.")
            return "\n".join(lines) + "\n"
        lines += [
            "| severity | rule | secret | environment | location | message |",
            "|---|---|---|---|---|---|",
        ]
        for title, findings in self.groups():
            for f in findings:
                cells = (f.severity.value, f.rule, f.secret or "", title, f.location, f.message)
                lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
        return "\n".join(lines) + "\n"

    def to_sarif(self) -> str:
        """SARIF 2.1.0 with every rule's metadata; results on their map or workflow line."""
        results = [
            SarifResult(
                rule_id=f.rule,
                level=f.severity.value,
                message=_sarif_message(f),
                path=f.file,
                line=f.line,
                column=f.column,
                fingerprint=f.fingerprint,
            )
            for f in self.findings
        ]
        rules = [rule.sarif() for rule in RULES.values()]
        return render_sarif(rules, results, tool_version=__version__)

    def annotations(self) -> list[str]:
        """GitHub Actions workflow commands (``::error file=...,line=...::message``)."""
        lines = []
        for f in self.findings:
            props: list[str] = []
            if f.file:
                props.append(f"file={_escape_property(f.file)}")
                if f.line:
                    props.append(f"line={f.line}")
                    if f.column:
                        props.append(f"col={f.column}")
            props.append(f"title={_escape_property(f'secretsync {f.rule}')}")
            message = _escape_data(f"{_context(f)}{f.message} ({f.location})")
            lines.append(f"::{_ANNOTATION[f.severity]} {','.join(props)}::{message}")
        return lines


def _json_finding(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "secret": f.secret,
        "environment": f.environment,
        "system": f.system.value,
        "location": f.location,
        "message": f.message,
        "file": f.file,
        "line": f.line,
    }


def _context(f: Finding) -> str:
    parts = [p for p in (f.environment, f.secret) if p]
    return f"[{' '.join(parts)}] " if parts else ""


def _sarif_message(f: Finding) -> str:
    return f"{_context(f)}{f.message} ({f.location})"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _md_cell(text: str) -> str:
    """Table-safe Markdown: no raw HTML (``<token>`` would vanish), pipes escaped, one line."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def parse_fail_on(text: str) -> FailOn:
    """``error`` / ``warning`` / ``note`` / ``never`` to a threshold."""
    return None if text == "never" else Severity(text)


_HEADERS = ("severity", "rule", "secret", "location", "message")


class _FittedTables:
    """The audit tables, sized at print time: severity, rule, secret and location stay on
    one line and the message wraps between words; a location too long for that is broken
    after its ``:`` (environment, then path), never inside a name. Only a terminal too
    narrow even for that folds cells."""

    def __init__(self, report: AuditReport) -> None:
        self.report = report

    def __rich_console__(self, console: Any, options: Any) -> Any:
        for title, findings in self.report.groups():
            yield _table(title, findings, options.max_width)
        style = "bold green" if self.report.passed else "bold red"
        yield Text(self.report.summary_line(), style=style)


def _table(title: str, findings: list[Finding], width: int) -> Table:
    rows = [[f.severity.value, f.rule, f.secret or "-", f.location, f.message] for f in findings]
    overhead = 3 * len(_HEADERS) + 1

    def widest(column: int, cells: list[str]) -> int:
        lines = [line for cell in cells for line in cell.splitlines()]
        return max(len(_HEADERS[column]), *(len(line) for line in lines))

    longest_word = max(len(_HEADERS[4]), *(len(w) for row in rows for w in row[4].split()))
    others = sum(widest(c, [row[c] for row in rows]) for c in range(3))
    locations: list[str] | None = None
    for level in range(3):  # whole, then after the first ":", then after every ":" and "/"
        broken = [_break(row[3], level) for row in rows]
        if others + widest(3, broken) + longest_word + overhead <= width:
            locations = broken
            break
    table = Table(title=title, title_justify="left", expand=False, show_lines=False)
    for index, header in enumerate(_HEADERS):
        table.add_column(header, no_wrap=locations is not None and index < 4, overflow="fold")
    for f, row, location in zip(findings, rows, locations or [r[3] for r in rows], strict=True):
        table.add_row(
            Text(row[0], style=_STYLE[f.severity]),
            Text(row[1]),
            Text(row[2]),
            Text(location, style="dim"),
            Text(row[4]),
        )
    return table


def _break(location: str, level: int) -> str:
    """``location`` with line breaks after its separators: none, the first ``:`` (scope,
    then path), or every ``:`` and ``/``; names themselves are never cut."""
    if level == 0:
        return location
    if level == 1:
        return location.replace(":", ":\n", 1)
    return location.replace(":", ":\n").replace("/", "/\n")
