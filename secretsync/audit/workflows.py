"""Which secrets the GitHub Actions workflows read, and where.

A workflow reads a secret through an expression: ``${{ secrets.NAME }}`` or
``${{ secrets['NAME'] }}`` (also inside larger expressions such as
``${{ secrets.A || secrets.B }}``). GitHub expands expressions in every YAML string,
including the lines of a ``run: |`` script, but not in YAML comments, so the search runs
over the source text of each YAML scalar token. A file PyYAML cannot read is searched line
by line instead, skipping whole-line comments, so a broken workflow is still checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from secretsync.textlines import YAML_BREAKS, LineTable

__all__ = ["BUILTIN_SECRETS", "SecretReference", "find_references", "scan_workflows"]

# Secrets GitHub provides without anyone defining them (names are case-insensitive).
BUILTIN_SECRETS = frozenset({"GITHUB_TOKEN"})

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
# `secrets.NAME` or `secrets['NAME']` / `secrets["NAME"]`, not `foo.secrets.NAME`.
_REFERENCE = re.compile(
    r"(?<![\w.])secrets\s*(?:\.\s*(?P<dotted>[A-Za-z_][A-Za-z0-9_-]*)"
    r"|\[\s*(?P<quote>['\"])(?P<indexed>[^'\"\]]+)(?P=quote)\s*\])"
)


@dataclass(frozen=True, order=True)
class SecretReference:
    """One read of a secret: file (as given), 1-based line and column, the name as written."""

    path: str
    line: int
    column: int
    name: str

    @property
    def key(self) -> str:
        """The name as GitHub resolves it: secret names are case-insensitive."""
        return self.name.upper()


def find_references(text: str, path: str = "<workflow>") -> list[SecretReference]:
    """Every secret reference in a workflow's text, in file order, without duplicates."""
    spans = list(_scalar_spans(text))
    found: set[SecretReference] = set()
    table = LineTable(text, YAML_BREAKS)  # PyYAML's marks count YAML's line breaks
    for start, end in spans:
        for expression in _EXPRESSION.finditer(text, start, end):
            for ref in _REFERENCE.finditer(text, expression.start(1), expression.end(1)):
                name = ref.group("dotted") or ref.group("indexed")
                line, column = table.locate(ref.start())
                found.add(SecretReference(path, line, column, name))
    return sorted(found)


def scan_workflows(root: Path) -> list[SecretReference]:
    """References in ``<root>/.github/workflows/*.yml|*.yaml``; paths relative to ``root``."""
    folder = root / ".github" / "workflows"
    if not folder.is_dir():
        return []
    refs: list[SecretReference] = []
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        refs.extend(find_references(text, file.relative_to(root).as_posix()))
    return refs


def _scalar_spans(text: str) -> Iterator[tuple[int, int]]:
    """Source offsets of every scalar (keys and values); line spans when YAML is broken."""
    try:
        # The scanner alone accepts some broken documents; parsing proves the tokens mean
        # what they seem to.
        for _ in yaml.parse(text, Loader=yaml.SafeLoader):
            pass
        tokens = list(yaml.scan(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        yield from _uncommented_lines(text)
        return
    for token in tokens:
        if isinstance(token, yaml.ScalarToken):
            yield token.start_mark.index, token.end_mark.index


def _uncommented_lines(text: str) -> Iterator[tuple[int, int]]:
    for start, line in LineTable(text, YAML_BREAKS).lines():
        if not line.lstrip().startswith("#"):
            yield start, start + len(line)
