"""The values source: env, json:FILE, json:-, $SECRETSYNC_SECRETS_JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from secretsync.errors import SourceError
from secretsync.sync.sources import JSON_ENV_VAR, load_source

CANARY = "canary-Zq9vX2mW7pL4rT8s"


def test_env_source_reads_the_process_environment() -> None:
    source = load_source("env", {"OPENAI_API_KEY": "v1", "PATH": "/bin"}, io.StringIO())
    assert source.get("OPENAI_API_KEY") == "v1"
    assert source.origin == "the process environment"
    assert not source.looks_truncated


def test_default_is_env_unless_the_json_variable_is_set() -> None:
    assert load_source(None, {"A": "1"}, io.StringIO()).get("A") == "1"
    environ = {"A": "1", JSON_ENV_VAR: json.dumps({"B": "2"})}
    source = load_source(None, environ, io.StringIO())
    assert dict(source.values) == {"B": "2"}
    assert source.origin == f"${JSON_ENV_VAR}"


def test_json_file_drops_github_token_and_upper_cases_names(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"github_token": "ghs_x", "openai_api_key": "sk-1", "B": ""}))
    source = load_source(f"json:{path}", {}, io.StringIO())
    assert dict(source.values) == {"OPENAI_API_KEY": "sk-1", "B": ""}


def test_json_stdin() -> None:
    source = load_source("json:-", {}, io.StringIO('{"A": "line1\\nline2"}'))
    assert source.get("A") == "line1\nline2"
    assert source.origin == "<stdin>"


def test_bad_json_names_file_line_and_column_without_the_text(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{\n  "A": "' + CANARY + '",\n  "B" "x"\n}\n')
    with pytest.raises(SourceError) as caught:
        load_source(f"json:{path}", {}, io.StringIO())
    message = str(caught.value)
    assert message.startswith(f"{path}:3:7: invalid JSON")
    assert "\n" not in message
    assert CANARY not in message + str(caught.value.hint)


def test_non_string_value_names_the_key_not_the_value() -> None:
    with pytest.raises(SourceError, match=r"the value of 'PORT' is a number, not a string"):
        load_source("json:-", {}, io.StringIO('{"PORT": 8080}'))
    with pytest.raises(SourceError, match=r"'X' is null"):
        load_source("json:-", {}, io.StringIO('{"X": null}'))


def test_not_an_object() -> None:
    with pytest.raises(SourceError, match="got an array"):
        load_source("json:-", {}, io.StringIO('["a"]'))


def test_names_differing_only_in_case_are_refused() -> None:
    with pytest.raises(SourceError, match="appears twice"):
        load_source("json:-", {}, io.StringIO('{"a": "1", "A": "2"}'))


@pytest.mark.parametrize(
    ("spec", "message"),
    [("json:", "needs a file name"), ("vault", "unknown source"), ("json:/nope.json", "no such")],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        load_source(spec, {}, io.StringIO())


def test_looks_truncated_at_the_workflow_limit() -> None:
    names = {f"S{i:03d}": "v" for i in range(100)}
    full = load_source("json:-", {}, io.StringIO(json.dumps(names)))
    assert full.looks_truncated
    names.pop("S000")
    assert not load_source("json:-", {}, io.StringIO(json.dumps(names))).looks_truncated


def test_repr_shows_no_values() -> None:
    source = load_source("json:-", {}, io.StringIO(json.dumps({"A": CANARY})))
    assert CANARY not in repr(source)
    assert "names=1" in repr(source)


def test_env_source_never_reads_secretsyncs_own_credentials() -> None:
    environ = {
        "GH_TOKEN": CANARY,
        "PULUMI_ACCESS_TOKEN": CANARY + "p",
        "GITHUB_TOKEN": CANARY + "g",
        "OPENAI_API_KEY": "v1",
    }
    source = load_source("env", environ, io.StringIO())
    assert dict(source.values) == {"OPENAI_API_KEY": "v1"}
    warnings = source.withheld_warnings(["GH_TOKEN", "OPENAI_API_KEY", "PULUMI_ACCESS_TOKEN"])
    assert len(warnings) == 2
    assert warnings[0].startswith("GH_TOKEN in the process environment is secretsync's own")
    assert all("--source json:" in w and CANARY not in w for w in warnings)
    assert source.withheld_warnings(["OPENAI_API_KEY"]) == []  # not mapped: nothing to say


def test_a_json_source_may_carry_secrets_named_like_the_credentials() -> None:
    source = load_source("json:-", {}, io.StringIO(json.dumps({"PULUMI_ACCESS_TOKEN": "x1"})))
    assert source.get("PULUMI_ACCESS_TOKEN") == "x1"
    assert source.withheld_warnings(["PULUMI_ACCESS_TOKEN"]) == []


@pytest.mark.parametrize(
    ("text", "named"),
    [('{"A_TOKEN": "ab\\ud800cd"}', "'A_TOKEN'"), ('{"B\\udc00": "x"}', "'B\\\\udc00'")],
)
def test_a_lone_surrogate_is_a_source_error(text: str, named: str) -> None:
    with pytest.raises(SourceError) as caught:
        load_source("json:-", {}, io.StringIO(text))
    assert caught.value.message == f"<stdin>: the value of {named} is not valid Unicode"
