"""SARIF rendering: the shape code scanning reads, checked against the official schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secretsync.sarif import (
    FINGERPRINT_KEY,
    SARIF_VERSION,
    SarifResult,
    SarifRule,
    render_sarif,
)

SCHEMA_PATH = (
    Path(__file__).resolve().parents[2] / "shared" / "apispecs" / "sarif-schema-2.1.0.json"
)

RULES = [
    SarifRule(
        "placeholder",
        "Placeholder",
        "A placeholder value",
        "Replace it with the real value.",
        "error",
        help_markdown="**Replace** it.",
        tags=("security", "secrets"),
    ),
    SarifRule("stale", "Stale", "An old secret", "Rotate it.", "warning"),
    SarifRule("note-rule", "NoteRule", "Informational", "Nothing to do.", "note"),
]


def validate(text: str) -> dict[str, Any]:
    """Parse and, when the shared schema is present, validate against SARIF 2.1.0."""
    log: dict[str, Any] = json.loads(text)
    if not SCHEMA_PATH.is_file():
        pytest.skip("../shared/apispecs/sarif-schema-2.1.0.json is absent")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    return log


def test_empty_log_is_valid() -> None:
    log = validate(render_sarif(RULES, [], tool_version="1.2.3"))
    assert log["version"] == SARIF_VERSION
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "secretsync"
    assert driver["version"] == "1.2.3"
    assert [rule["id"] for rule in driver["rules"]] == ["placeholder", "stale", "note-rule"]
    assert run["results"] == []


def test_rule_metadata() -> None:
    log = validate(render_sarif(RULES, [], tool_version="1"))
    first, second, _ = log["runs"][0]["tool"]["driver"]["rules"]
    assert first["shortDescription"] == {"text": "A placeholder value"}
    assert first["fullDescription"] == {"text": "A placeholder value"}
    assert first["help"] == {
        "text": "Replace it with the real value.",
        "markdown": "**Replace** it.",
    }
    assert first["defaultConfiguration"] == {"level": "error"}
    assert first["properties"]["tags"] == ["security", "secrets"]
    assert second["help"]["markdown"] == "Rotate it."
    assert second["defaultConfiguration"]["level"] == "warning"


def test_results_with_locations_and_fingerprints() -> None:
    results = [
        SarifResult("stale", "warning", "old", "config/secret_map.yaml", 12, 3, "fp-a"),
        SarifResult("placeholder", "error", "bad", "src/my app/x.py", 4, None, "fp-b"),
        SarifResult("note-rule", "note", "fyi", "README.md", None, None, "fp-c"),
        SarifResult("placeholder", "error", "no file", None, None, None, "fp-d"),
    ]
    log = validate(render_sarif(RULES, results, tool_version="1"))
    out = log["runs"][0]["results"]
    assert [r["ruleIndex"] for r in out] == [1, 0, 2, 0]
    assert out[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "config/secret_map.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 12, "startColumn": 3},
    }
    assert out[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "src/my%20app/x.py"
    )
    assert out[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 4}
    assert out[2]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert "locations" not in out[3]
    assert [r["partialFingerprints"][FINGERPRINT_KEY] for r in out] == [
        "fp-a",
        "fp-b",
        "fp-c",
        "fp-d",
    ]
    assert out[0]["message"] == {"text": "old"}
    assert out[0]["level"] == "warning"


def test_windows_separators_become_posix() -> None:
    text = render_sarif(
        RULES, [SarifResult("stale", "warning", "m", "config\\secret_map.yaml", 1, 1, "f")]
    )
    uri = json.loads(text)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert uri["artifactLocation"]["uri"] == "config/secret_map.yaml"


def test_absolute_path_refused() -> None:
    with pytest.raises(ValueError, match="repository-relative"):
        render_sarif(RULES, [SarifResult("stale", "warning", "m", "/etc/x", 1, 1, "f")])


def test_unknown_rule_refused() -> None:
    with pytest.raises(ValueError, match="unknown rule 'nope'"):
        render_sarif(RULES, [SarifResult("nope", "error", "m", "a", 1, 1, "f")])


def test_duplicate_rules_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        render_sarif([RULES[0], RULES[0]], [])


def test_bad_level_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        SarifRule("x", "X", "s", "h", "fatal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        SarifResult("x", "none", "m", "a", 1, 1, "f")  # type: ignore[arg-type]


def test_unicode_kept() -> None:
    text = render_sarif(RULES, [SarifResult("stale", "warning", "clé ✓", "a.yml", 1, 1, "f")])
    assert "clé ✓" in text
    validate(text)
