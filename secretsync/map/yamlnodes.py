"""YAML to plain data, remembering where every key and value stands.

PyYAML's composer already knows each node's position; its constructor forgets it and keeps
the last of two duplicate keys without a word. Walking the composed node tree ourselves
keeps both: a position for every path, and an error for every duplicate key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["Located", "Position", "YamlProblem", "load_located"]

Path = tuple[str | int, ...]

# libyaml's parser composes the same nodes, marks included, about 15 times faster; runtime
# settings load the map at every process start, so it matters there.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Aliases let a short file describe a huge or endless tree (`&a [*a]`, "billion laughs");
# a map never needs more than a few hundred nodes or a handful of levels.
MAX_DEPTH = 50
MAX_NODES = 100_000


@dataclass(frozen=True, order=True)
class Position:
    """1-based line and column."""

    line: int
    column: int

    @classmethod
    def of(cls, node: yaml.Node) -> Position:
        return cls(node.start_mark.line + 1, node.start_mark.column + 1)


@dataclass(frozen=True)
class YamlProblem:
    position: Position
    message: str


@dataclass
class Located:
    """Plain data plus the position of each mapping key and each value, by path."""

    data: Any
    keys: dict[Path, Position] = field(default_factory=dict)
    values: dict[Path, Position] = field(default_factory=dict)
    problems: list[YamlProblem] = field(default_factory=list)
    nodes: int = 0  # nodes walked, aliases counted each time they are used

    def key_position(self, path: Path) -> Position:
        """Where the key of ``path`` is written; falls back to the nearest parent."""
        while path:
            if path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), Position(1, 1))

    def value_position(self, path: Path) -> Position:
        """Where the value of ``path`` starts; falls back to its key, then parents."""
        return self.values.get(path) or self.key_position(path)


def load_located(text: str) -> Located:
    """Parse one YAML document; syntax errors become a problem at their position."""
    located = Located(data=None)
    try:
        node = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        located.problems.append(YamlProblem(where, f"invalid YAML: {exc.problem}"))
        return located
    except yaml.reader.ReaderError as exc:  # a character YAML forbids (NUL, most C0/C1)
        before = text[: exc.position]
        where = Position(before.count("\n") + 1, len(before) - before.rfind("\n"))
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        located.problems.append(
            YamlProblem(where, f"invalid YAML: character U+{code:04X}: {exc.reason}")
        )
        return located
    except yaml.YAMLError as exc:  # pragma: no cover - other composer errors are marked
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        located.problems.append(YamlProblem(Position(1, 1), f"invalid YAML: {first}"))
        return located
    if node is None:
        return located
    located.data = _walk(node, (), located, yaml.SafeLoader(""), frozenset())
    return located


def _walk(
    node: yaml.Node, path: Path, located: Located, loader: yaml.SafeLoader, inside: frozenset[int]
) -> Any:
    if id(node) in inside:
        located.problems.append(
            YamlProblem(Position.of(node), "an alias refers to a node that contains it")
        )
        return None
    if len(path) > MAX_DEPTH:
        located.problems.append(
            YamlProblem(Position.of(node), f"nested deeper than {MAX_DEPTH} levels")
        )
        return None
    located.nodes += 1
    if located.nodes > MAX_NODES:
        if located.nodes == MAX_NODES + 1:
            located.problems.append(
                YamlProblem(
                    Position.of(node), f"the YAML expands to more than {MAX_NODES} nodes (aliases?)"
                )
            )
        return None
    located.values[path] = Position.of(node)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        inside = inside | {id(node)}
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        first_seen: dict[Any, Position] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                located.problems.append(
                    YamlProblem(Position.of(key_node), "YAML merge keys (<<) are not supported")
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                located.problems.append(
                    YamlProblem(Position.of(key_node), "a mapping key must be a plain value")
                )
                continue
            # The raw text, not the constructed value: YAML 1.1 would turn a key like
            # `ON` or `NO` into a boolean.
            key_str = str(key_node.value)
            where = Position.of(key_node)
            if key_str in first_seen:
                earlier = first_seen[key_str]
                located.problems.append(
                    YamlProblem(
                        where,
                        f"duplicate key {key_str!r} (first at line {earlier.line}); "
                        "YAML would silently keep only the last one",
                    )
                )
                continue
            first_seen[key_str] = where
            child = (*path, key_str)
            located.keys[child] = where
            result[key_str] = _walk(value_node, child, located, loader, inside)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _walk(item, (*path, index), located, loader, inside)
            for index, item in enumerate(node.value)
        ]
    try:
        return loader.construct_object(node, deep=True)
    except yaml.MarkedYAMLError as exc:  # a tag the safe loader refuses (`!!python/...`)
        located.problems.append(YamlProblem(Position.of(node), f"invalid YAML: {exc.problem}"))
        return None
