"""Evaluating an ESC environment definition the way the service does, for the emulator.

The definition is parsed (:mod:`secretsync.emulator.esc_syntax`: positioned YAML nodes,
``${path}`` references, ``fn::`` calls) and evaluated lazily against the JSON merge of its
imports, so references work in any order and cycles are caught. Results are
:class:`EValue` trees that render as the API's ``Value`` schema (``value``, ``secret``,
``trace.def``); problems are :class:`Diagnostic` objects with the service's positions.

Inferred behaviour (from the service's docs, its Go evaluator and clients, not from a spec):

- Scalars resolve as YAML 1.2 core, like the service's yaml.v3 decoder: only ``true``/``false``
  are booleans (``yes``, ``on`` stay strings), ``~``/``null``/empty are null, ``0x``/``0o``/
  ``0b`` prefixes and ``_`` separators are integers, a leading ``0`` is octal (Go's
  base-0 parse), timestamps stay strings.
- In ordinary strings ``$$`` is a literal ``$`` and ``${path}`` interpolates; a lone ``$`` is
  literal. A string that is exactly ``${path}`` keeps the type of what it names; inside a
  longer string a value becomes text: booleans ``true``/``false``, null empty, lists and
  objects as comma-joined quoted items (objects as sorted ``"k"="v"`` pairs).
- ``fn::secret`` takes a string literal: any interpolation in it is a diagnostic ("secret
  values must be string literals"), an unterminated ``${`` a syntax diagnostic, and the
  plaintext is kept exactly as written: no ``$$`` unescaping, because the service encrypts
  the raw YAML string before anything evaluates it.
- Imports (``project/env``, or ``env`` for the ``default`` project, or ``{env: {merge:
  false}}``) are evaluated on their own, then merged in order with JSON Merge Patch
  (objects merge key by key, anything else replaces; null replaces rather than deletes);
  the importing environment's ``values`` win. References resolve against the merged root.
- ``fn::fromBase64`` decodes standard, padded Base64 and needs UTF-8; secretness flows
  through every builtin and through interpolation.

Limits of the emulator's own (the service has limits; these are ours, stated here): text
made by interpolation and builtins is at most :data:`MAX_TEXT` characters per evaluation
(40 levels of ``${a}${a}`` would otherwise double into terabytes), evaluation nests at most
:data:`MAX_NESTING` references, imports and builtins deep, and ``fn::fromJSON`` accepts
at most :data:`~secretsync.emulator.esc_syntax.MAX_DEPTH` levels. Each is a diagnostic.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from secretsync.emulator.esc_syntax import (
    MAX_DEPTH,
    Access,
    AccessError,
    Diagnostic,
    Mapping,
    Node,
    Scalar,
    Sequence,
    Span,
    ciphertext_of,
    format_access,
    parse_definition,
    parse_interpolation,
    secret_literal_problem,
)

__all__ = ["MAX_NESTING", "MAX_TEXT", "Diagnostic", "EValue", "evaluate", "merge"]

MAX_TEXT = 1 << 24  # characters of interpolated and built text per evaluation (16 Mi)
MAX_NESTING = 200  # references, imports and builtins evaluated inside one another


class _Refused(Exception):
    """Evaluation stops: the definition asked for more than a limit allows."""

    def __init__(self, summary: str, at: Node | None) -> None:
        super().__init__(summary)
        self.summary, self.at = summary, at


@dataclass(slots=True)
class EValue:
    """An evaluated value: scalar, ``dict[str, EValue]`` or ``list[EValue]``."""

    value: Any = field(repr=False)  # may be a decrypted secret
    secret: bool = False
    span: Span | None = None
    unknown: bool = False

    def plain(self) -> Any:
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value

    def has_secret(self) -> bool:
        if isinstance(self.value, dict):
            return self.secret or any(v.has_secret() for v in self.value.values())
        if isinstance(self.value, list):
            return self.secret or any(v.has_secret() for v in self.value)
        return self.secret

    def to_api(self) -> dict[str, Any]:
        if isinstance(self.value, dict):
            inner: Any = {k: v.to_api() for k, v in self.value.items()}
        elif isinstance(self.value, list):
            inner = [v.to_api() for v in self.value]
        else:
            inner = self.value
        out: dict[str, Any] = {"value": inner}
        if self.secret:
            out["secret"] = True
        if self.unknown:
            out["unknown"] = True
        out["trace"] = {"def": self.span.to_api()} if self.span else {}
        return out

    def to_text(self) -> str:
        """The service's string conversion for interpolation (see the module docstring)."""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if self.value is None:
            return ""
        if isinstance(self.value, list):
            return ",".join(json.dumps(v.to_text(), ensure_ascii=False) for v in self.value)
        if isinstance(self.value, dict):
            return ",".join(
                f"{json.dumps(k, ensure_ascii=False)}={json.dumps(v.to_text(), ensure_ascii=False)}"
                for k, v in sorted(self.value.items())
            )
        return str(self.value)


def _from_plain(data: Any, secret: bool, span: Span | None) -> EValue:
    if isinstance(data, dict):
        return EValue({str(k): _from_plain(v, secret, span) for k, v in data.items()}, False, span)
    if isinstance(data, list):
        return EValue([_from_plain(v, secret, span) for v in data], False, span)
    return EValue(data, secret, span)


def merge(base: EValue | None, top: EValue) -> EValue:
    """JSON Merge Patch of two evaluated values; ``top`` wins."""
    if base is None or not isinstance(base.value, dict) or not isinstance(top.value, dict):
        return top
    merged = dict(base.value)
    for key, value in top.value.items():
        merged[key] = merge(merged.get(key), value)
    return replace(top, value=merged)


Loader = Callable[[str], "str | None"]
Decrypter = Callable[[str], str]
Parser = Callable[[str, str], "tuple[Node | None, list[Diagnostic]]"]


@dataclass
class _Env:
    name: str
    values: Node | None
    base: EValue | None
    memo: dict[int, EValue] = field(default_factory=dict)
    active: set[int] = field(default_factory=set)


def _ref(name: str) -> str:
    return name if "/" in name else f"default/{name}"


class _Evaluator:
    def __init__(self, loader: Loader, decrypt: Decrypter, parse: Parser) -> None:
        self.loader, self.decrypt, self.parse = loader, decrypt, parse
        self.diags: list[Diagnostic] = []
        self.stack: list[str] = []
        self.budget = MAX_TEXT
        self.depth = 0

    def charge(self, size: int, at: Node) -> None:
        """Count ``size`` characters of made text against :data:`MAX_TEXT`."""
        self.budget -= size
        if self.budget < 0:
            raise _Refused(f"the evaluation makes more than {MAX_TEXT} characters of text", at)

    def enter(self, at: Node | None) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _Refused(f"references, imports or calls nested deeper than {MAX_NESTING}", at)

    def environment(self, name: str, text: str) -> EValue:
        self.stack.append(name)
        self.enter(None)
        try:
            root, diags = self.parse(text, name)
            self.diags.extend(diags)
            if diags:
                return EValue({}, span=None)
            imports = values = None
            if isinstance(root, Mapping):
                for key, child in root.entries:
                    if key.value == "imports":
                        imports = child
                    elif key.value == "values":
                        values = child
            elif root is not None:
                self.diags.append(Diagnostic("the environment must be an object", "", root.span))
            base = self.imports(imports)
            if values is not None and not isinstance(values, Mapping):
                self.diags.append(Diagnostic("values must be an object", "values", values.span))
                values = None
            env = _Env(name, values, base)
            if values is None:
                return base or EValue({})
            return self.eval(env, values, base)
        finally:
            self.depth -= 1
            self.stack.pop()

    def imports(self, node: Node | None) -> EValue | None:
        if node is None:
            return None
        if not isinstance(node, Sequence):
            self.diags.append(Diagnostic("imports must be a list", "imports", node.span))
            return None
        base: EValue | None = None
        for item in node.items:
            name, do_merge = self.import_entry(item)
            if name is None:
                continue
            ref = _ref(name)
            if ref in self.stack:
                self.diags.append(Diagnostic(f"cyclic import of {name}", item.path, item.span))
                continue
            text = self.loader(ref)
            if text is None:
                summary = f"unknown environment {json.dumps(name)}"
                self.diags.append(Diagnostic(summary, item.path, item.span))
                continue
            imported = self.environment(ref, text)
            if do_merge:
                base = merge(base, imported)
        return base

    def import_entry(self, item: Node) -> tuple[str | None, bool]:
        if isinstance(item, Scalar) and item.is_str and item.value:
            return str(item.value), True
        if isinstance(item, Mapping) and len(item.entries) == 1:
            key, options = item.entries[0]
            do_merge = True
            if isinstance(options, Mapping):
                for okey, ovalue in options.entries:
                    if okey.value == "merge" and isinstance(ovalue, Scalar):
                        do_merge = ovalue.value is not False
            return str(key.value), do_merge
        self.diags.append(Diagnostic("import must be a string", item.path, item.span))
        return None, False

    def eval(self, env: _Env, node: Node, base: EValue | None) -> EValue:
        key = id(node)
        if key in env.memo:
            return env.memo[key]
        env.active.add(key)
        self.enter(node)
        try:
            result = self._eval(env, node, base)
        finally:
            self.depth -= 1
            env.active.discard(key)
        env.memo[key] = result
        return result

    def _eval(self, env: _Env, node: Node, base: EValue | None) -> EValue:
        if isinstance(node, Sequence):
            return EValue([self.eval(env, n, None) for n in node.items], span=node.span)
        if isinstance(node, Mapping):
            fn = [k for k, _ in node.entries if str(k.value).startswith("fn::")]
            if fn and len(node.entries) == 1:
                return self.builtin(env, node)
            if fn:
                summary = (
                    f"illegal call to builtin function: {json.dumps(fn[0].value)} "
                    "must be the only key within its containing object"
                )
                self.diags.append(Diagnostic(summary, node.path, node.span))
            base_obj = base.value if base is not None and isinstance(base.value, dict) else {}
            out = dict(base_obj)
            for k, child in node.entries:
                out[str(k.value)] = self.eval(env, child, base_obj.get(str(k.value)))
            return EValue(out, span=node.span)
        if not node.is_str:
            return EValue(node.value, span=node.span)
        try:
            parts = parse_interpolation(node.value)
        except AccessError as exc:
            self.diags.append(Diagnostic(str(exc), node.path, node.span))
            return EValue(None, span=node.span, unknown=True)
        if len(parts) == 1 and parts[0][0] == "" and parts[0][1] is not None:
            return replace(self.resolve(env, parts[0][1], node), span=node.span)
        text, secret, unknown = [], False, False
        for literal, access in parts:
            text.append(literal)
            if access is not None:
                value = self.resolve(env, access, node)
                secret, unknown = secret or value.has_secret(), unknown or value.unknown
                piece = value.to_text()
                self.charge(len(piece), node)
                text.append(piece)
        return EValue("".join(text), secret, node.span, unknown)

    def resolve(self, env: _Env, access: Access, at: Scalar) -> EValue:
        node: Node | None = env.values
        base = env.base
        for i, step in enumerate(access):
            if isinstance(node, Mapping) and isinstance(step, str) and not self._is_call(node):
                child = node.lookup(step)
                below = base.value.get(step) if base and isinstance(base.value, dict) else None
                if child is None and below is None:
                    return self.missing(access[: i + 1], at)
                node, base = child, below
                continue
            current = self.current(env, node, base, access[:i], at)
            return self.walk(current, access, i, at)
        return self.current(env, node, base, access, at)

    @staticmethod
    def _is_call(node: Mapping) -> bool:
        return len(node.entries) == 1 and str(node.entries[0][0].value).startswith("fn::")

    def current(
        self, env: _Env, node: Node | None, base: EValue | None, done: Access, at: Scalar
    ) -> EValue:
        if node is None:
            return base if base is not None else self.missing(done, at)
        if id(node) in env.active:
            summary = f"cyclic reference to {format_access(done) or 'values'}"
            self.diags.append(Diagnostic(summary, at.path, at.span))
            return EValue(None, span=at.span, unknown=True)
        return self.eval(env, node, base)

    def walk(self, value: EValue, access: Access, start: int, at: Scalar) -> EValue:
        for i in range(start, len(access)):
            step = access[i]
            if value.unknown:
                return value
            if isinstance(step, str) and isinstance(value.value, dict) and step in value.value:
                value = value.value[step]
            elif isinstance(step, int) and isinstance(value.value, list):
                if step >= len(value.value):
                    return self.missing(access[: i + 1], at, "list index out of range")
                value = value.value[step]
            else:
                return self.missing(access[: i + 1], at)
        return value

    def missing(self, access: Access, at: Scalar, why: str = "") -> EValue:
        summary = why or f"unknown property {json.dumps(format_access(access))}"
        self.diags.append(Diagnostic(summary, at.path, at.span))
        return EValue(None, span=at.span, unknown=True)

    def builtin(self, env: _Env, node: Mapping) -> EValue:
        key, arg = node.entries[0]
        name = str(key.value)
        if name == "fn::secret":
            return self.secret(arg, node)
        value = self.eval(env, arg, None)
        if value.unknown:
            return replace(value, span=node.span)
        secret = value.has_secret()
        try:
            result = _BUILTINS[name](value)
            if isinstance(result, str):
                self.charge(len(result), node)
        except KeyError:
            self.diags.append(Diagnostic(f"unknown builtin function {name}", node.path, key.span))
            return EValue(None, span=node.span, unknown=True)
        except (ValueError, TypeError) as exc:
            self.diags.append(Diagnostic(f"{name}: {exc}", arg.path, arg.span))
            return EValue(None, span=node.span, unknown=True)
        return _from_plain(result, secret, node.span)

    def secret(self, arg: Node, node: Mapping) -> EValue:
        cipher = ciphertext_of(arg)
        if cipher is not None:
            try:
                return EValue(self.decrypt(str(cipher.value)), True, node.span)
            except ValueError:
                self.diags.append(Diagnostic("invalid ciphertext", cipher.path, cipher.span))
                return EValue(None, True, node.span, unknown=True)
        problem = secret_literal_problem(arg)
        if problem is not None:
            self.diags.append(Diagnostic(problem, arg.path, arg.span))
            return EValue(None, True, node.span, unknown=True)
        assert isinstance(arg, Scalar)
        return EValue(str(arg.value), True, node.span)


def _expect_str(value: EValue) -> str:
    if not isinstance(value.value, str):
        raise TypeError("the argument must be a string")
    return value.value


def _from_base64(value: EValue) -> str:
    try:
        raw = base64.b64decode(_expect_str(value).encode("ascii"), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeError) as exc:
        raise ValueError("the argument is not valid Base64 of UTF-8 text") from exc


def _from_json(value: EValue) -> Any:
    try:
        data = json.loads(_expect_str(value))
    except RecursionError:
        raise ValueError(f"the JSON nests deeper than {MAX_DEPTH} levels") from None
    stack = [(data, 1)]
    while stack:  # iteratively: the check must not recurse as deep as the data
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"the JSON nests deeper than {MAX_DEPTH} levels")
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, (dict, list)):
            stack.extend((child, depth + 1) for child in children)
    return data


def _join(value: EValue) -> str:
    items = value.value if isinstance(value.value, list) else []
    if len(items) != 2 or not isinstance(items[1].value, list):
        raise TypeError("the argument must be a two-valued list")
    return _expect_str(items[0]).join(_expect_str(v) for v in items[1].value)


_BUILTINS: dict[str, Callable[[EValue], Any]] = {
    "fn::fromBase64": _from_base64,
    "fn::toBase64": lambda v: base64.b64encode(_expect_str(v).encode("utf-8")).decode("ascii"),
    "fn::toJSON": lambda v: json.dumps(v.plain(), separators=(",", ":"), sort_keys=True),
    "fn::fromJSON": _from_json,
    "fn::toString": lambda v: v.to_text(),
    "fn::join": _join,
}


def evaluate(
    name: str,
    text: str,
    loader: Loader,
    decrypt: Decrypter,
    parse: Parser = parse_definition,
) -> tuple[EValue, list[Diagnostic]]:
    """Evaluate the definition ``text`` of environment ``name`` (``project/env``).

    ``loader("project/env")`` returns another environment's stored definition (or ``None``),
    ``decrypt`` turns a ``ciphertext`` into plaintext (``ValueError`` if it cannot),
    ``parse`` is :func:`parse_definition` or a cache in front of it.
    """
    evaluator = _Evaluator(loader, decrypt, parse)
    try:
        root = evaluator.environment(name, text)
    except _Refused as refused:
        at = refused.at
        span, path = (at.span, at.path) if at is not None else (None, "")
        return EValue({}), [*evaluator.diags, Diagnostic(refused.summary, path, span)]
    if not isinstance(root.value, dict):
        root = EValue({}, span=root.span)
    return root, evaluator.diags
