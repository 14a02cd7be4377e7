"""ESC definition syntax for the emulator: positioned YAML nodes, property paths, ``${...}``.

The service reports every problem with a line, a column and a byte offset, and a property
path such as ``values.db["fn::secret"]``; these nodes keep all three for every key and
value. Columns count code points (the service counts grapheme clusters: they differ only
after combining marks or emoji); bytes are UTF-8 offsets from 0. Like the service, aliases
and non-string keys are diagnostics. Scalars resolve as YAML 1.2 core and interpolation
follows the service's parser (see "Inferred behaviour" in :mod:`secretsync.emulator.esc_eval`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = [
    "Access",
    "AccessError",
    "Diagnostic",
    "Mapping",
    "Node",
    "Scalar",
    "Sequence",
    "Span",
    "ciphertext_of",
    "format_access",
    "parse_access",
    "parse_definition",
    "parse_interpolation",
    "secret_calls",
    "secret_literal_problem",
]

Access = list[str | int]


@dataclass(frozen=True)
class Span:
    """Where a node sits: 1-based line and column, byte offset, and the char offsets."""

    environment: str
    begin: tuple[int, int, int]
    end: tuple[int, int, int]
    start: int = 0
    stop: int = 0

    def to_api(self) -> dict[str, Any]:
        def pos(p: tuple[int, int, int]) -> dict[str, int]:
            return {"line": p[0], "column": p[1], "byte": p[2]}

        return {"environment": self.environment, "begin": pos(self.begin), "end": pos(self.end)}


@dataclass(frozen=True)
class Diagnostic:
    """One problem: a summary that never quotes a value, the property path, a range."""

    summary: str
    path: str = ""
    span: Span | None = None

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"summary": self.summary}
        if self.path:
            out["path"] = self.path
        if self.span is not None:
            out["range"] = self.span.to_api()
        return out


@dataclass
class Scalar:
    value: Any = field(repr=False)  # a fn::secret literal is plaintext
    span: Span
    path: str
    is_str: bool


@dataclass
class Mapping:
    entries: list[tuple[Scalar, Node]]
    span: Span
    path: str


@dataclass
class Sequence:
    items: list[Node]
    span: Span
    path: str


Node = Scalar | Mapping | Sequence

# -- YAML with positions ------------------------------------------------------------------


_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):  # type: ignore[valid-type,misc]
    """Safe loading with YAML 1.2 core scalar resolution (see the module docstring); libyaml's
    parser when present, since a 1,000-secret definition is parsed on every request."""


_Loader.yaml_implicit_resolvers = {}
_RESOLVERS = [
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?(0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)", "-+0123456789"),
    ("float", r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", "-+.0123456789"),
    ("float", r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)", "-+."),
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
]
for _name, _pattern, _first in _RESOLVERS:
    _Loader.add_implicit_resolver(
        f"tag:yaml.org,2002:{_name}", re.compile(f"^(?:{_pattern})$"), list(_first)
    )


def _number(text: str) -> int | float:
    plain = text.replace("_", "")
    sign = -1 if plain.startswith("-") else 1
    digits = plain.lstrip("+-")
    if digits[:2] in ("0b", "0o", "0x"):
        return sign * int(digits[2:], {"0b": 2, "0o": 8, "0x": 16}[digits[:2]])
    if re.fullmatch(r"[0-9]+", digits):
        if len(digits) > 1 and digits[0] == "0" and re.fullmatch(r"[0-7]+", digits):
            return sign * int(digits, 8)  # Go's base-0 parse, as yaml.v3 does
        return sign * int(digits, 10)
    lowered = digits.lower()
    if lowered in (".inf", ".nan"):
        return sign * float(lowered[1:])
    return float(plain)


_CORE = "tag:yaml.org,2002:"
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def _key_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _IDENT.fullmatch(key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{json.dumps(key)}]"


def format_access(access: Access) -> str:
    """``["a", 0, "b c"]`` -> ``a[0]["b c"]``."""
    out = ""
    for item in access:
        out = _key_path(out, item)
    return out


class _Positions:
    """Turns PyYAML marks (0-based, in code points) into the service's 1-based positions."""

    def __init__(self, text: str, environment: str) -> None:
        self.environment = environment
        self._byte = [0]
        for ch in text:
            self._byte.append(self._byte[-1] + len(ch.encode("utf-8", "surrogatepass")))

    def span(self, start: Any, end: Any) -> Span:
        """``start``/``end`` are PyYAML marks (pure-Python or libyaml ones)."""
        return Span(
            self.environment,
            (start.line + 1, start.column + 1, self._byte[start.index]),
            (end.line + 1, end.column + 1, self._byte[end.index]),
            start.index,
            end.index,
        )


def parse_definition(text: str, environment: str) -> tuple[Node | None, list[Diagnostic]]:
    """Parse YAML text into positioned nodes; ``None`` for an empty document."""
    positions = _Positions(text, environment)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = positions.span(mark, mark) if mark is not None else None
        summary = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        return None, [Diagnostic(summary, "", span)]
    except yaml.YAMLError:
        return None, [Diagnostic("invalid YAML")]
    if root is None:
        return None, []
    diags = [
        Diagnostic("alias nodes are not supported", "", positions.span(e.start_mark, e.end_mark))
        for e in yaml.parse(text, Loader=_Loader)
        if isinstance(e, yaml.AliasEvent) and e.start_mark and e.end_mark
    ]
    return _convert(root, "", positions, diags), diags


def _convert(node: yaml.Node, path: str, pos: _Positions, diags: list[Diagnostic]) -> Node:
    span = pos.span(node.start_mark, node.end_mark)
    if isinstance(node, yaml.MappingNode):
        entries: list[tuple[Scalar, Node]] = []
        seen: set[str] = set()
        for knode, vnode in node.value:
            kspan = pos.span(knode.start_mark, knode.end_mark)
            if not isinstance(knode, yaml.ScalarNode) or knode.tag != _CORE + "str":
                diags.append(Diagnostic("mapping keys must be strings", path, kspan))
                continue
            key = str(knode.value)
            child = _key_path(path, key)
            if key in seen:
                diags.append(Diagnostic(f"duplicate key {json.dumps(key)}", child, kspan))
            seen.add(key)
            entries.append((Scalar(key, kspan, child, True), _convert(vnode, child, pos, diags)))
        return Mapping(entries, span, path)
    if isinstance(node, yaml.SequenceNode):
        items = [_convert(n, _key_path(path, i), pos, diags) for i, n in enumerate(node.value)]
        return Sequence(items, span, path)
    tag, raw = node.tag, node.value
    if tag == _CORE + "null":
        return Scalar(None, span, path, False)
    if tag == _CORE + "bool":
        return Scalar(raw.lower() == "true", span, path, False)
    if tag in (_CORE + "int", _CORE + "float"):
        try:
            return Scalar(_number(raw), span, path, False)
        except ValueError:
            diags.append(Diagnostic("invalid number", path, span))
    elif tag not in (_CORE + "str", "!"):
        diags.append(Diagnostic(f"unsupported YAML tag {tag}", path, span))
    return Scalar(str(raw), span, path, True)


def secret_calls(root: Node | None) -> Iterator[tuple[Mapping, Node]]:
    """Every ``{fn::secret: arg}`` mapping in the tree, with its argument node."""
    if isinstance(root, Mapping):
        if len(root.entries) == 1 and root.entries[0][0].value == "fn::secret":
            yield root, root.entries[0][1]
            return
        for _, child in root.entries:
            yield from secret_calls(child)
    elif isinstance(root, Sequence):
        for child in root.items:
            yield from secret_calls(child)


def ciphertext_of(arg: Node) -> Scalar | None:
    """The ``ciphertext`` string of a ``fn::secret: {ciphertext: ...}`` argument, if it is one."""
    if isinstance(arg, Mapping) and len(arg.entries) == 1:
        key, value = arg.entries[0]
        if key.value == "ciphertext" and isinstance(value, Scalar) and value.is_str:
            return value
    return None


# -- interpolation ------------------------------------------------------------------------


class AccessError(ValueError):
    pass


def parse_access(text: str) -> tuple[Access, str]:
    """Parse a property path up to ``}`` (or the end); return it and the rest after ``}``."""
    access: Access = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "}":
            return access, text[i + 1 :]
        if ch == ".":
            if not access:
                raise AccessError("the root property must be a string subscript or a name")
            i += 1
        elif ch == "[":
            if text[i + 1 : i + 2] == '"':
                j, key = i + 2, []
                while True:
                    if j >= len(text):
                        raise AccessError("missing closing quote in property name")
                    if text[j] == '"':
                        break
                    if text[j] == "\\" and text[j + 1 : j + 2] == '"':
                        key.append('"')
                        j += 2
                    else:
                        key.append(text[j])
                        j += 1
                if text[j + 1 : j + 2] != "]":
                    raise AccessError("missing closing bracket in property access")
                access.append("".join(key))
                i = j + 2
            else:
                close = text.find("]", i)
                if close == -1:
                    raise AccessError("missing closing bracket in list index")
                if not re.fullmatch(r"[0-9]+", text[i + 1 : close]):
                    raise AccessError("invalid list index")
                if not access:
                    raise AccessError("the root property must be a string subscript or a name")
                access.append(int(text[i + 1 : close]))
                i = close + 1
        else:
            match = re.match(r"[^.\[}]*", text[i:])
            name = match.group(0) if match else ""
            if not access and re.fullmatch(r"[-+]?[0-9]+", name):
                raise AccessError("the root property must be a string subscript or a name")
            access.append(name)
            i += len(name)
    raise AccessError("unterminated interpolation")


def parse_interpolation(text: str) -> list[tuple[str, Access | None]]:
    """Split a string into (literal text, access) parts; ``$$`` becomes ``$``."""
    parts: list[tuple[str, Access | None]] = []
    buf: list[str] = []
    rest = text
    while rest:
        if rest.startswith("$$"):
            buf.append("$")
            rest = rest[2:]
        elif rest.startswith("${"):
            access, rest = parse_access(rest[2:])
            if not access:
                raise AccessError("Property access expressions cannot be empty")
            parts.append(("".join(buf), access))
            buf = []
        else:
            buf.append(rest[0])
            rest = rest[1:]
    if buf:
        parts.append(("".join(buf), None))
    return parts


def secret_literal_problem(arg: Node) -> str | None:
    """Why a ``fn::secret`` argument is not a plain string literal, or ``None`` if it is."""
    if not isinstance(arg, Scalar) or not arg.is_str:
        return "secret values must be string literals"
    try:
        parts = parse_interpolation(arg.value)
    except AccessError as exc:
        return str(exc)
    if any(access is not None for _, access in parts):
        return "secret values must be string literals"
    return None
