"""The linear definition editor against the editor it replaced, byte for byte.

``definition_oracle`` is the previous implementation, kept verbatim: for every generated
definition (block and flow styles, anchors, duplicates, comments, ``#`` inside values) and
every sequence of edits sync makes, both must dump the same text and read the same values.
The one intended difference: a ``#`` that is not a comment no longer picks the round-trip
editor, so for such a text the new editor is compared with the oracle's node editor.
"""

from __future__ import annotations

import definition_oracle as oracle
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from secretsync.sync import definition as current
from secretsync.sync.definition import EscDefinition, ManagedEntry, has_comments

KEYS = ["a", "b", "app", "db", "fn::secret", "environmentVariables", "secretsync", "managed"]
PATHS = ["a", "a.b", "app.db", "app.db.password", "b.c.d", "app", "db.x#y"]
ENV_VARS = ["A", "DB_PASSWORD", "X"]

scalars = st.one_of(
    st.sampled_from(["x", "yes", "0123", "~", "", "a#b", "p#ss word", "${a.b}", "$$", "1.5"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
    st.integers(-5, 5),
    st.none(),
    st.booleans(),
)
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.dictionaries(st.sampled_from(KEYS), children, max_size=4),
        st.lists(children, max_size=3),
    ),
    max_leaves=12,
)


def _render(data: object, flow: bool, comment: bool) -> str:
    text = yaml.safe_dump(
        {"values": data}, default_flow_style=flow, allow_unicode=True, width=1 << 20
    )
    if comment:
        text = "# owned by the platform team\n" + text
    return text


operations = st.lists(
    st.one_of(
        st.tuples(st.just("secret"), st.sampled_from(PATHS), scalars.map(str)),
        st.tuples(st.just("env"), st.sampled_from(ENV_VARS), st.sampled_from(PATHS)),
        st.tuples(st.just("managed"), st.sampled_from(PATHS), st.sampled_from(ENV_VARS)),
        st.tuples(st.just("remove"), st.sampled_from(PATHS), st.sampled_from(ENV_VARS)),
        st.tuples(st.just("unset_env"), st.sampled_from(ENV_VARS), st.sampled_from(PATHS)),
    ),
    max_size=8,
)


def _apply(definition: object, ops: list[tuple[str, str, str]]) -> None:
    entry_type = oracle.ManagedEntry if isinstance(definition, oracle.EscDefinition) else None
    for op, first, second in ops:
        if op == "secret":
            definition.set_secret(first, second)  # type: ignore[attr-defined]
        elif op == "env":
            definition.set_env_var(first, second)  # type: ignore[attr-defined]
        elif op == "managed":
            make = entry_type or ManagedEntry
            entry = make(second, second, "2026-01-01T00:00:00Z", None)
            definition.set_managed(first, entry)  # type: ignore[attr-defined]
        elif op == "remove":
            definition.remove_managed_path(first, second)  # type: ignore[attr-defined]
        else:
            definition.remove_env_var(first, second)  # type: ignore[attr-defined]


def _observe(definition: object) -> object:
    """What the editor shows; a failure (ruamel cannot dump some texts) by its type."""
    try:
        return _look(definition)
    except Exception as exc:
        return type(exc).__name__


def _look(definition: object) -> tuple[object, ...]:
    d = definition
    return (
        d.dump(),  # type: ignore[attr-defined]
        d.env_vars(),  # type: ignore[attr-defined]
        {k: tuple(vars(v).values()) for k, v in d.managed().items()},  # type: ignore[attr-defined]
        [d.secret_value(p) for p in PATHS],  # type: ignore[attr-defined]
        [d.unreadable(p) for p in PATHS],  # type: ignore[attr-defined]
        [d.blocking_ancestor(p + ".deeper") for p in PATHS],  # type: ignore[attr-defined]
    )


def _oracle_parse(text: str, comments: bool) -> oracle.EscDefinition:
    if comments:
        return oracle.EscDefinition.parse(text)
    return oracle.EscDefinition(oracle._NodeTree(text))


def _compare(text: str, ops: list[tuple[str, str, str]]) -> None:
    try:
        new = EscDefinition.parse(text)
    except Exception as exc:
        with pytest.raises(type(exc)):
            oracle.EscDefinition.parse(text)
        return
    old = _oracle_parse(text, new.keeps_comments)
    assert _observe(new) == _observe(old)
    _apply(new, ops)
    _apply(old, ops)
    assert _observe(new) == _observe(old)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(trees, st.booleans(), st.booleans(), operations)
def test_edits_match_the_previous_editor(
    data: object, flow: bool, comment: bool, ops: list[tuple[str, str, str]]
) -> None:
    _compare(_render(data, flow, comment), ops)


HANDWRITTEN = [
    "",
    "values: {}\n",
    "values:\n  a: &x {b: 1}\n  c: *x\n",
    "values:\n  a: 1\n  a: {b: 2}\n  environmentVariables: {A: x, A: y}\n",
    "values:\n  secretsync:\n    managed:\n      a: {secret: A}\n      a: 5\n",
    "imports: [base]\nvalues:\n  flow: {a: 1, b: [x, y]}\n  multi: |\n    one\n    two\n",
    "values:\n  a: 'p#ss'\n  b: \"x # y\"\n  c: a#b\n  d: |\n    # inside a block\n",
    "values:\n  a: x  # a comment\n",
    "# top\nvalues:\n  a: {fn::secret: v}  # kept\n",
    "values:\n  a: |  # header comment\n    text\n",
    "values:\n  app: {fn::secret: x, other: y}\n",
    "values:\n  app:\n    db: {fn::fromBase64: {fn::secret: eA==}}\n",
]


@pytest.mark.parametrize("text", HANDWRITTEN)
def test_handwritten_definitions_match(text: str) -> None:
    everything = [
        ("secret", "app.db.password", "s3cr#t"),
        ("env", "DB_PASSWORD", "app.db.password"),
        ("managed", "app.db.password", "DB_PASSWORD"),
        ("secret", "a.b", "$x"),
        ("remove", "app.db.password", "DB_PASSWORD"),
        ("managed", "a", "A"),
        ("remove", "a", "A"),
    ]
    for cut in range(len(everything) + 1):
        _compare(text, everything[:cut])


@pytest.mark.parametrize(
    ("text", "comments"),
    [
        ("values:\n  a: 'p#ss'\n", False),
        ('values:\n  a: "x # y"\n', False),
        ("values:\n  a: a#b\n", False),
        ("values:\n  a: |\n    # text, not a comment\n", False),
        ("values:\n  a: &a 'x#'\n  b: *a\n", False),
        ("values:\n  a: !!str x#\n", False),
        ("values:\n  é: 'ü#'\n  b: c\n", False),
        ("values:\n  a: x # c\n", True),
        ("# c\nvalues: {}\n", True),
        ("values:\n  a: |  # c\n    x\n", True),
        ("values:\n  a: |\n    x\n# c\nb: 1\n", True),
        ("values: [a, b]  #c\n", True),
        ("values:\n  a: [unclosed # c\n", True),
        ("values:\n  a: x\n", False),
    ],
)
def test_which_hashes_are_comments(text: str, comments: bool) -> None:
    assert has_comments(text) is comments


@settings(max_examples=200)
@example({"k": "a\u2028b"}, False, 2)  # a line separator inside a quoted scalar
@example("\x85", True, 1)
@given(trees, st.booleans(), st.integers(0, 50))
def test_comments_are_found_and_hashes_in_values_are_not(
    data: object, flow: bool, line: int
) -> None:
    """PyYAML writes no comments, only values (with ``#`` in many). ``  # a comment`` at
    the end of a line is a comment exactly when the data read back is unchanged (inside a
    quoted scalar that runs over lines it is text)."""
    text = _render(data, flow, False)
    assert not has_comments(text)
    # Split on "\n" only: str.splitlines also breaks at U+2028 and NEL, and joining those
    # back with "\n" would change the value, not just add a comment.
    lines = text.rstrip("\n").split("\n")
    lines[line % len(lines)] += "  # a comment"
    edited = "\n".join(lines) + "\n"
    try:
        same = yaml.safe_load(edited) == yaml.safe_load(text)
    except yaml.YAMLError:
        return  # not YAML any more: nothing to say
    assert has_comments(edited) is same


def test_a_hash_in_a_value_keeps_the_fast_editor() -> None:
    text = "values:\n" + "".join(f'  k{i}: {{fn::secret: "pa#ss{i}"}}\n' for i in range(50))
    definition = EscDefinition.parse(text)
    assert not definition.keeps_comments
    definition.set_secret("k1", "new#value")
    assert EscDefinition.parse(definition.dump()).secret_value("k1") == "new#value"
    assert EscDefinition.parse("# note\n" + text).keeps_comments


def test_index_work_is_linear() -> None:
    """Every set looks its parents up: no step walks a whole mapping (counted, not timed)."""
    definition = EscDefinition.parse("values: {}\n")
    walked = 0
    original = current._NodeTree._pairs

    def counting(self: object, mapping: object) -> object:
        for pair in original(self, mapping):  # type: ignore[arg-type]
            nonlocal walked
            walked += 1
            yield pair

    current._NodeTree._pairs = counting  # type: ignore[method-assign]
    try:
        for i in range(2000):
            path = f"app.key_{i}"
            definition.set_secret(path, f"v{i}")
            definition.set_env_var(f"KEY_{i}", path)
            definition.set_managed(path, ManagedEntry(f"KEY_{i}", f"KEY_{i}", None, None))
            definition.blocking_ancestor(path)
        for i in range(0, 2000, 2):
            definition.remove_managed_path(f"app.key_{i}", f"KEY_{i}")
    finally:
        current._NodeTree._pairs = original  # type: ignore[method-assign]
    # Reading each new record back walks its own four fields; nothing walks the mappings
    # that hold thousands of keys.
    assert walked <= 10 * 2000
