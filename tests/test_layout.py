"""The package's shape: few root modules, packages that import downward only, no cycles.

The import graph is read from the source with ``ast`` (module-level and function-local
imports alike; only ``if TYPE_CHECKING:`` blocks are exempt, since they never run), so a
lazy import cannot hide a cycle. The public import paths are checked from a built wheel.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "secretsync"
MAX_ROOT_MODULES = 12

# Each unit (a root module or a top-level package) has a rank; a module may import only
# units of the same or a lower rank. docs/ARCHITECTURE.md draws the same table.
RANKS: dict[str, int] = {
    "_collector": 0,
    "_lazyre": 0,
    "_version": 0,
    "errors": 0,
    "timestamps": 0,
    "textlines": 0,
    "providers": 1,
    "sarif": 1,
    "placeholders": 2,
    "masking": 3,
    "map": 3,
    "emulator": 4,
    "clients": 4,
    "scan": 4,
    "sync": 5,
    "detect_secrets_plugin": 5,
    "audit": 6,
    "runtime": 6,
    "verify": 6,
    "shards": 6,
    "cli": 7,
    "demo": 8,
    "__main__": 8,
    "": 8,  # the package itself (``from secretsync import settings``)
}
# The one sanctioned upward edge: the ``demo`` command's module runs the demo package.
UPWARD_EXCEPTIONS = {("secretsync.cli.commands.demo", "secretsync.demo.run")}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every secretsync module ``name`` imports, resolved to a module that exists."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()

    def resolve(base: str, names: list[str]) -> None:
        for alias in names:
            candidate = f"{base}.{alias}"
            targets.add(candidate if candidate in modules else base)

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for stmt in child.orelse:
                    walk_one(stmt)
                continue
            walk_one(child)

    def walk_one(child: ast.AST) -> None:
        if isinstance(child, ast.Import):
            targets.update(a.name for a in child.names if a.name.startswith("secretsync"))
        elif isinstance(child, ast.ImportFrom):
            if child.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - child.level + 1])
                base = f"{base}.{child.module}" if child.module else base
            else:
                base = child.module or ""
            if base.split(".")[0] == "secretsync":
                resolve(base, [a.name for a in child.names])
        else:
            walk(child)

    walk(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return {t for t in targets if t in modules and t != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_at_most_twelve_modules_at_the_package_root() -> None:
    root_modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(root_modules) <= MAX_ROOT_MODULES, root_modules


def test_every_package_says_what_it_owns() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"{init.relative_to(ROOT)} has no docstring"


def test_no_import_cycles() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert cycles == []


def test_the_cycle_check_sees_a_lazy_import(tmp_path: Path) -> None:
    """The graph reader is not blind to a function-local import (a hidden cycle)."""
    module = tmp_path / "lazy.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from secretsync.cli.app import App\n"
        "def f():\n    from secretsync.errors import ConfigError\n",
        encoding="utf-8",
    )
    modules = {"secretsync.errors": Path(), "secretsync.cli.app": Path()}
    assert _imports("secretsync.lazy", module, modules) == {"secretsync.errors"}


def test_packages_import_downward_only() -> None:
    wrong = []
    for module, targets in _graph().items():
        assert _unit(module) in RANKS, f"{module}: give its unit a rank in RANKS"
        for target in targets:
            if (module, target) in UPWARD_EXCEPTIONS:
                continue
            if RANKS[_unit(target)] > RANKS[_unit(module)]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


@pytest.mark.slow
def test_public_import_paths_work_from_a_built_wheel(tmp_path: Path) -> None:
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    built = subprocess.run(
        [*pip_wheel, "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("secretsync-*.whl")
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
        entry_points = next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
        declared = archive.read(entry_points).decode()
    assert "secretsync = secretsync.emulator.pytest_plugin" in declared
    assert "secretsync = secretsync.cli.main:console_main" in declared
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import secretsync\n"
        "assert secretsync.__file__.startswith(sys.argv[1]), secretsync.__file__\n"
        "from secretsync import settings\n"
        "import secretsync.detect_secrets_plugin as plugin\n"
        "assert plugin.SecretsyncPlaceholderDetector.secret_type\n"
        "from secretsync.emulator import Emulator\n"
        "import secretsync.emulator.pytest_plugin\n"
        "import secretsync.runtime\n"
        "from secretsync.cli.main import console_main\n"
        "assert (plugin.__file__ or '').startswith(sys.argv[1])\n"
        "print('ok', type(settings).__name__, Emulator.__name__)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(unpacked)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("ok ")
