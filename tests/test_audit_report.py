"""Rendering an audit report: JSON per docs/AUDIT.md, SARIF per 2.1.0, table, Markdown."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from secretsync.audit import RULES, AuditReport, Finding, Severity, System, parse_fail_on

DOCS = Path(__file__).resolve().parents[1] / "docs" / "AUDIT.md"
SARIF_SCHEMA = (
    Path(__file__).resolve().parents[2] / "shared" / "apispecs" / "sarif-schema-2.1.0.json"
)
WHEN = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
MAP = "config/secret_map.yaml"

FINDINGS = (
    Finding.of(
        "placeholder",
        secret="OPENAI_API_KEY",
        environment="production",
        system=System.ESC,
        location="scoobyjava-org/default/sophia-ai-production:sophia.ai.openai_api_key",
        message="value looks like a placeholder: 'sk-' followed by repeated 'x'",
        file=MAP,
        line=16,
    ),
    Finding.of(
        "workflow-undefined",
        secret="NOPE",
        environment=None,
        system=System.WORKFLOW,
        location=".github/workflows/deploy.yml:12",
        message="secrets.NOPE is neither in the map nor built in",
        file=".github/workflows/deploy.yml",
        line=12,
        column=20,
    ),
    Finding.of(
        "stale",
        secret="DATABASE_URL",
        environment="staging",
        system=System.ESC,
        location="scoobyjava-org/default/sophia-ai-staging:sophia.infra.database_url",
        message="last synced 2026-01-01T00:00:00Z, 325 days ago; max_age_days is 90",
        file=MAP,
        line=30,
    ),
    Finding.of(
        "orphan-github",
        secret="LEGACY",
        environment=None,
        system=System.GITHUB,
        location="github:org/ai-cherry:LEGACY",
        message="GitHub org/ai-cherry holds LEGACY, which the map does not define",
        file=MAP,
    ),
)


def report(findings: tuple[Finding, ...] = FINDINGS, fail_on: str = "error") -> AuditReport:
    return AuditReport(
        findings=findings,
        map_file=MAP,
        environments=("production", "staging"),
        generated_at=WHEN,
        fail_on=parse_fail_on(fail_on),
    )


def documented_schema() -> dict[str, Any]:
    """The last JSON block of docs/AUDIT.md is the report's JSON Schema."""
    blocks = re.findall(r"```json\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    schema: dict[str, Any] = json.loads(blocks[-1])
    assert schema["$id"] == "secretsync/audit/v1"
    return schema


def test_json_matches_the_documented_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    document = json.loads(report().to_json())
    jsonschema.Draft7Validator(documented_schema()).validate(document)
    assert document["summary"] == {
        "error": 2,
        "warning": 2,
        "note": 0,
        "passed": False,
        "fail_on": "error",
    }
    assert document["map"] == MAP
    assert document["generated_at"] == "2026-11-22T12:00:00Z"
    assert document["findings"][0] == {
        "rule": "placeholder",
        "severity": "error",
        "secret": "OPENAI_API_KEY",
        "environment": "production",
        "system": "esc",
        "location": "scoobyjava-org/default/sophia-ai-production:sophia.ai.openai_api_key",
        "message": "value looks like a placeholder: 'sk-' followed by repeated 'x'",
        "file": MAP,
        "line": 16,
    }


def test_documented_example_matches_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    blocks = re.findall(r"```json\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    jsonschema.Draft7Validator(documented_schema()).validate(json.loads(blocks[0]))


def test_empty_report_passes() -> None:
    empty = report(())
    assert empty.passed and empty.exit_code == 0
    assert json.loads(empty.to_json())["summary"]["passed"] is True
    assert "audit passed (production, staging): 0 errors, 0 warnings" in empty.to_plain()
    assert "No findings." in empty.to_markdown()


@pytest.mark.parametrize(
    ("fail_on", "findings", "code"),
    [
        ("error", FINDINGS, 1),
        ("error", FINDINGS[2:], 0),  # warnings only
        ("warning", FINDINGS[2:], 1),
        ("warning", (), 0),
        ("never", FINDINGS, 0),
    ],
)
def test_fail_on_threshold(fail_on: str, findings: tuple[Finding, ...], code: int) -> None:
    assert report(findings, fail_on).exit_code == code
    assert json.loads(report(findings, fail_on).to_json())["summary"]["passed"] is (code == 0)


def test_groups_worst_first_shared_group_on_tie() -> None:
    groups = report().groups()
    assert [(title, [f.rule for f in items]) for title, items in groups] == [
        ("all environments", ["workflow-undefined", "orphan-github"]),
        ("production", ["placeholder"]),
        ("staging", ["stale"]),
    ]
    only_warning_shared = report((FINDINGS[0], FINDINGS[3]))
    assert [t for t, _ in only_warning_shared.groups()] == ["production", "all environments"]


def test_plain_table() -> None:
    text = report().to_plain()
    lines = text.splitlines()
    assert lines[0] == "all environments:"
    assert lines[1].split() == [
        "error",
        "workflow-undefined",
        "NOPE",
        ".github/workflows/deploy.yml:12",
    ]
    assert lines[-1] == "audit FAILED (production, staging): 2 errors, 2 warnings"
    assert "\x1b[" not in text


def test_rich_table_renders_every_finding() -> None:
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(report().rich())
    out = buffer.getvalue()
    for finding in FINDINGS:
        assert finding.rule in out
        assert finding.message in out
    assert "audit FAILED" in out


def test_markdown_escapes_html_and_pipes() -> None:
    odd = Finding.of(
        "placeholder",
        secret="X",
        environment="production",
        system=System.SOURCE,
        location="source:X",
        message="looks like <token> | a | pipe",
    )
    text = report((odd,)).to_markdown()
    assert text.startswith("## ❌ secretsync audit FAILED")
    row = next(line for line in text.splitlines() if "source:X" in line)
    assert "&lt;token&gt; \\| a \\| pipe" in row
    assert row.count(" | ") == 5  # six cells


def test_sarif_is_valid_and_points_at_lines() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    log = json.loads(report().to_sarif())
    if SARIF_SCHEMA.is_file():
        schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
        jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == list(RULES)
    placeholder = run["results"][0]
    assert placeholder["ruleId"] == "placeholder"
    assert placeholder["level"] == "error"
    location = placeholder["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": MAP, "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 16}
    assert "[production OPENAI_API_KEY]" in placeholder["message"]["text"]
    workflow = run["results"][1]["locations"][0]["physicalLocation"]
    assert workflow["artifactLocation"]["uri"] == ".github/workflows/deploy.yml"
    assert workflow["region"] == {"startLine": 12, "startColumn": 20}
    orphan = run["results"][3]
    assert orphan["level"] == "warning"
    assert orphan["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    fingerprints = [r["partialFingerprints"]["secretsync/v1"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)
    again = json.loads(report().to_sarif())["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in again] == [
        r["partialFingerprints"] for r in run["results"]
    ]


def test_annotations_are_escaped_workflow_commands() -> None:
    odd = Finding.of(
        "stale",
        secret="A",
        environment="prod,eu",
        system=System.ESC,
        location="o/p/e:a.b",
        message="100% old\nsecond line",
        file="config/map, v2.yaml",
        line=4,
    )
    lines = report((*FINDINGS, odd)).annotations()
    assert lines[0] == (
        "::error file=config/secret_map.yaml,line=16,title=secretsync placeholder::"
        "[production OPENAI_API_KEY] value looks like a placeholder: 'sk-' followed by "
        "repeated 'x' (scoobyjava-org/default/sophia-ai-production:sophia.ai.openai_api_key)"
    )
    assert lines[1].startswith(
        "::error file=.github/workflows/deploy.yml,line=12,col=20,title=secretsync "
        "workflow-undefined::"
    )
    assert lines[3].startswith("::warning file=config/secret_map.yaml,title=")
    assert lines[4] == (
        "::warning file=config/map%2C v2.yaml,line=4,title=secretsync stale::"
        "[prod,eu A] 100%25 old%0Asecond line (o/p/e:a.b)"
    )


def test_severity_order() -> None:
    assert Severity.ERROR.at_least(Severity.WARNING)
    assert not Severity.WARNING.at_least(Severity.ERROR)
    assert Severity.NOTE.at_least(Severity.NOTE)


def test_docs_list_every_rule_with_its_severity() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `([a-z-]+)` \| (error|warning|note) \|", text, re.M))
    assert documented == {rule.id: rule.severity.value for rule in RULES.values()}


@pytest.mark.parametrize("width", [200, 120, 100])
def test_rich_table_never_breaks_a_location_or_word_inside(width: int) -> None:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(report().rich())
    out = buffer.getvalue()
    assert max(len(line) for line in out.splitlines()) <= width
    cells = [part.strip() for line in out.splitlines() for part in line.split("│")]
    for finding in FINDINGS:
        # Whole where the width allows, else broken only after a ":" or "/".
        head, _, tail = finding.location.partition(":")
        if width == 200:
            assert finding.location in cells, finding.location
        elif width == 120:  # a 68-character location: scope on one line, path on the next
            assert finding.location in cells or {f"{head}:", tail} <= set(cells), finding.location
        for piece in re.findall(r"[^:/]+[:/]?", finding.location):
            assert any(piece in cell for cell in cells), (finding.location, piece)
        for word in finding.message.split():
            assert any(word in cell.split() for cell in cells), word
