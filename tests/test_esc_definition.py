"""Editing ESC definitions: encodings, env var entries, bookkeeping, what is kept."""

from __future__ import annotations

import base64

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from secretsync.errors import RequestRejected
from secretsync.sync.definition import EscDefinition, ManagedEntry, format_timestamp

EXISTING = """\
# owned by the platform team
imports:
  - shared/base   # common settings
values:
  region: eu-west-1  # keep me
  sophia:
    ai:
      other: untouched
  environmentVariables:
    REGION: ${region}
"""

TRICKY = [
    "yes",
    "null",
    "0123",
    "~",
    " lead",
    "trail ",
    "",
    "a\nb\n",
    "a\r\nb",
    "é ü 🎉",
    "\u2028\x85\ufeff",
    "$",
    "${sophia.ai.other}",
    "$$",
    "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
    "2026-11-22T10:00:00Z",
]


def test_set_secret_keeps_everything_else() -> None:
    definition = EscDefinition.parse(EXISTING)
    definition.set_secret("sophia.ai.openai_api_key", "sk-live")
    definition.set_env_var("OPENAI_API_KEY", "sophia.ai.openai_api_key")
    text = definition.dump()
    for kept in (
        "# owned by the platform team",
        "- shared/base   # common settings",
        "region: eu-west-1  # keep me",
        "other: untouched",
        "REGION: ${region}",
    ):
        assert kept in text
    data = yaml.safe_load(text)
    assert data["values"]["sophia"]["ai"]["openai_api_key"] == {"fn::secret": "sk-live"}
    assert data["values"]["environmentVariables"]["OPENAI_API_KEY"] == (
        "${sophia.ai.openai_api_key}"
    )


# A comment selects the ruamel round-trip editor; without one, the libyaml node editor.
BOTH = pytest.mark.parametrize("start", ["", "# keep this comment\n"], ids=["nodes", "ruamel"])


@BOTH
@pytest.mark.parametrize("value", TRICKY)
def test_values_survive_dump_and_parse(start: str, value: str) -> None:
    definition = EscDefinition.parse(start)
    definition.set_secret("a.b", value)
    text = definition.dump()
    again = EscDefinition.parse(text)
    assert again.secret_value("a.b") == value
    assert again.is_canonical("a.b", value)
    # A YAML 1.1 reader (PyYAML) sees the same string: nothing is left to implicit typing.
    node = yaml.safe_load(text)["values"]["a"]["b"]
    if "$" in value:
        inner = node["fn::fromBase64"]["fn::secret"]
        assert base64.b64decode(inner).decode("utf-8") == value
    else:
        assert node == {"fn::secret": value}


@given(st.text(st.characters(codec="utf-8")), st.sampled_from(["", "# comment\n"]))
def test_any_text_round_trips(value: str, start: str) -> None:
    definition = EscDefinition.parse(start + "values: {}\n")
    definition.set_secret("x.y", value)
    text = definition.dump()
    assert EscDefinition.parse(text).secret_value("x.y") == value
    if "$" not in value:  # and a YAML 1.1 reader sees the same string
        assert yaml.safe_load(text)["values"]["x"]["y"] == {"fn::secret": value}


FOREIGN = """\
imports: [shared-base]
values:
  quoted: 'yes'
  octal: 0123
  flag: yes
  flow: {a: 1, b: [x, y]}
  base: &base {tier: web}
  copy: *base
  multi: |
    line one
    line two
  environmentVariables: {REGION: "${quoted}"}
"""


def test_the_node_editor_keeps_foreign_text_exactly() -> None:
    definition = EscDefinition.parse(FOREIGN)
    definition.set_secret("app.key", "v")
    text = definition.dump()
    for kept in (
        "quoted: 'yes'",
        "octal: 0123",
        "flag: yes",
        "flow: {a: 1, b: [x, y]}",
        "&id001",
        "*id001",
        "multi: |",
        'REGION: "${quoted}"',
    ):
        assert kept in text
    before, after = yaml.safe_load(FOREIGN), yaml.safe_load(text)
    del after["values"]["app"]
    assert before == after


@BOTH
def test_edits_in_both_editors_agree(start: str) -> None:
    definition = EscDefinition.parse(start + "values:\n  region: eu\n")
    definition.set_secret("a.b.c", "x$y")
    definition.set_env_var("ABC", "a.b.c")
    definition.set_managed("a.b.c", ManagedEntry("ABC", "ABC", "2026-01-01T00:00:00Z", None))
    again = EscDefinition.parse(definition.dump())
    assert again.secret_value("a.b.c") == "x$y"
    assert again.env_vars() == {"ABC": "${a.b.c}"}
    assert again.managed()["a.b.c"].synced_at == "2026-01-01T00:00:00Z"
    again.remove_managed_path("a.b.c", "ABC")
    assert yaml.safe_load(again.dump()) == {"values": {"region": "eu"}}
    if start:
        assert again.dump().startswith(start)


def test_dollar_values_use_base64_and_plain_ones_do_not() -> None:
    definition = EscDefinition.parse("")
    definition.set_secret("p.plain", "abc")
    definition.set_secret("p.dollar", "a$b")
    data = yaml.safe_load(definition.dump())["values"]["p"]
    assert data["plain"] == {"fn::secret": "abc"}
    assert set(data["dollar"]) == {"fn::fromBase64"}


def test_secret_value_of_other_shapes() -> None:
    definition = EscDefinition.parse(
        "values:\n  plain: hello\n  num: 3\n  enc: {fn::secret: {ciphertext: ZXhh}}\n"
        "  bad64: {fn::fromBase64: {fn::secret: '!!!'}}\n"
    )
    assert definition.secret_value("plain") == "hello"
    assert definition.secret_value("num") is None
    assert definition.secret_value("enc") is None
    assert definition.secret_value("bad64") is None
    assert definition.secret_value("absent.path") is None
    assert definition.has_path("enc")
    assert not definition.is_canonical("plain", "hello")


def test_bookkeeping_round_trip() -> None:
    definition = EscDefinition.parse(EXISTING)
    entry = ManagedEntry("OPENAI_API_KEY", "OPENAI_API_KEY", "2026-11-22T10:00:00Z", None)
    definition.set_managed("sophia.ai.openai_api_key", entry)
    text = definition.dump()
    again = EscDefinition.parse(text)
    assert again.managed() == {"sophia.ai.openai_api_key": entry}
    raw = yaml.safe_load(text)["values"]["secretsync"]["managed"]["sophia.ai.openai_api_key"]
    # One line per record (one scalar, not a mapping of four): any YAML reader sees a string.
    assert raw == "secret=OPENAI_API_KEY env_var=OPENAI_API_KEY synced_at=2026-11-22T10:00:00Z"


def test_records_written_as_a_mapping_are_still_read() -> None:
    """Environments synced before the one-line record keep working, mixed with new ones."""
    text = (
        "values:\n  secretsync:\n    managed:\n      a.old:\n        secret: OLD\n"
        "        env_var: OLD_VAR\n        synced_at: '2026-01-01T00:00:00Z'\n"
        "        github_updated_at: null\n"
        "      a.new: secret=NEW synced_at=2026-02-01T00:00:00Z "
        "github_updated_at=2026-01-31T00:00:00Z\n"
    )
    assert EscDefinition.parse(text).managed() == {
        "a.old": ManagedEntry("OLD", "OLD_VAR", "2026-01-01T00:00:00Z", None),
        "a.new": ManagedEntry("NEW", "NEW", "2026-02-01T00:00:00Z", "2026-01-31T00:00:00Z"),
    }


@pytest.mark.parametrize(
    "line",
    ["", "env_var=ONLY", "secret=", "secret=A junk", "=x secret=A", "secret=A synced_at"],
)
def test_a_record_line_sync_cannot_read_is_skipped(line: str) -> None:
    text = f"values:\n  secretsync:\n    managed:\n      a.b: '{line}'\n      c.d: secret=C\n"
    assert EscDefinition.parse(text).managed() == {"c.d": ManagedEntry("C", "C", None, None)}


def test_a_record_line_ignores_fields_it_does_not_know() -> None:
    entry = ManagedEntry.from_line(
        "secret=A env_var=B later_field=x synced_at=2026-01-01T00:00:00Z"
    )
    assert entry == ManagedEntry("A", "B", "2026-01-01T00:00:00Z", None)


def test_remove_managed_path_cleans_up_and_keeps_the_rest() -> None:
    definition = EscDefinition.parse(EXISTING)
    definition.set_secret("sophia.ai.gone", "v")
    definition.set_env_var("GONE", "sophia.ai.gone")
    definition.set_secret("old.deep.path", "v")
    definition.set_managed("sophia.ai.gone", ManagedEntry("GONE", "GONE", None, None))
    definition.set_managed("old.deep.path", ManagedEntry("OLD", "OLD", None, None))
    definition.remove_managed_path("sophia.ai.gone", "GONE")
    definition.remove_managed_path("old.deep.path", "OLD")
    data = yaml.safe_load(definition.dump())
    assert data["values"]["sophia"]["ai"] == {"other": "untouched"}
    assert "old" not in data["values"]
    assert "secretsync" not in data["values"]
    assert data["values"]["environmentVariables"] == {"REGION": "${region}"}


def test_remove_leaves_an_env_var_pointing_elsewhere() -> None:
    definition = EscDefinition.parse(
        "values:\n  a: {fn::secret: x}\n  environmentVariables: {A: '${b}'}\n"
    )
    definition.remove_managed_path("a", "A")
    assert definition.env_var_target("A") == "${b}"


@pytest.mark.parametrize("text", ["values: [unclosed\n", "- a list\n"])
def test_unreadable_definitions(text: str) -> None:
    with pytest.raises(RequestRejected, match="ESC definition"):
        EscDefinition.parse(text)


def test_format_timestamp() -> None:
    assert format_timestamp("2026-11-20T08:00:00+02:00") == "2026-11-20T06:00:00Z"
    assert format_timestamp("2026-11-20T08:00:00Z") == "2026-11-20T08:00:00Z"
    assert format_timestamp(None) is None


@BOTH
@pytest.mark.parametrize(
    ("held", "absent", "unreadable"),
    [
        ("", True, None),
        ("~", True, None),
        ("null", True, None),
        ("12345", False, "a number"),
        ("{other: x}", False, "a mapping other than fn::secret"),
        ("{fn::secret: {ciphertext: ZXhh}}", False, "a mapping other than fn::secret"),
        ("{fn::secret: abc}", False, None),
        ("plain", False, None),
    ],
)
def test_both_editors_agree_on_what_a_path_holds(
    start: str, held: str, absent: bool, unreadable: str | None
) -> None:
    definition = EscDefinition.parse(start + f"values:\n  app:\n    token: {held}\n")
    assert definition.has_path("app.token") is not absent
    assert definition.unreadable("app.token") == unreadable
    assert (definition.secret_value("app.token") is None) is (absent or unreadable is not None)
    container = absent or held == "{other: x}"  # keys below it can be added
    assert definition.blocking_ancestor("app.token.deeper") == (
        None if container else "values.app.token"
    )


@BOTH
def test_a_null_env_var_entry_and_record_read_as_absent(start: str) -> None:
    definition = EscDefinition.parse(
        start + "values:\n  environmentVariables:\n    A:\n  secretsync:\n    managed:\n"
    )
    assert definition.env_var_target("A") is None
    assert definition.managed() == {}
    definition.set_env_var("A", "a.b")
    assert EscDefinition.parse(definition.dump()).env_vars() == {"A": "${a.b}"}


@BOTH
@pytest.mark.parametrize("values", ["values: {}\n", "{values: {region: eu}}\n"])
def test_maps_sync_writes_into_are_block_style(start: str, values: str) -> None:
    definition = EscDefinition.parse(start + values)
    definition.set_secret("app.ai.key", "abc")
    definition.set_env_var("KEY", "app.ai.key")
    definition.set_managed("app.ai.key", ManagedEntry("KEY", "KEY", "t", None))
    text = definition.dump()
    lines = text.splitlines()
    assert "values:" in lines
    assert '        fn::secret: "abc"' in lines
    assert "    KEY: ${app.ai.key}" in lines
    assert "      app.ai.key: secret=KEY env_var=KEY synced_at=t" in lines
    assert len(lines) >= 9  # one key a line, not one flow-style line
    assert EscDefinition.parse(text).secret_value("app.ai.key") == "abc"


def test_untouched_flow_maps_keep_their_style() -> None:
    definition = EscDefinition.parse("values:\n  region: {name: eu, zone: b}\n")
    definition.set_secret("app.key", "abc")
    assert "  region: {name: eu, zone: b}\n" in definition.dump()
