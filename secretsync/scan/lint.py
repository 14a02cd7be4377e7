"""Finding Python code that reads a mapped secret straight from the environment.

Code that calls ``os.getenv("OPENAI_API_KEY")`` bypasses the typed settings: no validation,
no placeholder check, no single place to see what a service needs. The lint walks the AST
(so strings and comments that merely mention ``os.getenv`` are not findings) and follows the
ways a module can name the calls: ``import os as o``, ``from os import getenv as ge``,
``from os import environ``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LintFinding", "LintTarget", "lint_file", "lint_source", "targets_from_map"]


@dataclass(frozen=True)
class LintTarget:
    """A mapped secret as code may read it: its GitHub name and its settings field."""

    name: str
    field: str


@dataclass(frozen=True, order=True)
class LintFinding:
    """One read of a mapped secret through ``os``; ``column`` is 1-based, in characters."""

    path: str
    line: int
    column: int
    name: str
    variable: str
    via: str
    field: str

    @property
    def message(self) -> str:
        return f"{self.name} read via {self.via}; use settings.{self.field}"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "secret": self.name,
            "variable": self.variable,
            "via": self.via,
            "field": self.field,
            "message": self.message,
        }


def targets_from_map(secrets: Iterable[object]) -> dict[str, LintTarget]:
    """Variable name -> target, for every mapped secret's name and its ``env_var``."""
    targets: dict[str, LintTarget] = {}
    for secret in secrets:
        name, env_var, field = (getattr(secret, a) for a in ("name", "env_var", "field"))
        target = LintTarget(str(name), str(field))
        targets.setdefault(str(env_var), target)
        targets.setdefault(str(name), target)
    return targets


def lint_file(path: Path, shown: str, targets: Mapping[str, LintTarget]) -> list[LintFinding]:
    """Lint one file; ``SyntaxError``, ``ValueError`` (incl. ``UnicodeDecodeError``),
    ``RecursionError`` and ``OSError`` go to the caller, which warns and goes on."""
    data = path.read_bytes()
    if b"environ" not in data and b"getenv" not in data:
        return []
    return lint_source(shown, data.decode("utf-8-sig"), targets)


def lint_source(path: str, text: str, targets: Mapping[str, LintTarget]) -> list[LintFinding]:
    """Every read of a target variable in ``text``, in source order."""
    if "environ" not in text and "getenv" not in text:
        return []
    tree = ast.parse(text, filename=path)
    names = _OsNames.collect(tree)
    lines = text.splitlines()
    found = []
    for node in ast.walk(tree):
        hit = names.read_of(node)
        if hit is None or hit[0] not in targets:
            continue
        variable, via = hit
        target = targets[variable]
        line, offset = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        column = _char_column(lines[line - 1] if line <= len(lines) else "", offset)
        found.append(LintFinding(path, line, column, target.name, variable, via, target.field))
    return sorted(found)


class _OsNames:
    """The local names a module gives to ``os``, ``os.getenv`` and ``os.environ``."""

    def __init__(self) -> None:
        self.os: set[str] = set()
        self.getenv: set[str] = set()
        self.environ: set[str] = set()

    @classmethod
    def collect(cls, tree: ast.AST) -> _OsNames:
        names = cls()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "os":
                        names.os.add(alias.asname or "os")
            elif isinstance(node, ast.ImportFrom) and node.module == "os" and not node.level:
                for alias in node.names:
                    if alias.name == "getenv":
                        names.getenv.add(alias.asname or "getenv")
                    elif alias.name == "environ":
                        names.environ.add(alias.asname or "environ")
        return names

    def _is_environ(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.environ
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "environ"
            and isinstance(node.value, ast.Name)
            and node.value.id in self.os
        )

    def read_of(self, node: ast.AST) -> tuple[str, str] | None:
        """``(variable, how)`` when ``node`` reads one environment variable by literal name."""
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            if self._is_environ(node.value):
                return _literal(node.slice, "os.environ[...]")
            return None
        if not isinstance(node, ast.Call) or not node.args:
            return None
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.getenv:
            return _literal(node.args[0], "os.getenv")
        if not isinstance(func, ast.Attribute):
            return None
        if func.attr == "getenv" and isinstance(func.value, ast.Name) and func.value.id in self.os:
            return _literal(node.args[0], "os.getenv")
        if func.attr in ("get", "setdefault") and self._is_environ(func.value):
            return _literal(node.args[0], f"os.environ.{func.attr}")
        return None


def _literal(node: ast.AST, via: str) -> tuple[str, str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, via
    return None


def _char_column(line: str, byte_offset: int) -> int:
    """ast columns count UTF-8 bytes; editors count characters (1-based)."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1
