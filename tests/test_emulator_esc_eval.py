"""ESC definitions in the emulator: syntax, interpolation, escaping, builtins, imports, diagnostics."""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from secretsync.emulator.esc_crypto import SecretKeeper, quote_yaml
from secretsync.emulator.esc_eval import Diagnostic, EValue, evaluate
from secretsync.emulator.esc_syntax import format_access, parse_access, parse_definition

KEEPER = SecretKeeper(random.Random(7))


def run(text: str, others: dict[str, str] | None = None) -> tuple[EValue, list[Diagnostic]]:
    table = others or {}
    return evaluate("proj/env", text, table.get, KEEPER.decrypt)


def values(text: str, others: dict[str, str] | None = None) -> Any:
    root, diags = run(text, others)
    assert diags == []
    return root.plain()


def summaries(text: str, others: dict[str, str] | None = None) -> list[str]:
    return [d.summary for d in run(text, others)[1]]


def test_literals_follow_yaml_1_2_core_like_the_service() -> None:
    text = (
        "values:\n  a: yes\n  b: true\n  c: ~\n  d: 0x1F\n  e: 1_000\n  f: 1e3\n  g: 2020-01-01\n"
    )
    assert values(text) == {
        "a": "yes",
        "b": True,
        "c": None,
        "d": 31,
        "e": 1000,
        "f": 1000.0,
        "g": "2020-01-01",
    }


def test_whole_string_reference_keeps_the_type_and_partial_becomes_text() -> None:
    text = (
        "values:\n"
        "  n: 3\n  t: true\n  o: {k: v, a: [1, x]}\n  l: [a, b]\n  z: null\n"
        "  whole: ${o}\n  num: ${n}\n"
        '  text: "n=${n} t=${t} z=[${z}] l=${l} o=${o}"\n'
        '  deep: ${o.a[1]}\n  quoted: ${o["k"]}\n'
    )
    out = values(text)
    assert out["whole"] == {"k": "v", "a": [1, "x"]}
    assert out["num"] == 3
    assert out["text"] == 'n=3 t=true z=[] l="a","b" o="a"="\\"1\\",\\"x\\"","k"="v"'
    assert out["deep"] == "x"
    assert out["quoted"] == "v"


def test_dollar_escapes_in_plain_strings() -> None:
    text = 'values:\n  x: 1\n  a: "$${x}"\n  b: "a$$b"\n  c: "cost $5"\n  d: "$$$${x}"\n  e: "$$${x}"\n'
    assert values(text) == {
        "x": 1,
        "a": "${x}",
        "b": "a$b",
        "c": "cost $5",
        "d": "$${x}",
        "e": "$1",
    }


def test_references_resolve_in_any_order_and_through_objects_being_built() -> None:
    text = "values:\n  a: {b: '${a.c}', c: '${later}'}\n  later: ok\n"
    assert values(text) == {"a": {"b": "ok", "c": "ok"}, "later": "ok"}


def test_secret_literal_is_kept_exactly_as_written() -> None:
    root, diags = run("values:\n  s:\n    fn::secret: 'p$$w $5 {x}'\n  ref: ${s}\n")
    assert diags == []
    assert root.value["s"].value == "p$$w $5 {x}"
    assert root.value["s"].secret is True
    assert root.value["ref"].secret is True


@pytest.mark.parametrize(
    ("arg", "summary", "column"),
    [
        ("'a${b}'", "secret values must be string literals", 19),
        ("'a${b'", "unterminated interpolation", 19),
        ("42", "secret values must be string literals", 19),
        ("[a]", "secret values must be string literals", 19),
    ],
)
def test_non_literal_secret_is_a_positioned_diagnostic(arg: str, summary: str, column: int) -> None:
    _, diags = run(f"values:\n  b: x\n  s: {{fn::secret: {arg}}}\n")
    assert [d.summary for d in diags] == [summary]
    diag = diags[0].to_api()
    assert diag["path"] == 'values.s["fn::secret"]'
    assert diag["range"]["begin"] == {"line": 3, "column": column, "byte": 14 + column}
    assert diag["range"]["environment"] == "proj/env"


def test_interpolation_of_a_secret_makes_the_result_secret() -> None:
    root, _ = run("values:\n  s: {fn::secret: pw}\n  url: 'https://u:${s}@host'\n  open: plain\n")
    assert root.value["url"].value == "https://u:pw@host"
    assert root.value["url"].secret is True
    assert root.value["open"].secret is False


def test_from_base64_over_a_secret_decodes_and_stays_secret() -> None:
    encoded = base64.b64encode(b"a${b}$$c\n").decode()
    root, diags = run(f"values:\n  s: {{fn::fromBase64: {{fn::secret: {encoded}}}}}\n")
    assert diags == []
    assert root.value["s"].value == "a${b}$$c\n"
    assert root.value["s"].secret is True


def test_from_base64_decodes_a_ciphertext_secret_too() -> None:
    cipher = KEEPER.encrypt(base64.b64encode(b"v").decode())
    text = f"values:\n  s:\n    fn::fromBase64:\n      fn::secret: {{ciphertext: {cipher}}}\n"
    root, diags = run(text)
    assert diags == []
    assert (root.value["s"].value, root.value["s"].secret) == ("v", True)


def test_other_builtins() -> None:
    text = (
        "values:\n"
        "  b64: {fn::toBase64: hi}\n"
        "  json: {fn::toJSON: {b: 1, a: [true, null]}}\n"
        '  back: {fn::fromJSON: \'{"k": [1, "x"]}\'}\n'
        "  joined: {fn::join: [',', [a, b]]}\n"
        "  str: {fn::toString: [1, 2]}\n"
    )
    assert values(text) == {
        "b64": "aGk=",
        "json": '{"a":[true,null],"b":1}',
        "back": {"k": [1, "x"]},
        "joined": "a,b",
        "str": '"1","2"',
    }


def test_bad_builtin_arguments_are_diagnostics() -> None:
    assert summaries("values:\n  a: {fn::fromBase64: '%%%'}\n") == [
        "fn::fromBase64: the argument is not valid Base64 of UTF-8 text"
    ]
    assert summaries("values:\n  a: {fn::nope: 1}\n") == ["unknown builtin function fn::nope"]
    assert summaries("values:\n  a: {fn::secret: x, other: 1}\n") == [
        'illegal call to builtin function: "fn::secret" must be the only key within its '
        "containing object"
    ]


def test_environment_variables_and_files_pass_through() -> None:
    text = "values:\n  k: v\n  environmentVariables: {K: '${k}'}\n  files: {F: '${k}'}\n"
    assert values(text) == {"k": "v", "environmentVariables": {"K": "v"}, "files": {"F": "v"}}


def test_imports_merge_in_order_and_the_importer_wins() -> None:
    others = {
        "default/base": "values:\n  a: base\n  obj: {x: 1, y: 1}\n  only_base: b\n",
        "team/extra": "values:\n  a: extra\n  obj: {y: 2}\n  self: ${a}\n",
    }
    text = "imports: [base, team/extra]\nvalues:\n  obj: {z: 3}\n  mine: ${only_base}-${a}\n"
    assert values(text, others) == {
        "a": "extra",
        "obj": {"x": 1, "y": 2, "z": 3},
        "only_base": "b",
        "self": "extra",
        "mine": "b-extra",
    }


def test_import_options_and_import_problems() -> None:
    others = {"default/a": "values: {a: 1}\n", "default/loop": "imports: [proj/env]\n"}
    assert values("imports: [{a: {merge: false}}]\nvalues: {b: 2}\n", others) == {"b": 2}
    assert summaries("imports: [missing]\n", others) == ['unknown environment "missing"']
    assert summaries("imports: [loop]\n", others) == ["cyclic import of proj/env"]
    assert summaries("imports: [proj/env]\n", others) == ["cyclic import of proj/env"]


def test_unknown_and_cyclic_references() -> None:
    root, diags = run("values:\n  a: ${nope.x}\n")
    assert [d.summary for d in diags] == ['unknown property "nope"']
    assert diags[0].span is not None and diags[0].span.begin == (2, 6, 13)
    assert root.value["a"].unknown is True
    assert summaries("values:\n  a: ${b}\n  b: ${a}\n") == ["cyclic reference to a"]
    assert summaries("values:\n  l: [1]\n  a: ${l[3]}\n") == ["list index out of range"]


def test_yaml_problems_have_positions() -> None:
    root, diags = parse_definition("values:\n  a: [1,\n", "p/e")
    assert root is None and len(diags) == 1
    assert diags[0].span is not None and diags[0].span.begin[0] == 3
    _, diags = parse_definition("values:\n  a: 1\n  a: 2\n", "p/e")
    assert [(d.summary, d.path) for d in diags] == [('duplicate key "a"', "values.a")]
    assert summaries("values: [1]\n") == ["values must be an object"]
    assert summaries("values:\n  a: &x {k: 1}\n  b: *x\n") == ["alias nodes are not supported"]
    assert summaries("values:\n  1: one\n  true: yes\n") == ["mapping keys must be strings"] * 2


def test_byte_offsets_count_utf8_bytes() -> None:
    _, diags = run("values:\n  é: ${nope}\n")
    assert diags[0].span is not None
    assert diags[0].span.begin == (2, 6, 14)  # "é" is two bytes


def test_value_shape_matches_the_api() -> None:
    root, _ = run("values:\n  s: {fn::secret: pw}\n  l: [1]\n")
    api = root.value["s"].to_api()
    assert api["value"] == "pw" and api["secret"] is True
    assert set(api["trace"]["def"]) == {"environment", "begin", "end"}
    assert root.value["l"].to_api()["value"][0]["value"] == 1


def test_property_paths_parse_and_format() -> None:
    access, rest = parse_access('a.b[0]["c.d"]}tail')
    assert (access, rest) == (["a", "b", 0, "c.d"], "tail")
    assert format_access(access) == 'a.b[0]["c.d"]'
    for bad in ("[0]}", ".a}", "a[x]}", 'a["b}', "a"):
        with pytest.raises(ValueError):
            parse_access(bad)


@given(st.text())
def test_doubling_every_dollar_gives_the_text_back(text: str) -> None:
    escaped = text.replace("$", "$$")
    root, diags = run(f"values:\n  v: {quote_yaml(escaped)}\n")
    assert diags == []
    assert root.value["v"].value == text


# Surrogates are excluded: a YAML document (UTF-8 text) cannot hold a lone one.
@given(
    st.text(alphabet=st.characters(exclude_characters="$", exclude_categories=("Cs",))), st.text()
)
@example("", "${")  # the target holds a "${" of its own
def test_dollar_brace_always_interpolates_in_plain_strings(prefix: str, name: str) -> None:
    # The target's own text is escaped: a plain "${" there is itself an interpolation.
    target = quote_yaml(name.replace("$", "$$"))
    text = f"values:\n  v: {quote_yaml(prefix + '${target}')}\n  target: {target}\n"
    root, diags = run(text)
    assert diags == []
    assert root.value["v"].value == prefix + name
