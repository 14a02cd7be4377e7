"""ESC definition syntax for the emulator: positioned YAML nodes, property paths, ``${...}``.

The service reports every problem with a line, a column and a byte offset, and a property
path such as ``values.db["fn::secret"]``; these nodes keep all three for every key and
value. Columns count code points (the service counts grapheme clusters: they differ only
after combining marks or emoji); bytes are UTF-8 offsets from 0. Like the service, aliases
and non-string keys are diagnostics. Scalars resolve as YAML 1.2 core and interpolation
follows the service's parser (see "Inferred behaviour" in :mod:`secretsync.emulator.esc_eval`).

Nodes are built in one pass over libyaml's events: an alias is a diagnostic before anything
could expand it, and nesting past :data:`MAX_DEPTH` ends the parse with one; paths and byte
offsets are worked out only for the nodes a diagnostic or an answer names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from secretsync._collector import paused

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


# Hostile input is refused with a diagnostic (a 400), never expanded or recursed into:
MAX_DEPTH = 100  # nested mappings and lists; deeper than any definition needs, and far
# below the interpreter's stack limit for every recursive pass (evaluation, rendering)


class Span:
    """Where a node sits: 1-based line and column, byte offset, and the char offsets.

    Built from the parser's marks; the byte offsets (UTF-8, what the service reports) are
    worked out only when asked for, since most spans are never shown.
    """

    __slots__ = ("_begin", "_end", "_positions")

    def __init__(self, positions: _Positions, begin: Any, end: Any) -> None:
        self._positions, self._begin, self._end = positions, begin, end

    @property
    def environment(self) -> str:
        return self._positions.environment

    @property
    def start(self) -> int:
        return int(self._begin.index)

    @property
    def stop(self) -> int:
        return int(self._end.index)

    @property
    def begin(self) -> tuple[int, int, int]:
        mark = self._begin
        return mark.line + 1, mark.column + 1, self._positions.byte(mark.index)

    @property
    def end(self) -> tuple[int, int, int]:
        mark = self._end
        return mark.line + 1, mark.column + 1, self._positions.byte(mark.index)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Span):
            return NotImplemented
        return (self.environment, self.begin, self.end) == (
            other.environment,
            other.begin,
            other.end,
        )

    def __hash__(self) -> int:
        return hash((self.environment, self.start, self.stop))

    def __repr__(self) -> str:
        return f"Span({self.environment!r}, {self.begin}, {self.end})"

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


class _Where:
    """A node's place: the place of the container it sits in, and its key there.

    Nodes refer only upward to places, never to their container, so a parsed tree holds no
    cycle: dropped, it is freed by reference counting at once instead of waiting for the
    cyclic collector (which the emulator pauses while it builds trees).
    """

    __slots__ = ("_path", "key", "up")

    def __init__(self, up: _Where | None, key: str | int) -> None:
        self.up, self.key = up, key
        self._path: str | None = None if up is not None else ""

    @property
    def path(self) -> str:
        if self._path is None:
            assert self.up is not None
            self._path = _key_path(self.up.path, self.key)
        return self._path


class _Node(_Where):
    """What every node has: its place (its property path, worked out when first asked for,
    since most paths are never shown) and its span."""

    __slots__ = ("span",)

    def __init__(self, span: Span, up: _Where | None, key: str | int) -> None:
        super().__init__(up, key)
        self.span = span


class Scalar(_Node):
    __slots__ = ("is_str", "value")

    def __init__(
        self,
        value: Any,
        span: Span,
        up: _Where | None,
        key: str | int,
        is_str: bool,
    ) -> None:
        self.span, self.up, self.key = span, up, key
        self._path = None if up is not None else ""
        self.value = value  # a fn::secret literal is plaintext: never in a repr
        self.is_str = is_str

    def __repr__(self) -> str:
        return f"Scalar(path={self.path!r}, is_str={self.is_str})"


class Mapping(_Node):
    __slots__ = ("_first", "entries", "here")

    def __init__(self, span: Span, up: _Where | None, key: str | int) -> None:
        super().__init__(span, up, key)
        self.here = _Where(up, key)  # what the entries' nodes refer to
        self.entries: list[tuple[Scalar, Node]] = []
        self._first: dict[str, Node] | None = None

    def lookup(self, key: str) -> Node | None:
        """The value of the first entry named ``key`` (built once: no linear scans)."""
        if self._first is None:
            first: dict[str, Node] = {}
            for k, v in self.entries:
                first.setdefault(k.value, v)
            self._first = first
        return self._first.get(key)

    def __repr__(self) -> str:
        return f"Mapping(path={self.path!r}, entries={len(self.entries)})"


class Sequence(_Node):
    __slots__ = ("here", "items")

    def __init__(self, span: Span, up: _Where | None, key: str | int) -> None:
        super().__init__(span, up, key)
        self.here = _Where(up, key)  # what the items' nodes refer to
        self.items: list[Node] = []

    def __repr__(self) -> str:
        return f"Sequence(path={self.path!r}, items={len(self.items)})"


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
_IMPLICIT: dict[str, list[tuple[str, re.Pattern[str]]]] = _Loader.yaml_implicit_resolvers


def _resolve(event: Any) -> str:
    """The tag PyYAML's composer gives a scalar event (YAML 1.2 core, as configured)."""
    tag = event.tag
    if tag is not None and tag != "!":
        return str(tag)
    value = event.value
    if event.implicit[0]:
        for resolved, pattern in _IMPLICIT.get(value[:1], ()):
            if pattern.match(value):
                return resolved
    return _CORE + "str"


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
    """Turns parser marks (0-based, in code points) into the service's UTF-8 byte offsets."""

    _STEP = 1024

    def __init__(self, text: str, environment: str) -> None:
        self.environment = environment
        self._text = text
        self._ascii = text.isascii()
        self._checkpoints: list[int] | None = None  # bytes before every _STEP-th char

    def byte(self, index: int) -> int:
        if self._ascii:
            return index
        step, text = self._STEP, self._text
        if self._checkpoints is None:
            total, marks = 0, [0]
            for at in range(0, len(text), step):
                total += len(text[at : at + step].encode("utf-8", "surrogatepass"))
                marks.append(total)
            self._checkpoints = marks
        base = (index // step) * step
        tail = text[base:index].encode("utf-8", "surrogatepass")
        return self._checkpoints[index // step] + len(tail)

    def span(self, start: Any, end: Any) -> Span:
        """``start``/``end`` are PyYAML marks (pure-Python or libyaml ones)."""
        return Span(self, start, end)


class _TooDeep(Exception):
    def __init__(self, mark: Any) -> None:
        super().__init__("too deep")
        self.mark = mark


_STR_TAG = "tag:yaml.org,2002:str"


class _Builder:
    """Positioned nodes straight from libyaml's events: one pass, no recursion.

    Aliases become diagnostics at once and are never followed, so a "billion laughs"
    definition costs its own size; nesting deeper than :data:`MAX_DEPTH` stops the parse.
    The loop is written flat (it runs once per event of a 1,000-secret definition on every
    request): a frame per open container is ``[node, pending key, seen keys, muted]``,
    where the pending key is None (a key comes next), False (the key was refused: its
    value is read but dropped) or the key's node; muted subtrees (a key's insides, a
    refused key's value) report nothing, as the service never reads them.
    """

    def __init__(self, positions: _Positions) -> None:
        self.pos = positions
        self.aliases: list[Diagnostic] = []
        self.diags: list[Diagnostic] = []

    def build(self, loader: Any) -> Node | None:
        get = loader.get_event
        get()  # StreamStartEvent
        if isinstance(get(), yaml.StreamEndEvent):
            return None
        pos, diags = self.pos, self.diags
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        plain_first = _IMPLICIT
        stack: list[list[Any]] = []
        root: Node | None = None
        while root is None:
            event = get()
            kind = type(event)
            # Where this node goes.
            parent: Mapping | Sequence | None = None
            key: str | int = ""
            muted = is_key = False
            if stack:
                frame = stack[-1]
                parent, pending, muted = frame[0], frame[1], frame[3]
                if type(parent) is Sequence:
                    key = len(parent.items)
                elif pending is None:
                    is_key = muted = True
                elif pending is False:
                    muted = True
                else:
                    key = pending.value
            up = parent.here if parent is not None else None
            node: Node
            if kind is scalar_event:
                span = Span(pos, event.start_mark, event.end_mark)
                raw = event.value
                tag = event.tag
                if tag is None or tag == "!":
                    tag = _STR_TAG
                    if event.implicit[0]:
                        for resolved, pattern in plain_first.get(raw[:1], ()):
                            if pattern.match(raw):
                                tag = resolved
                                break
                if tag == _STR_TAG:
                    node = Scalar(raw, span, up, key, True)
                elif is_key:
                    node = Scalar(None, span, up, key, True)  # refused below
                else:
                    node = self._typed(raw, tag, span, up, key, muted)
            elif kind is map_start or kind is seq_start:
                if len(stack) >= MAX_DEPTH:
                    raise _TooDeep(event.start_mark)
                span = Span(pos, event.start_mark, event.end_mark)
                container = (Mapping if kind is map_start else Sequence)(span, up, key)
                stack.append([container, None, set(), muted])
                continue
            elif kind is alias_event:
                span = Span(pos, event.start_mark, event.end_mark)
                self.aliases.append(Diagnostic("alias nodes are not supported", "", span))
                node = Scalar(None, span, up, key, False)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                node = stack.pop()[0]
                node.span = Span(pos, node.span._begin, event.end_mark)
                if stack:  # where the finished container goes
                    frame = stack[-1]
                    parent, pending, muted = frame[0], frame[1], frame[3]
                    is_key = type(parent) is Mapping and pending is None
            else:  # nothing else comes inside a document
                raise yaml.YAMLError("unexpected event")
            if not stack:
                root = node
                continue
            frame = stack[-1]
            if type(parent) is Sequence:
                parent.items.append(node)
            elif is_key:
                outer_muted = frame[3]
                if type(node) is not Scalar or node.value is None:
                    if not outer_muted:
                        where = frame[0].path
                        what = Diagnostic("mapping keys must be strings", where, node.span)
                        diags.append(what)
                    frame[1] = False
                    continue
                name = node.value
                node.key = name
                node._path = None
                seen = frame[2]
                if name in seen and not outer_muted:
                    diags.append(Diagnostic(f"duplicate key {json.dumps(name)}", node.path, span))
                seen.add(name)
                frame[1] = node
            else:
                if frame[1] is not False:
                    parent.entries.append((frame[1], node))  # type: ignore[union-attr]
                frame[1] = None
        get()  # DocumentEndEvent
        event = get()
        if not isinstance(event, yaml.StreamEndEvent):
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                None,
                "but found another document",
                event.start_mark,
            )
        return root

    def _typed(
        self,
        raw: str,
        tag: str,
        span: Span,
        up: _Where | None,
        key: str | int,
        muted: bool,
    ) -> Scalar:
        """A scalar whose tag is not ``str``: null, bool, a number, or a diagnostic."""
        if tag == _CORE + "null":
            return Scalar(None, span, up, key, False)
        if tag == _CORE + "bool":
            return Scalar(raw.lower() == "true", span, up, key, False)
        if tag in (_CORE + "int", _CORE + "float"):
            try:
                return Scalar(_number(raw), span, up, key, False)
            except ValueError:
                if not muted:
                    self.diags.append(Diagnostic("invalid number", _path_of(up, key), span))
        elif not muted:
            diag = Diagnostic(f"unsupported YAML tag {tag}", _path_of(up, key), span)
            self.diags.append(diag)
        return Scalar(str(raw), span, up, key, True)


def _path_of(up: _Where | None, key: str | int) -> str:
    return "" if up is None else _key_path(up.path, key)


def parse_definition(text: str, environment: str) -> tuple[Node | None, list[Diagnostic]]:
    """Parse YAML text into positioned nodes; ``None`` for an empty document."""
    positions = _Positions(text, environment)
    builder = _Builder(positions)
    loader = _Loader(text)
    try:
        with paused():  # tens of thousands of new objects, none of them in a cycle
            root = builder.build(loader)
    except _TooDeep as exc:
        deep = positions.span(exc.mark, exc.mark)
        return None, [Diagnostic(f"nested deeper than {MAX_DEPTH} levels", "", deep)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = positions.span(mark, mark) if mark is not None else None
        summary = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        return None, [Diagnostic(summary, "", span)]
    except yaml.YAMLError:
        return None, [Diagnostic("invalid YAML")]
    finally:
        loader.dispose()
    return root, builder.aliases + builder.diags


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


_NAME = re.compile(r"[^.\[}]*")
_INDEX = re.compile(r"[0-9]+")
_ROOT_NUMBER = re.compile(r"[-+]?[0-9]+")


def parse_access(text: str) -> tuple[Access, str]:
    """Parse a property path up to ``}`` (or the end); return it and the rest after ``}``."""
    access, end = _access_at(text, 0)
    return access, text[end:]


def _access_at(text: str, i: int) -> tuple[Access, int]:
    """The property path starting at ``text[i]``, and the index just after its ``}``.

    Indexes into the one string throughout: a long value is read once, never re-sliced.
    """
    access: Access = []
    size = len(text)
    while i < size:
        ch = text[i]
        if ch == "}":
            return access, i + 1
        if ch == ".":
            if not access:
                raise AccessError("the root property must be a string subscript or a name")
            i += 1
        elif ch == "[":
            if text[i + 1 : i + 2] == '"':
                j, key = i + 2, []
                while True:
                    if j >= size:
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
                if not _INDEX.fullmatch(text, i + 1, close):
                    raise AccessError("invalid list index")
                if not access:
                    raise AccessError("the root property must be a string subscript or a name")
                access.append(int(text[i + 1 : close]))
                i = close + 1
        else:
            match = _NAME.match(text, i)
            name = match.group(0) if match else ""
            if not access and _ROOT_NUMBER.fullmatch(name):
                raise AccessError("the root property must be a string subscript or a name")
            access.append(name)
            i += len(name)
    raise AccessError("unterminated interpolation")


def parse_interpolation(text: str) -> list[tuple[str, Access | None]]:
    """Split a string into (literal text, access) parts; ``$$`` becomes ``$``.

    Linear in the length of ``text``: it jumps from one ``$`` to the next.
    """
    if "$" not in text:
        return [(text, None)] if text else []
    parts: list[tuple[str, Access | None]] = []
    buf: list[str] = []
    i = 0
    while True:
        j = text.find("$", i)
        if j == -1:
            buf.append(text[i:])
            break
        buf.append(text[i:j])
        after = text[j + 1 : j + 2]
        if after == "$":
            buf.append("$")
            i = j + 2
        elif after == "{":
            access, i = _access_at(text, j + 2)
            if not access:
                raise AccessError("Property access expressions cannot be empty")
            parts.append(("".join(buf), access))
            buf = []
        else:
            buf.append("$")
            i = j + 1
    literal = "".join(buf)
    if literal:
        parts.append((literal, None))
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
