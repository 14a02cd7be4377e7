"""Pulling ``(key, value, offset)`` candidates out of one file's text, per format.

The scanner judges values; this module only finds them and says under which name each one
sits. Every extractor is per file (no state across files) and yields :class:`Candidate`
with the character offset of the value in the text, so the scanner computes lines and
columns only for the few candidates that become findings.

Code (Python, JS/TS, Go, ...) is read with one anchored regex rather than a parser: a string
literal right after ``=`` or ``:`` with the name before it. It is an order of magnitude faster
than ``ast.parse`` and also sees secrets in code that does not parse (templates, fragments);
escapes are decoded with ``ast.literal_eval`` only when a literal has a backslash.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from secretsync._lazyre import lazy_compile
from secretsync.textlines import TEXT_BREAKS, YAML_BREAKS, LineTable

__all__ = ["Candidate", "extract", "format_of"]


class Candidate(NamedTuple):
    """A string value found under ``key``; ``offset`` is where the value starts in the text.

    ``block`` groups values that stand together (one YAML document, one ``.env`` file) so a
    value can be judged with its neighbours; ``in_secret`` marks a value of a Kubernetes
    Secret's ``data``/``stringData`` (``data`` values arrive base64-decoded, as a reviewer
    reads them).
    """

    key: str
    value: str
    offset: int
    block: int = 0
    in_secret: bool = False

    def __repr__(self) -> str:
        # Neither part is printed: the value may be a secret, and so may a key (a token
        # used as a mapping key); the scanner shows keys only through its own check.
        sizes = f"key=<{len(self.key)} chars>, value=<{len(self.value)} chars>"
        return f"Candidate({sizes}, offset={self.offset})"


_CODE_SUFFIX_TEXT = (
    ".py .pyi .js .jsx .mjs .cjs .ts .tsx .mts .cts .go .java .kt .kts .scala .rb .php"
    " .cs .swift .rs .c .h .cc .cpp .hpp .m .groovy .gradle .dart .lua .pl .r .ex .exs"
    " .vue .svelte"
)
_CODE_SUFFIXES = frozenset(_CODE_SUFFIX_TEXT.split())


def format_of(name: str) -> str:
    """The extractor for a file name or path: env, yaml, json, toml, code or text."""
    lower = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if lower == ".env" or lower.startswith(".env.") or lower.endswith((".env", ".tfvars")):
        return "env"  # Terraform variable files are `name = "value"` lines too
    suffix = lower[lower.rfind(".") :] if "." in lower else ""
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix in (".json", ".jsonc", ".json5"):
        return "json"
    if suffix == ".toml":
        return "toml"
    if suffix in _CODE_SUFFIXES:
        return "code"
    return "text"


# --- code -------------------------------------------------------------------------------

# A string literal right after `=` or `:`. The regex starts with a character class so the
# engine skips ahead fast; what may precede the operator is checked in Python.
_CODE_ANCHOR = lazy_compile(r"""[=:][ \t]*(?P<pre>[rRuUbB]{0,2})["'`]""")
_LITERAL = lazy_compile(
    r"""\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`$\\]*`"""
)
# The name right before the operator: `name`, `obj.name`, `"name"`, `x["name"]`; before `=`
# also an annotation (`name: str = ...`, Go's `name string = ...`) or Go's `:=`. Matched on
# the reversed text before the operator, so the match is anchored where the name ends.
_KEY_REVERSED = (
    r"""[ \t]*\]?(?:(?P<q>["'])(?P<qkey>[\w.$-]+)(?P=q)|(?P<key>[\w$]*[A-Za-z_$])(?![\w$]))"""
)
_KEY_BEFORE_ENTRY = lazy_compile(_KEY_REVERSED)
_KEY_BEFORE_ASSIGN = lazy_compile(
    r""":?(?:[ \t]*[\w\[\]. |]*[ \t]*:|[ \t]*gnirts)?""" + _KEY_REVERSED
)
_ENV_DEFAULT = lazy_compile(
    r"""(?:getenv|environ\.get)\([ \t]*["'](?P<key>\w+)["'][ \t]*,[ \t]*[rRuU]?"""
    r"""(?P<lit>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
    r"""|process\.env(?:\.(?P<jskey>\w+)|\[["'](?P<jskey2>\w+)["']\])[ \t]*(?:\|\||\?\?)[ \t]*"""
    r"""(?P<jslit>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
)


_VALUE_ENDS = frozenset(",;)}]\n\r#/")


def _ends_value(text: str, end: int) -> bool:
    """The literal is the whole value (``x = "a"``), not part of one (``x = "a" in y``)."""
    while end < len(text) and text[end] in " \t":
        end += 1
    return end == len(text) or text[end] in _VALUE_ENDS


def _decode_literal(prefix: str, literal: str) -> str | None:
    """The text a code string literal stands for; None for bytes and undecodable ones."""
    if "b" in prefix.lower():
        return None
    body = literal[3:-3] if literal.startswith(("'''", '"""')) else literal[1:-1]
    if "\\" not in body or "r" in prefix.lower() or literal.startswith("`"):
        return body
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return body
    return value if isinstance(value, str) else None


def _code(text: str) -> Iterator[Candidate]:
    for match in _CODE_ANCHOR.finditer(text):
        start = match.start()
        op = text[start]
        before = text[start - 1] if start else "\n"
        if (op == "=" and before in "=!<>") or (op == ":" and before == ":"):
            continue
        literal = _LITERAL.match(text, match.end() - 1)
        if literal is None or not _ends_value(text, literal.end()):
            continue
        # Bounded look-back: minified lines are long and the name is always close.
        window = max(0, start - 120)
        line_start = max(text.rfind("\n", window, start), text.rfind("\r", window, start))
        line_start = line_start + 1 or window
        pattern = _KEY_BEFORE_ASSIGN if op == "=" else _KEY_BEFORE_ENTRY
        named = pattern.match(text[line_start:start][::-1])
        if named is None:
            continue
        value = _decode_literal(match.group("pre"), literal.group())
        if value is not None:
            fence = 3 if literal.group()[:3] in ('"""', "'''") else 1
            key = (named.group("qkey") or named.group("key"))[::-1]
            yield Candidate(key, value, literal.start() + fence)
    if "getenv" in text or "environ.get" in text or "process.env" in text:
        for match in _ENV_DEFAULT.finditer(text):
            group = "lit" if match.group("lit") else "jslit"
            key = match.group("key") or match.group("jskey") or match.group("jskey2")
            value = _decode_literal("", match.group(group))
            if value is not None:
                yield Candidate(key, value, match.start(group) + 1)


# --- line formats: .env and generic text ---------------------------------------------------

# A line starts after \n (`^` under MULTILINE) or after a lone \r (old Mac line ends):
# the same breaks as :data:`secretsync.textlines.TEXT_BREAKS`.
_LINE_VALUE = lazy_compile(
    r"""(?:^|(?<=\r))[ \t]*(?:export[ \t]+|ENV[ \t]+|ARG[ \t]+|set[ \t]+|-[ \t]+)?"""
    r"""(?P<key>[A-Za-z_][\w.-]*)[ \t]*(?:=|:(?!//))[ \t]*"""
    r"""(?:"(?P<dq>(?:[^"\\\n\r]|\\.)*)"|'(?P<sq>[^'\n\r]*)'"""
    # a bare value is a word, or a whole {{ ... }} / ${{ ... }} template up to its braces
    r"""|(?P<bare>\{\{[^\n\r]*?\}\}|\$\{\{[^\n\r]*?\}\}|[^\s#;"'][^\s;]*)"""
    r"""|(?P<empty>)(?=[ \t]*(?:\#|\r?$)))""",
    re.MULTILINE,
)
_ENV_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def _lines(text: str, *, empty: bool = False) -> Iterator[Candidate]:
    """``KEY=value`` lines; ``empty`` also yields ``KEY=`` with nothing after it (a ``.env``
    line that sets an empty value, which in free text is just an assignment)."""
    for match in _LINE_VALUE.finditer(text):
        if match.group("empty") is not None:
            if empty:
                yield Candidate(match.group("key"), "", match.start("empty"))
            continue
        for group in ("dq", "sq", "bare"):
            value = match.group(group)
            if value is not None:
                if group == "dq" and "\\" in value:
                    value = re.sub(r"\\(.)", lambda m: _ENV_ESCAPES.get(m[1], m[0]), value)
                yield Candidate(match.group("key"), value, match.start(group))
                break


def _text(text: str) -> Iterator[Candidate]:
    """Unknown text: ``KEY=value`` lines and quoted assignments; each value once."""
    seen: set[int] = set()
    for candidate in _lines(text):
        seen.add(candidate.offset)
        yield candidate
    for candidate in _code(text):
        if candidate.offset not in seen:
            yield candidate


# --- structured formats ----------------------------------------------------------------------

_JSON_PAIR = lazy_compile(r'"((?:[^"\\\n]|\\.)*)"\s*:\s*"((?:[^"\\\n]|\\.)*)"')


def _json_string(raw: str) -> str:
    if "\\" not in raw:
        return raw
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


def _json(text: str) -> Iterator[Candidate]:
    for match in _JSON_PAIR.finditer(text):
        yield Candidate(_json_string(match[1]), _json_string(match[2]), match.start(2))


def _yaml(text: str) -> Iterator[Candidate]:
    import yaml

    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        documents = list(yaml.compose_all(text, Loader=loader))
    except yaml.YAMLError:
        # Templated YAML (Helm, Jinja) does not parse; its lines still do.
        yield from _lines(text)
        return
    table = LineTable(text, YAML_BREAKS)  # libyaml's marks count its own line breaks
    bom = 1 if text.startswith("\ufeff") else 0  # not counted in the first line's columns

    def offset_of(node: Any) -> int:
        mark = node.start_mark
        start = table.offset(mark.line, mark.column) + (bom if mark.line == 0 else 0)
        return start + 1 if node.style in ("'", '"') else start

    seen: set[int] = set()
    for block, doc in enumerate(documents):
        if doc is None:
            continue
        secret_maps = _secret_maps(doc)
        stack: list[tuple[str, Any, int]] = [("", doc, 0)]  # (key, node, 1: data, 2: stringData)
        while stack:
            key, node, in_secret = stack.pop()
            if id(node) in seen:  # aliases point at the same node; cycles are possible
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                inner = secret_maps.get(id(node), in_secret)
                for key_node, value_node in node.value:
                    name = key_node.value if isinstance(key_node, yaml.ScalarNode) else key
                    if key == "services" and isinstance(key_node, yaml.ScalarNode):
                        # a compose service's name: a neighbour for its values to be judged by
                        yield Candidate("service", str(name), offset_of(key_node), block)
                    stack.append((str(name), value_node, inner))
            elif isinstance(node, yaml.SequenceNode):
                stack.extend((key, item, in_secret) for item in node.value)
            elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
                offset = offset_of(node)
                assignment = _ASSIGNMENT.match(node.value) if key in _LIST_ENV_KEYS else None
                if assignment is not None:
                    # compose `environment: ["KEY=value"]`: the name is inside the item
                    name, value = assignment.group(1), node.value[assignment.end() :]
                    yield Candidate(name, value, offset + assignment.end(), block)
                    continue
                value = node.value
                if in_secret == 1:
                    value = _base64_text(value)
                    if value is None:
                        value = node.value
                yield Candidate(key, value, offset, block, in_secret > 0)


#: Sequence keys whose items are ``NAME=value`` (compose ``environment``/``args``).
_LIST_ENV_KEYS = frozenset(("environment", "args", "env", "build_args"))
_ASSIGNMENT = lazy_compile(r"([A-Za-z_][A-Za-z0-9_.-]*)=")
_BASE64 = lazy_compile(r"[A-Za-z0-9+/]*={0,2}")


def _secret_maps(doc: Any) -> dict[int, int]:
    """``id`` of a Kubernetes Secret's ``data`` (1, base64) and ``stringData`` (2) nodes."""
    import yaml

    if not isinstance(doc, yaml.MappingNode):
        return {}
    fields = {k.value: v for k, v in doc.value if isinstance(k, yaml.ScalarNode) and k.value}
    kind = fields.get("kind")
    if not isinstance(kind, yaml.ScalarNode) or kind.value != "Secret":
        return {}
    found = {}
    for name, marker in (("data", 1), ("stringData", 2)):
        node = fields.get(name)
        if isinstance(node, yaml.MappingNode):
            found[id(node)] = marker
    return found


def _base64_text(value: str) -> str | None:
    """The text a Secret's ``data`` value encodes, or None when it is not base64 of text."""
    import base64
    import binascii

    compact = "".join(value.split())
    if not compact or len(compact) % 4 or _BASE64.fullmatch(compact) is None:
        return None
    try:
        decoded = base64.b64decode(compact, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if any(ord(c) < 32 and c not in "\n\r\t" for c in decoded):
        return None
    return decoded


def _toml(text: str) -> Iterator[Candidate]:
    """Statement by statement, so every value keeps its line; tomllib decodes each one."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib

    # TOML ends lines at \n or \r\n (a lone \r is invalid there): TEXT_BREAKS, not the
    # wider str.splitlines, which would cut a string holding U+2028 or a form feed.
    numbered = list(LineTable(text, TEXT_BREAKS).lines())
    lines = [line for _, line in numbered]
    index = 0
    while index < len(lines):
        first = index
        line = lines[index]
        index += 1
        stripped = line.lstrip()
        if not stripped or stripped[0] in "#[" or "=" not in stripped:
            continue
        rhs = stripped.split("=", 1)[1].lstrip()
        if not rhs or rhs[0] not in "\"'[{":
            continue
        statement = line
        for fence in ('"""', "'''"):
            if rhs.startswith(fence) and rhs.count(fence) == 1:
                while index < len(lines) and fence not in lines[index]:
                    statement += lines[index]
                    index += 1
                if index < len(lines):
                    statement += lines[index]
                    index += 1
        try:
            table = tomllib.loads(statement.strip())
        except tomllib.TOMLDecodeError:
            continue
        offset = numbered[first][0] + len(line) - len(line.lstrip()) + stripped.index(rhs)
        for key, value in _toml_strings(table, ""):
            yield Candidate(key, value, offset)


def _toml_strings(node: Any, key: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield key, node
    elif isinstance(node, dict):
        for name, value in node.items():
            yield from _toml_strings(value, name)
    elif isinstance(node, list):
        for item in node:
            yield from _toml_strings(item, key)


def _env(text: str) -> Iterator[Candidate]:
    return _lines(text, empty=True)


_EXTRACTORS: dict[str, Callable[[str], Iterator[Candidate]]] = {
    "env": _env,
    "yaml": _yaml,
    "json": _json,
    "toml": _toml,
    "code": _code,
    "text": _text,
}


def extract(name: str, text: str) -> Iterator[Candidate]:
    """Every string value in ``text`` with the key it sits under (``name`` picks the format)."""
    return _EXTRACTORS[format_of(name)](text)
