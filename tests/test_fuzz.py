"""Fuzzing the two inputs a user hands secretsync: the map file and the values JSON.

Whatever comes in, the answer is an exit code of 0, 1 or 2 and clear lines, never a
traceback: map problems are each one ``file:line:column: message`` line, source problems
one ``error:`` line that does not quote the input. Strategies start from a valid map or a
valid source and break it the ways people and tools do (wrong types, unknown keys,
duplicates, tabs, anchors, merge keys, YAML specials, odd unicode, deep nesting, huge
numbers; invalid JSON, non-objects, non-string values, odd keys, ``github_token``).
Runs are derandomized with no example database, so CI sees the same examples every time.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from canary_support import run_cli
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from map_support import map_head

from secretsync.emulator import Emulator
from secretsync.errors import ConfigError, MapError
from secretsync.map.load import parse_map
from secretsync.map.model import SecretMap
from secretsync.providers import format_names

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
ISSUE_LINE = re.compile(
    r"^(?P<file>[^\n]+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (?P<msg>\S[^\n]*)$"
)

ENVS = ["production", "staging", "dev"]
CATEGORIES = {"ai": "app.ai", "infra": "app.infra"}
TYPES = ["secret", "string", "url", "int", "bool", "json", "pem"]
ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\t",
        "yes",
        "no",
        "null",
        "~",
        "0123",
        "1e309",
        "-.inf",
        ".nan",
        "0x1F",
        "0o17",
        "2026-01-01",
        "&anchor",
        "*alias",
        "!!python/object:os.system",
        "<<",
        "'quoted'",
        '"dq"',
        "a: b",
        "- item",
        "{",
        "[",
        "#",
        "%",
        "@",
        "`",
        "|",
        ">",
        "é",
        "\u00e9\u0301",
        "日本語",
        "🔑",
        "\u200b",
        "\u202e",
        "\ufeff",
        "\u2028",
        "x" * 300,
        "GITHUB_TOKEN",
        "github_actions",
        "1BAD",
        "a-b",
        "A B",
        "ÄPFEL_KEY",
    ]
)
ODD_VALUE = st.one_of(
    ODD_TEXT,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b", "category"]), st.integers(), max_size=2),
    st.text(max_size=20),
)
NAMES = st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True)


@st.composite
def valid_maps(draw: st.DrawFn) -> dict[str, Any]:
    """A map that validates (or nearly: names may collide case-insensitively, etc.)."""
    envs = draw(st.lists(st.sampled_from(ENVS), min_size=1, max_size=3, unique=True))
    names = draw(st.lists(NAMES, min_size=0, max_size=4, unique=True))
    secrets: dict[str, Any] = {}
    for name in names:
        entry: dict[str, Any] = {"category": draw(st.sampled_from(sorted(CATEGORIES)))}
        if draw(st.booleans()):
            entry["type"] = draw(st.sampled_from(TYPES))
        if draw(st.booleans()):
            entry["format"] = draw(st.sampled_from(sorted(format_names())))
        if draw(st.booleans()):
            entry["environments"] = draw(st.lists(st.sampled_from(envs), max_size=2, unique=True))
        if draw(st.booleans()):
            entry["max_age_days"] = draw(st.integers(min_value=-5, max_value=10**6))
        if draw(st.booleans()):
            entry["github"] = draw(
                st.sampled_from(
                    [
                        {"scope": "org", "visibility": "private"},
                        {"scope": "org", "visibility": "selected", "repositories": ["web"]},
                        {"scope": "repo:web"},
                        {"scope": "env:web/production"},
                    ]
                )
            )
        secrets[name] = entry
    return {
        "version": 1,
        "github": {"org": "acme"},
        "esc": {"org": "acme-esc", "project": "default"},
        "environments": {env: {"esc_env": f"app-{env}"} for env in envs},
        "categories": dict(CATEGORIES),
        "defaults": {"max_age_days": 90},
        "secrets": secrets,
    }


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated_docs(draw: st.DrawFn) -> Any:
    """A valid map with a few structural mutations."""
    doc = draw(valid_maps())
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(doc, path)
        op = draw(st.sampled_from(["replace", "delete", "unknown-key", "nest", "rename"]))
        if op == "replace":
            parent[path[-1]] = draw(ODD_VALUE)
        elif op == "delete":
            del parent[path[-1]]
        elif op == "unknown-key" and isinstance(parent, dict):
            parent[draw(ODD_TEXT | st.text(max_size=8))] = draw(ODD_VALUE)
        elif op == "nest":
            value: Any = draw(ODD_VALUE)
            for _ in range(draw(st.integers(min_value=1, max_value=60))):
                value = draw(st.sampled_from([[value], {"k": value}]))
            parent[path[-1]] = value
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(ODD_TEXT)] = parent.pop(path[-1])
    return doc


def _render(doc: Any, flow: bool, unicode: bool) -> str:
    try:
        return yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=unicode, sort_keys=False)
    except (yaml.YAMLError, ValueError):  # keys PyYAML cannot represent
        return json.dumps(doc, default=str)  # JSON is YAML too


TEXT_EDITS = [
    "duplicate-line", "tab-indent", "truncate", "insert-special", "anchor-merge",
    "anchor-alias", "recursive-alias", "bom", "crlf", "comment-out",
]  # fmt: skip
SPECIALS = [
    "---", "...", "%YAML 1.1", "? complex", ": orphan", "!!binary AAAA", "&a x", "*nope",
    "<<: *nope", "key: !!python/name:os.system", "\x00", "\u2028", "- [", "{a: 1", "]",
    "version: 2", "version: 99999999999999999999999999999", "secrets: !!set {A}",
    '"unterminated', "'", "\t- x", "   tabbed:\tvalue",
]  # fmt: skip


@st.composite
def map_texts(draw: st.DrawFn) -> str:
    text = _render(draw(mutated_docs()), draw(st.booleans()), draw(st.booleans()))
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        lines = text.splitlines() or [""]
        at = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        edit = draw(st.sampled_from(TEXT_EDITS))
        if edit == "duplicate-line":
            lines.insert(at, lines[at])
        elif edit == "tab-indent":
            lines[at] = re.sub(r"^ +", "\t", lines[at]) or "\tx: 1"
        elif edit == "truncate":
            text = text[: draw(st.integers(min_value=0, max_value=len(text)))]
            continue
        elif edit == "insert-special":
            lines.insert(at, draw(st.sampled_from(SPECIALS)))
        elif edit == "anchor-merge":
            lines += ["x-base: &base {category: ai}", "more:", "  <<: *base", "  B: 1"]
        elif edit == "anchor-alias":
            lines += ["extra: &e [1, 2]", "again: *e", "secrets_copy: *e"]
        elif edit == "recursive-alias":
            lines += ["loop: &loop [*loop]", "self: &s {me: *s}"]
        elif edit == "bom":
            lines[0] = "\ufeff" + lines[0]
        elif edit == "crlf":
            text = "\r\n".join(lines)
            continue
        elif edit == "comment-out":
            lines[at] = "# " + lines[at]
        text = "\n".join(lines) + "\n"
    return text


def _check_map_error(exc: MapError, display: str) -> None:
    assert exc.issues, "a MapError with no issue"
    for issue in exc.issues:
        line = str(issue)
        match = ISSUE_LINE.match(line)
        assert match, f"not a file:line:column: message line: {line!r}"
        assert match["file"] == display


BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


@FUZZ
@given(map_texts())
@example("a: &a [*a]\n")
@example("[" * 3000 + "]" * 3000)
@example(BOMB)
@example("version: 1\nsecrets:\n  A: &x {category: ai}\n  B:\n    <<: *x\n")
@example("\x00\x01\x02")
@example("version: 1\n" * 2)
@example("version: !!python/name:os.system 1\nsecrets: !!binary AAAA\n")
def test_parse_map_raises_only_map_or_config_errors(text: str) -> None:
    try:
        smap = parse_map(text, "config/secret_map.yaml")
    except MapError as exc:
        _check_map_error(exc, "config/secret_map.yaml")
        return
    except ConfigError as exc:
        message = exc.message
    else:
        assert isinstance(smap, SecretMap)
        return
    assert "\n" not in message


@pytest.fixture(scope="module")
def fuzz_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="secretsync-fuzz-") as folder:
        yield Path(folder)


def _assert_clean_failure(err: str, code: int) -> None:
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err


@FUZZ
@given(map_texts(), st.sampled_from(["validate", "checklist", "codegen"]))
@example("a: &a [*a]\n", "validate")
@example("version: !!python/object:os.system 1\n", "checklist")
@example(BOMB, "validate")
def test_map_commands_answer_in_positioned_lines(fuzz_dir: Path, text: str, command: str) -> None:
    path = fuzz_dir / "secret_map.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    argv = {
        "validate": ["validate"],
        "checklist": ["checklist"],
        "codegen": ["codegen", "settings"],
    }
    result = run_cli(["--map", str(path), *argv[command]], {})
    _assert_clean_failure(result.err, result.code)
    if result.code == 2:
        lines = [line for line in result.err.splitlines() if not line.startswith("hint: ")]
        assert lines, result.err
        for line in lines:
            match = ISSUE_LINE.match(line)
            assert match and match["file"] == str(path), f"unpositioned map error: {line!r}"
    else:
        assert result.code == 0, result.err


# -- the values source ------------------------------------------------------------------

SOURCE_MAP = (
    map_head(production="app-production")
    + """\
categories:
  app: app.secrets
secrets:
  API_TOKEN: {category: app}
  DB_PASSWORD: {category: app, required: false}
"""
)
CANARY = "CANARY-fuzz-7Hq2Lp9Xv4Mz8Wk3Tb"
KEYS = st.one_of(
    st.sampled_from(
        ["API_TOKEN", "api_token", "Api_Token", "DB_PASSWORD", "github_token", "GITHUB_TOKEN",
         "", " ", "API_TOKEN ", "\u0000", "ÄPI", "🔑", "a" * 300, "__proto__", "1", "$x"]
    ),
    st.text(max_size=12),
)  # fmt: skip
JSON_VALUES = st.one_of(
    st.just(CANARY),
    st.text(max_size=30),
    st.sampled_from(["", " ", "changeme", "sk-xxxx", "${{ secrets.X }}", "x" * 200_000]),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)


@st.composite
def source_texts(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["object", "object", "non-object", "broken", "raw", "deep"]))
    if kind == "object":
        doc = draw(st.dictionaries(KEYS, JSON_VALUES, max_size=5))
        doc.setdefault("API_TOKEN", CANARY)
        return json.dumps(doc, ensure_ascii=draw(st.booleans()))
    if kind == "non-object":
        return json.dumps(draw(st.one_of(JSON_VALUES, st.lists(JSON_VALUES, max_size=3))))
    if kind == "broken":
        good = json.dumps({"API_TOKEN": CANARY, "DB_PASSWORD": "p4ss-Qz7-" + CANARY})
        cut = draw(st.integers(min_value=0, max_value=len(good) - 1))
        edit = draw(st.sampled_from(["cut", "dup", "nan", "trailing", "bom", "single"]))
        return {
            "cut": good[:cut],
            "dup": good[:-1] + f', "API_TOKEN": "{CANARY}2"}}',
            "nan": '{"API_TOKEN": NaN, "X": Infinity}',
            "trailing": good[:-1] + ",}",
            "bom": "\ufeff" + good,
            "single": good.replace('"', "'"),
        }[edit]
    if kind == "deep":
        depth = draw(st.sampled_from([10, 200, 900, 5000]))  # 100_000: see the test below
        return '{"API_TOKEN": ' + "[" * depth + "]" * depth + "}"
    return draw(st.text(max_size=40))


@pytest.fixture(scope="module")
def source_world(fuzz_dir: Path) -> tuple[Path, Emulator]:
    path = fuzz_dir / "source_map.yaml"
    path.write_text(SOURCE_MAP)
    emu = Emulator()
    emu.seed_esc_environment("acme-esc", "default", "app-production", "values:\n  a: 1\n")
    return path, emu


@FUZZ
@given(source_texts(), st.sampled_from(["file", "env", "stdin"]), st.sampled_from(["plan", "sync"]))
def test_values_source_never_crashes_nor_echoes(
    source_world: tuple[Path, Emulator], fuzz_dir: Path, text: str, how: str, command: str
) -> None:
    map_path, emu = source_world
    environ = {
        "SECRETSYNC_MAP": str(map_path),
        "PULUMI_ACCESS_TOKEN": "pul-test-token",
        "SECRETSYNC_RETRY_SCALE": "0.01",
    }
    argv = [command, "--all"]
    stdin = ""
    if how == "file":
        source = fuzz_dir / "values.json"
        source.write_text(text, encoding="utf-8", errors="surrogatepass")
        argv += ["--source", f"json:{source}"]
    elif how == "stdin":
        argv += ["--source", "json:-"]
        stdin = text
    else:
        environ["SECRETSYNC_SECRETS_JSON"] = text
    result = run_cli(argv, environ, stdin=stdin, transport=emu.transport())
    _assert_clean_failure(result.err, result.code)
    assert CANARY not in result.err and CANARY not in result.out
    if result.code == 2:
        first = result.err.splitlines()[0]
        assert first.startswith("error: "), result.err
        assert len([x for x in result.err.splitlines() if not x.startswith("hint: ")]) == 1


DEEP = '{"API_TOKEN": ' + "[" * 100_000 + "]" * 100_000 + "}"


@pytest.mark.parametrize("how", ["file", "env", "stdin"])
def test_deeply_nested_json_source_is_a_clean_error(
    source_world: tuple[Path, Emulator], fuzz_dir: Path, how: str
) -> None:
    map_path, emu = source_world
    environ = {"SECRETSYNC_MAP": str(map_path), "PULUMI_ACCESS_TOKEN": "pul-test-token"}
    argv, stdin = ["plan", "--all"], ""
    if how == "file":
        (fuzz_dir / "deep.json").write_text(DEEP)
        argv += ["--source", f"json:{fuzz_dir / 'deep.json'}"]
    elif how == "stdin":
        argv, stdin = [*argv, "--source", "json:-"], DEEP
    else:
        environ["SECRETSYNC_SECRETS_JSON"] = DEEP
    result = run_cli(argv, environ, stdin=stdin, transport=emu.transport())
    assert result.code == 2, result.err[:300]
    assert result.err.startswith("error: ") and len(result.err.splitlines()) <= 2


def test_source_strategies_reach_every_kind_of_answer() -> None:
    """The fuzz is only worth something if it reaches success and each failure; sample the
    strategy and check that all three exit codes come out of the source loader."""
    from secretsync.errors import SourceError
    from secretsync.sync.sources import load_source

    outcomes: set[str] = set()

    @settings(max_examples=120, derandomize=True, database=None, deadline=None)
    @given(source_texts())
    def probe(text: str) -> None:
        try:
            load_source("json:-", {}, io.StringIO(text))
            outcomes.add("ok")
        except SourceError:
            outcomes.add("source-error")
        except RecursionError:
            outcomes.add("recursion")

    probe()
    assert {"ok", "source-error"} <= outcomes, outcomes


def test_map_strategy_reaches_valid_maps_and_many_kinds_of_error() -> None:
    """Guard against a strategy that only ever produces one kind of broken map."""
    kinds: set[str] = set()
    valid = 0

    @settings(max_examples=80, derandomize=True, database=None, deadline=None)
    @given(map_texts())
    def probe(text: str) -> None:
        nonlocal valid
        try:
            parse_map(text)
            valid += 1
        except MapError as exc:
            kinds.update(re.sub(r"'[^']*'|\S*\d\S*", "_", i.message)[:30] for i in exc.issues)

    probe()
    assert valid >= 5, valid
    assert len(kinds) >= 8, kinds
