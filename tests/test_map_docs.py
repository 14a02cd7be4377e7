"""docs/MAP.md describes exactly the keys the validator accepts, with their defaults.

The keys come from the validator's own pydantic document models, so a key added to the
models without a row in MAP.md (or a row for a key that is gone) fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from secretsync.errors import MapError
from secretsync.map.load import parse_map
from secretsync.map.validation import document_keys

ROOT = Path(__file__).resolve().parents[1]
MAP_DOC = ROOT / "docs" / "MAP.md"
_ROW = re.compile(
    r"^\| `(?P<key>[^`]+)` \| (?P<type>[^|]+) \| (?P<default>[^|]+) \| (?P<meaning>.+) \|$"
)


def _rows() -> dict[str, dict[str, str]]:
    """The "Every key" table: key (names in angle brackets as ``*``) -> its cells."""
    text = MAP_DOC.read_text(encoding="utf-8")
    section = text.split("## Every key", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, dict[str, str]] = {}
    for line in section.splitlines():
        match = _ROW.match(line)
        if match:
            key = re.sub(r"<[^>]+>", "*", match["key"])
            assert key not in rows, f"MAP.md describes {key} twice"
            rows[key] = {name: match[name].strip() for name in ("type", "default", "meaning")}
    return rows


def test_map_md_describes_every_key_the_validator_accepts_and_no_other() -> None:
    accepted = {".".join(path) for path in document_keys()}
    described = set(_rows())
    assert accepted - described == set(), "keys the validator accepts that MAP.md lacks"
    assert described - accepted == set(), "keys MAP.md describes that the validator refuses"


def test_map_md_gives_each_default_the_validator_uses() -> None:
    rows = _rows()
    for path, info in document_keys().items():
        default = info.default if info is not None else None
        if isinstance(default, bool):
            shown = "true" if default else "false"
        elif isinstance(default, (int, str)) and default != "":
            shown = str(default)
        else:
            continue  # required, computed ("the secret name") or a mapping: said in words
        cell = rows[".".join(path)]["default"]
        assert f"`{shown}`" in cell, f"{'.'.join(path)}: MAP.md says {cell}, the validator {shown}"
    for key, row in rows.items():
        assert row["type"] and row["meaning"], key


def _yaml_blocks() -> list[str]:
    text = MAP_DOC.read_text(encoding="utf-8")
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.S)


def test_the_whole_map_in_map_md_is_valid() -> None:
    whole = _yaml_blocks()[0]
    smap = parse_map(whole, "docs/MAP.md")
    assert {s.github.scope for s in smap.secrets.values()} == {"org", "repo", "env"}
    assert smap.secrets["OPENAI_API_KEY"].esc_path == "app.ai.openai_api_key"


def test_each_scope_example_in_map_md_is_valid_on_its_own() -> None:
    whole, *snippets = _yaml_blocks()
    base = yaml.safe_load(whole)
    scopes = set()
    assert len(snippets) >= 3
    for snippet in snippets:
        document = dict(base, secrets=yaml.safe_load(snippet)["secrets"])
        smap = parse_map(yaml.safe_dump(document, sort_keys=False), "docs/MAP.md")
        scopes |= {s.github.scope for s in smap.secrets.values()}
    assert scopes == {"org", "repo", "env"}


def test_the_readme_links_map_md() -> None:
    assert "(docs/MAP.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("where", "entry", "listed"),
    [
        ("top", "colour: blue\n", "version, github, esc, environments"),
        ("secret", "    colour: blue\n", "category, type, format, description"),
    ],
)
def test_an_unknown_key_with_no_close_match_lists_the_valid_keys(
    where: str, entry: str, listed: str
) -> None:
    text = (
        "version: 1\ngithub: {org: acme}\nesc: {org: acme-esc}\n"
        "environments:\n  production: {esc_env: prod}\n"
        "secrets:\n  API_KEY:\n    esc_path: app.api_key\n"
    )
    text = entry + text if where == "top" else text + entry
    with pytest.raises(MapError) as caught:
        parse_map(text)
    (issue,) = caught.value.issues
    assert "unknown key 'colour'" in issue.message
    assert f"valid keys here: {listed}" in issue.message
    assert "did you mean" not in issue.message


def test_an_unknown_format_with_no_close_match_lists_the_known_ones() -> None:
    from secretsync.providers import format_names

    text = (
        "version: 1\ngithub: {org: acme}\nesc: {org: acme-esc}\n"
        "environments:\n  production: {esc_env: prod}\n"
        "secrets:\n  API_KEY: {esc_path: app.api_key, format: zzqq}\n"
    )
    with pytest.raises(MapError) as caught:
        parse_map(text)
    (issue,) = caught.value.issues
    assert issue.message.startswith("unknown format 'zzqq'; known formats: ")
    assert all(name in issue.message for name in format_names())
