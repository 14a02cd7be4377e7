"""Reading and editing one ESC environment definition, and sync's bookkeeping in it.

Per secret, sync writes the value under ``values.<esc_path>`` as an ``fn::secret`` literal,
or, when the value holds a ``$`` (which ESC would otherwise treat as interpolation), as
``fn::fromBase64: {fn::secret: <base64>}``; plus ``values.environmentVariables.<env_var>:
${<esc_path>}``. What sync manages is recorded, without values, under
``values.secretsync.managed.<esc_path>``.

Everything else in the definition is kept. A definition with comments is edited in
ruamel.yaml's round-trip mode, which keeps them; one without is edited as a libyaml node
graph, which keeps every scalar's text and quoting, key order, flow or block style and
anchors (renamed ``id001``...), and parses and dumps a thousand-secret environment about ten
times faster. A ``#`` inside a value is not a comment: only a ``#`` outside every scalar,
anchor, alias and tag (libyaml's own event spans) selects the round-trip editor.

Both editors index each mapping once (key -> position, how many ``fn::`` keys it holds, how
many keys are left), so a set, a lookup or a delete costs the depth of its path, not the
size of the mapping: an edit of every secret is linear in the size of the definition.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

import yaml

from secretsync import timestamps
from secretsync._collector import paused
from secretsync.errors import RequestRejected

if TYPE_CHECKING:
    from ruamel.yaml import YAML

__all__ = [
    "BOOKKEEPING_ROOT",
    "ENV_VARS_ROOT",
    "EscDefinition",
    "ManagedEntry",
    "format_timestamp",
]

BOOKKEEPING_ROOT = "secretsync"
ENV_VARS_ROOT = "environmentVariables"
SECRET_FN = "fn::secret"
BASE64_FN = "fn::fromBase64"
_WIDTH = 1 << 30  # never fold a long value over lines
_STR, _MAP, _NULL = (f"tag:yaml.org,2002:{t}" for t in ("str", "map", "null"))
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_IMPLICIT = yaml.SafeLoader.yaml_implicit_resolvers


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader with its tag resolution inlined: the same tags (the same table, the
    same first match), without the path-resolver bookkeeping a safe loader never uses,
    which libyaml's composer calls for every node of a thousand-secret definition."""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, pattern in _IMPLICIT.get(value[:1] if value else "", ()):
                    if pattern.match(value):
                        return str(tag)
            return _STR
        return _MAP if kind is yaml.MappingNode else "tag:yaml.org,2002:seq"


_HASH = re.compile("#")


@dataclass(frozen=True)
class ManagedEntry:
    """Sync's record of one path it wrote: which secret, exported as what, and when.

    Stored as one line, ``secret=NAME env_var=NAME synced_at=TIME github_updated_at=TIME``
    (a field that is None is left out): one YAML scalar instead of a mapping of four, which
    halved the nodes every read, plan and write of a synced environment goes through.
    Records written as a mapping (before) are read as well.
    """

    secret: str
    env_var: str
    synced_at: str | None
    github_updated_at: str | None

    def to_line(self) -> str:
        fields = {
            "secret": self.secret,
            "env_var": self.env_var,
            "synced_at": self.synced_at,
            "github_updated_at": self.github_updated_at,
        }
        return " ".join(f"{key}={value}" for key, value in fields.items() if value is not None)

    @classmethod
    def from_fields(cls, fields: Mapping[str, str | None]) -> ManagedEntry | None:
        """From a record's fields; None without a secret name (a record sync cannot use)."""
        secret = fields.get("secret")
        if not secret:
            return None
        return cls(
            secret=secret,
            env_var=fields.get("env_var") or secret,
            synced_at=fields.get("synced_at"),
            github_updated_at=fields.get("github_updated_at"),
        )

    @classmethod
    def from_line(cls, line: str) -> ManagedEntry | None:
        """:meth:`to_line` read back; a word that is not ``key=value`` makes the record
        unreadable (skipped, like any record sync cannot use); unknown keys are ignored."""
        fields: dict[str, str | None] = {}
        for word in line.split():
            key, equals, value = word.partition("=")
            if not equals or not key:
                return None
            fields[key] = value or None
        return cls.from_fields(fields)


def _is_yaml_error(exc: Exception) -> bool:
    """libyaml's and ruamel's parse errors (ruamel is imported only for definitions with
    comments, so its error class is looked up by module, not imported here)."""
    return isinstance(exc, yaml.YAMLError) or type(exc).__module__.startswith("ruamel.yaml")


def format_timestamp(moment: datetime | str | None) -> str | None:
    """``2026-11-22T10:00:00Z``: the one timestamp form the bookkeeping holds."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = timestamps.parse_timestamp(moment)
    return timestamps.format_timestamp(moment)


def has_comments(text: str) -> bool:
    """True when a ``#`` in ``text`` starts a comment (the round-trip editor keeps those).

    A ``#`` inside a scalar (quoted, plain or block), an anchor, an alias or a tag is text,
    not a comment; libyaml's events say where each of those lies. A block scalar's header
    line (``|  # note``) and directives count as possible comments, and so does any text
    libyaml cannot parse (the round-trip parser then reports the error, as it always has).
    """
    if "#" not in text:
        return False
    spans: list[tuple[int, int]] = []
    try:
        event: Any
        for event in yaml.parse(text, Loader=_Loader):
            kind = type(event)
            if kind is yaml.ScalarEvent:
                start, end = event.start_mark.index, event.end_mark.index
                if event.style in ("|", ">"):
                    line_end = text.find("\n", start)
                    header_end = end if line_end == -1 else min(line_end, end)
                    if "#" in text[start:header_end]:
                        return True
                    start = header_end
                spans.append((start, end))
            elif kind in (yaml.AliasEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent):
                spans.append((event.start_mark.index, event.end_mark.index))
    except yaml.YAMLError:
        return True
    spans.sort()
    at = 0
    for match in _HASH.finditer(text):
        index = match.start()
        while at < len(spans) and spans[at][1] <= index:
            at += 1
        if at == len(spans) or not spans[at][0] <= index:
            return True
    return False


class _RuamelTree:
    """A document as ruamel CommentedMaps: comments survive; slow on big documents."""

    def __init__(self, text: str) -> None:
        from ruamel.yaml.comments import CommentedMap

        self._map_type = CommentedMap
        loaded = self._yaml().load(text) if text.strip() else None
        self.root: Any = CommentedMap() if loaded is None else loaded
        # id -> (mapping, how many of its keys start with fn::), held so the id stays its own.
        self._calls: dict[int, tuple[Any, int]] = {}

    @staticmethod
    def _yaml() -> YAML:
        from ruamel.yaml import YAML

        engine = YAML(typ="rt")
        engine.allow_unicode = True
        engine.width = _WIDTH
        engine.preserve_quotes = True
        engine.indent(mapping=2, sequence=4, offset=2)
        return engine

    def is_map(self, node: Any) -> bool:
        return isinstance(node, dict)

    def text(self, node: Any) -> str | None:
        return str(node) if isinstance(node, str) else None

    def items(self, mapping: Any) -> list[tuple[str, Any]]:
        return [(str(k), v) for k, v in mapping.items()]

    def first_items(self, mapping: Any, count: int) -> list[tuple[str, Any]]:
        """The first ``count`` of :meth:`items`, without walking a big mapping."""
        return [(str(k), v) for k, v in islice(mapping.items(), count)]

    def _call_count(self, mapping: Any) -> int:
        cached = self._calls.get(id(mapping))
        if cached is None:
            count = sum(1 for k in mapping if str(k).startswith("fn::"))
            cached = self._calls[id(mapping)] = (mapping, count)
        return cached[1]

    def is_call(self, mapping: Any) -> bool:
        """True when a key starts with ``fn::``: the mapping is a value, not keys."""
        return self._call_count(mapping) > 0

    def is_empty(self, mapping: Any) -> bool:
        return len(mapping) == 0

    def has_duplicates(self, mapping: Any) -> bool:
        return False  # ruamel refuses duplicate keys when it loads

    def get(self, mapping: Any, key: str) -> Any:
        # A null value (``key:`` or ``key: ~``) reads as None: absent, as in _NodeTree.
        return mapping.get(key)

    def block(self, mapping: Any) -> None:
        mapping.fa.set_block_style()

    def describe(self, node: Any) -> str:
        if isinstance(node, dict):
            return "a mapping"
        if isinstance(node, bool):
            return "a boolean"
        if isinstance(node, (int, float)):
            return "a number"
        return "a string" if isinstance(node, str) else "a list or other value"

    def put(self, mapping: Any, key: str, node: Any) -> None:
        if key not in mapping and key.startswith("fn::"):
            self._calls[id(mapping)] = (mapping, self._call_count(mapping) + 1)
        mapping[key] = node

    def delete(self, mapping: Any, key: str) -> None:
        if key.startswith("fn::"):
            self._calls[id(mapping)] = (mapping, self._call_count(mapping) - 1)
        del mapping[key]

    def new_map(self, pairs: Iterable[tuple[str, Any]] = ()) -> Any:
        node = self._map_type()
        for key, value in pairs:
            node[key] = value
        return node

    def string(self, text: str, quoted: bool = True) -> Any:
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString

        return DoubleQuotedScalarString(text) if quoted else text

    def null(self) -> Any:
        return None

    def dump(self) -> str:
        stream = io.StringIO()
        self._yaml().dump(self.root, stream)
        return stream.getvalue()


class _Index:
    """One mapping node's keys: position of each (the last of duplicates), and counts.

    A delete leaves a tombstone (``None``) in the node's pair list, so positions stay valid
    and no delete copies the list; :meth:`compact` drops them before the list is read whole.
    """

    __slots__ = ("alive", "calls", "dead", "duplicates", "node", "positions")

    def __init__(self, node: Any) -> None:
        self.node = node  # held, so the id that keys this index stays its own
        self.positions: dict[str, int] = {}
        self.alive = self.calls = self.dead = 0
        for i, (k, _) in enumerate(node.value):
            if isinstance(k, yaml.ScalarNode):
                key = str(k.value)
                self.positions[key] = i
                self.alive += 1
                self.calls += key.startswith("fn::")
        self.duplicates = len(self.positions) != self.alive

    def compact(self) -> None:
        if self.dead:
            self.node.value = [pair for pair in self.node.value if pair is not None]
            fresh = _Index(self.node)
            self.positions, self.alive, self.calls = fresh.positions, fresh.alive, fresh.calls
            self.dead, self.duplicates = 0, fresh.duplicates


class _NodeTree:
    """A document as a libyaml node graph: scalars keep their text and style; no comments."""

    def __init__(self, text: str) -> None:
        with paused():
            loaded = yaml.compose(text, Loader=_Loader)
        self.root: Any = yaml.MappingNode(_MAP, []) if loaded is None else loaded
        self._indexes: dict[int, _Index] = {}
        self._dirty: dict[int, _Index] = {}  # indexes holding tombstones

    def is_map(self, node: Any) -> bool:
        return isinstance(node, yaml.MappingNode)

    def text(self, node: Any) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
            return str(node.value)
        return None

    def _index(self, mapping: Any) -> _Index:
        index = self._indexes.get(id(mapping))
        if index is None:
            index = self._indexes[id(mapping)] = _Index(mapping)
        return index

    def _pairs(self, mapping: Any) -> Iterator[tuple[str, Any]]:
        for pair in mapping.value:
            if pair is not None and isinstance(pair[0], yaml.ScalarNode):
                yield str(pair[0].value), pair[1]

    def items(self, mapping: Any) -> list[tuple[str, Any]]:
        scalar = yaml.ScalarNode  # a comprehension: big mappings are read whole
        return [(str(p[0].value), p[1]) for p in mapping.value if p and type(p[0]) is scalar]

    def first_items(self, mapping: Any, count: int) -> list[tuple[str, Any]]:
        """The first ``count`` of :meth:`items`, without walking a big mapping."""
        return list(islice(self._pairs(mapping), count))

    def is_call(self, mapping: Any) -> bool:
        """True when a key starts with ``fn::``: the mapping is a value, not keys."""
        return self._index(mapping).calls > 0

    def is_empty(self, mapping: Any) -> bool:
        return self._index(mapping).alive == 0

    def has_duplicates(self, mapping: Any) -> bool:
        return self._index(mapping).duplicates

    def get(self, mapping: Any, key: str) -> Any:
        position = self._index(mapping).positions.get(key)
        if position is None:
            return None
        node = mapping.value[position][1]
        # A null scalar is absent, as ruamel (and every reader of the plain data) sees it.
        return None if isinstance(node, yaml.ScalarNode) and node.tag == _NULL else node

    def block(self, mapping: Any) -> None:
        mapping.flow_style = False

    def describe(self, node: Any) -> str:
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR:
                return "a string"
            if node.tag.endswith(":bool"):
                return "a boolean"
            if node.tag.endswith((":int", ":float")):
                return "a number"
        return "a list or other value"

    def put(self, mapping: Any, key: str, node: Any) -> None:
        index = self._index(mapping)
        position = index.positions.get(key)
        if position is None:
            index.positions[key] = len(mapping.value)
            index.alive += 1
            index.calls += key.startswith("fn::")
            mapping.value.append((yaml.ScalarNode(_STR, key), node))
        else:
            mapping.value[position] = (mapping.value[position][0], node)

    def delete(self, mapping: Any, key: str) -> None:
        index = self._index(mapping)
        if index.duplicates:  # every copy of the key goes; rare enough to rebuild
            index.compact()
            mapping.value = [
                (k, v)
                for k, v in mapping.value
                if not (isinstance(k, yaml.ScalarNode) and k.value == key)
            ]
            self._indexes.pop(id(mapping), None)
            self._dirty.pop(id(mapping), None)
            return
        position = index.positions.pop(key, None)
        if position is None:
            return
        mapping.value[position] = None
        index.alive -= 1
        index.dead += 1
        index.calls -= key.startswith("fn::")
        self._dirty[id(mapping)] = index

    def new_map(self, pairs: Iterable[tuple[str, Any]] = ()) -> Any:
        pairs_ = [(yaml.ScalarNode(_STR, k), v) for k, v in pairs]
        return yaml.MappingNode(_MAP, pairs_, flow_style=False)

    def string(self, text: str, quoted: bool = True) -> Any:
        return yaml.ScalarNode(_STR, text, style='"' if quoted else None)

    def null(self) -> Any:
        return yaml.ScalarNode(_NULL, "null")

    def dump(self) -> str:
        for index in self._dirty.values():
            index.compact()
        self._dirty.clear()
        with paused():
            text: str = yaml.serialize(self.root, Dumper=_Dumper, allow_unicode=True, width=_WIDTH)
        return text


_Tree = _RuamelTree | _NodeTree


def _encoding(value: str) -> dict[str, Any]:
    """What sync writes for ``value``, as plain data: an ``fn::secret`` literal, or, when
    the value holds a ``$`` (ESC would read it as interpolation), its Base64 under
    ``fn::fromBase64``."""
    if "$" not in value:
        return {SECRET_FN: value}
    encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
    return {BASE64_FN: {SECRET_FN: encoded}}


class EscDefinition:
    """One environment's YAML definition, editable in place; ``dump()`` gives it back."""

    def __init__(self, tree: _Tree) -> None:
        self._tree = tree

    @property
    def keeps_comments(self) -> bool:
        """True when the definition has comments, so the round-trip editor (slower) keeps them."""
        return isinstance(self._tree, _RuamelTree)

    def __repr__(self) -> str:
        # No walk of the tree: asyncio and anyio build reprs of what tasks hold eagerly.
        editor = "round-trip" if self.keeps_comments else "node"
        return f"EscDefinition({editor} editor)"

    @classmethod
    def parse(cls, text: str) -> EscDefinition:
        """Parse a definition (as GET or /decrypt returns it); empty text is an empty one."""
        try:
            tree: _Tree = _RuamelTree(text) if has_comments(text) else _NodeTree(text)
        except Exception as exc:
            if not _is_yaml_error(exc):
                raise
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise RequestRejected(
                f"the ESC definition is not valid YAML{where}", service="esc"
            ) from None
        if not tree.is_map(tree.root):
            raise RequestRejected("the ESC definition is not a YAML mapping", service="esc")
        return cls(tree)

    def dump(self) -> str:
        return self._tree.dump()

    # -- reading -------------------------------------------------------------------------

    def _walk(self, *keys: str) -> Any:
        node = self._tree.root
        for key in keys:
            if not self._tree.is_map(node):
                return None
            node = self._tree.get(node, key)
            if node is None:
                return None
        return node

    def _at(self, path: str) -> Any:
        return self._walk("values", *path.split("."))

    def has_path(self, path: str) -> bool:
        """True when ``path`` holds something (a null counts as nothing)."""
        return self._at(path) is not None

    def unreadable(self, path: str) -> str | None:
        """Why ``path`` holds a value :meth:`secret_value` cannot read, or None.

        None when the path is absent or readable; else what it holds instead ("a number",
        "a mapping other than fn::secret"...), for a message that names no value.
        """
        node = self._at(path)
        if node is None or self.secret_value(path) is not None:
            return None
        what = self._tree.describe(node)
        return "a mapping other than fn::secret" if what == "a mapping" else what

    def blocking_ancestor(self, path: str) -> str | None:
        """The first ``values`` prefix of ``path`` that holds something other than a mapping.

        Writing ``path`` would replace it (``values.app: https://...`` is in the way of
        ``app.token``); None when nothing is in the way.
        """
        tree, node = self._tree, self._tree.root
        keys = ["values", *path.split(".")[:-1]]
        for depth, key in enumerate(keys):
            child = tree.get(node, key)
            if child is None:
                return None
            if not self._is_container(child):
                return ".".join(keys[: depth + 1])
            node = child
        return None

    def _is_container(self, node: Any) -> bool:
        """A mapping of keys, not a value: ``{fn::secret: ...}`` is a mapping but a value."""
        return self._tree.is_map(node) and not self._tree.is_call(node)

    def secret_value(self, path: str) -> str | None:
        """The plain value at ``path`` of a decrypted definition, or None when absent.

        Understands what sync writes (both encodings) and plain strings; anything else
        (a ciphertext, an interpolation of other values, a number) is reported as None.
        """
        tree, node = self._tree, self._at(path)
        if node is None or not tree.is_map(node):
            return None if node is None else tree.text(node)
        pairs = tree.first_items(node, 2)
        if len(pairs) != 1:
            return None
        key, inner = pairs[0]
        if key == SECRET_FN:
            return tree.text(inner)
        if key != BASE64_FN or not tree.is_map(inner) or len(tree.first_items(inner, 2)) != 1:
            return None
        encoded = tree.text(tree.get(inner, SECRET_FN))
        if encoded is None:
            return None
        try:
            return base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None

    def literal_value(self, path: str) -> tuple[str | None, str | None]:
        """What ESC gives for ``path`` when it needs no other value: ``(value, None)``.

        ``fn::secret`` literals are taken as written (ESC never unescapes them), sync's
        Base64 form decoded, and a plain string read as ESC reads it (``$$`` is ``$``).
        ``(None, why)`` when it holds something else ("an interpolation of other values",
        "a number"...); ``(None, None)`` when the path is absent.
        """
        node = self._at(path)
        if node is None:
            return None, None
        value = self.secret_value(path)
        if value is None:
            return None, self.unreadable(path)
        if self._tree.is_map(node) or "$" not in value:
            return value, None
        if "${" in value.replace("$$", ""):
            return None, "an interpolation of other values"
        return value.replace("$$", "$"), None

    def is_canonical(self, path: str, value: str) -> bool:
        """True when ``path`` holds ``value`` in exactly the encoding sync would write
        (:meth:`_encode`, compared as plain data rather than built to compare)."""
        node = self._at(path)
        return node is not None and bool(self._plain(node) == _encoding(value))

    def env_var_target(self, name: str) -> str | None:
        """The ``${...}`` text ``environmentVariables.<name>`` holds, or None."""
        node = self._walk("values", ENV_VARS_ROOT, name)
        return None if node is None else self._tree.text(node)

    def env_vars(self) -> dict[str, str]:
        env = self._walk("values", ENV_VARS_ROOT)
        if env is None or not self._tree.is_map(env):
            return {}
        found = ((k, self._tree.text(v)) for k, v in self._tree.items(env))
        return {k: v for k, v in found if v is not None}

    def managed(self) -> dict[str, ManagedEntry]:
        """Sync's bookkeeping: esc_path -> entry (entries it cannot read are skipped)."""
        tree, result = self._tree, {}
        book = self._walk("values", BOOKKEEPING_ROOT, "managed")
        for path, node in tree.items(book) if book is not None and tree.is_map(book) else []:
            entry = self._entry(node)
            if entry is not None:
                result[path] = entry
        return result

    def _entry(self, node: Any) -> ManagedEntry | None:
        """A record in either form: the line sync writes, or the older mapping."""
        tree = self._tree
        line = tree.text(node)
        if line is not None:
            return ManagedEntry.from_line(line)
        if not tree.is_map(node):
            return None
        return ManagedEntry.from_fields({k: tree.text(v) for k, v in tree.items(node)})

    def _record(self, path: str) -> ManagedEntry | None:
        """``managed().get(path)``, looked up rather than listed."""
        book = self._walk("values", BOOKKEEPING_ROOT, "managed")
        if book is None or not self._tree.is_map(book):
            return None
        if self._tree.has_duplicates(book):  # managed() reads every copy of a key
            return self.managed().get(path)
        node = self._tree.get(book, path)
        return self._entry(node) if node is not None else None

    def _plain(self, node: Any) -> Any:
        if self._tree.is_map(node):
            return {k: self._plain(v) for k, v in self._tree.items(node)}
        return self._tree.text(node)

    # -- editing -------------------------------------------------------------------------

    def _encode(self, value: str) -> Any:
        # Double quotes with escapes: the one YAML style no parser (1.1 or 1.2) reads
        # differently, whatever the value holds (``yes``, U+2028, a trailing space).
        tree = self._tree

        def build(plain: dict[str, Any] | str) -> Any:
            if isinstance(plain, str):
                return tree.string(plain)
            return tree.new_map([(key, build(inner)) for key, inner in plain.items()])

        return build(_encoding(value))

    def _mapping(self, *keys: str) -> Any:
        """The mapping at ``keys``, created (replacing any non-mapping) where missing.

        Every mapping on the way is made block style: a definition that starts as
        ``values: {}`` would otherwise grow into one flow-style line. Callers refuse to
        replace a non-mapping they do not manage (:meth:`blocking_ancestor`) beforehand.
        """
        tree, node = self._tree, self._tree.root
        tree.block(node)
        for key in keys:
            child = tree.get(node, key)
            if child is None or not self._is_container(child):
                child = tree.new_map()
                tree.put(node, key, child)
            tree.block(child)
            node = child
        return node

    def set_secret(self, path: str, value: str) -> None:
        """Write ``value`` at ``path``, creating parent mappings; other keys stay."""
        *parents, leaf = path.split(".")
        self._tree.put(self._mapping("values", *parents), leaf, self._encode(value))

    def set_env_var(self, name: str, path: str) -> None:
        env = self._mapping("values", ENV_VARS_ROOT)
        self._tree.put(env, name, self._tree.string("${" + path + "}", quoted=False))

    def set_managed(self, path: str, entry: ManagedEntry) -> None:
        record = self._tree.string(entry.to_line(), quoted=False)
        self._tree.put(self._mapping("values", BOOKKEEPING_ROOT, "managed"), path, record)

    def remove_env_var(self, name: str, path: str) -> None:
        """Delete ``environmentVariables.<name>`` if it still points at ``path``."""
        if self.env_var_target(name) == "${" + path + "}":
            self._prune(["values", ENV_VARS_ROOT, name])

    def remove_managed_path(self, path: str, env_var: str | None) -> None:
        """Delete a path sync wrote, its env var entry (if it points there), its record."""
        self._prune(["values", *path.split(".")])
        if env_var and self.env_var_target(env_var) == "${" + path + "}":
            self._prune(["values", ENV_VARS_ROOT, env_var])
        if self._record(path) is not None:
            self._prune(["values", BOOKKEEPING_ROOT, "managed", path])

    def _prune(self, keys: list[str]) -> None:
        """Delete the node at ``keys``, then every mapping below ``values`` left empty."""
        tree = self._tree
        chain = [tree.root]
        for key in keys[:-1]:
            child = tree.get(chain[-1], key) if tree.is_map(chain[-1]) else None
            if child is None:
                return
            chain.append(child)
        if not tree.is_map(chain[-1]) or tree.get(chain[-1], keys[-1]) is None:
            return
        tree.delete(chain[-1], keys[-1])
        for depth in range(len(chain) - 1, 1, -1):  # never removes `values` itself
            if not tree.is_empty(chain[depth]):
                break
            tree.delete(chain[depth - 1], keys[depth - 1])
