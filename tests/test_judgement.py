"""One judgement per value and map type, shared by sync, push, audit and the settings."""

from __future__ import annotations

import pytest
from map_support import ACME_HEAD

from secretsync.map.load import parse_map
from secretsync.placeholders import Verdict
from secretsync.placeholders.judgement import is_format_problem, judge, judge_value

SMAP = parse_map(
    ACME_HEAD
    + """\
categories:
  app: app
secrets:
  API_TOKEN: {category: app}
  SIGNING_KEY: {category: app, type: pem}
  HOOK_URL: {category: app, type: url}
  DEPLOY_USER: {category: app, type: string}
  DB_PASSWORD_TEXT: {category: app, type: string, env_var: DB_PASSWORD}
  WORKERS: {category: app, type: int}
  FEATURE_ON: {category: app, type: bool}
  LIMITS: {category: app, type: json}
"""
)


def verdict(name: str, value: str) -> str | None:
    found = judge(SMAP.secrets[name], value)
    if found is None:
        return None
    return "format" if is_format_problem(found) else found.verdict.value


@pytest.mark.parametrize("word", ["admin", "production", "sophia", "deploy-bot", "none", "1"])
def test_a_string_may_hold_ordinary_words(word: str) -> None:
    assert verdict("DEPLOY_USER", word) is None


@pytest.mark.parametrize("word", ["admin", "password", "changeme"])
def test_credentials_are_judged_strictly(word: str) -> None:
    assert verdict("API_TOKEN", word) == "placeholder"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("changeme", "placeholder"),
        ("CHANGE_ME", "placeholder"),
        ("your-user-here", "placeholder"),
        ("{{ deploy_user }}", "placeholder"),
        ("${{ secrets.DEPLOY_USER }}", "placeholder"),
        ("<user>", "placeholder"),
        ("sk-xxxxxxxxxxxxxxxxxxxx", "placeholder"),
        ("AKIAIOSFODNN7EXAMPLE", "placeholder"),
        ("xxxxxxxx", "placeholder"),
        ("${DEPLOY_USER}", "reference"),
        ("op://vault/item/user", "reference"),
    ],
)
def test_a_string_refuses_only_unambiguous_placeholders(value: str, expected: str) -> None:
    assert verdict("DEPLOY_USER", value) == expected


def test_a_string_whose_name_says_credential_is_strict() -> None:
    assert verdict("DB_PASSWORD_TEXT", "admin") == "placeholder"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("WORKERS", "8", None),
        ("WORKERS", " -3 ", None),
        ("WORKERS", "8.5", "format"),
        ("WORKERS", "eight", "format"),
        ("WORKERS", "", "empty"),
        ("WORKERS", "{{ workers }}", "placeholder"),
        ("FEATURE_ON", "true", None),
        ("FEATURE_ON", "1", None),
        ("FEATURE_ON", "No", None),
        ("FEATURE_ON", "maybe", "format"),
        ("FEATURE_ON", "${FEATURE}", "reference"),
        ("LIMITS", "{}", None),
        ("LIMITS", "[]", None),
        ("LIMITS", '{"a": 1}', None),
        ("LIMITS", "{a: 1}", "format"),
        ("LIMITS", "[" * 100_000, "format"),
    ],
)
def test_typed_values_are_judged_by_parsing(name: str, value: str, expected: str | None) -> None:
    assert verdict(name, value) == expected


def test_pem_and_url_are_strict() -> None:
    assert verdict("SIGNING_KEY", "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----")
    assert verdict("HOOK_URL", "https://example.com/hook") == "placeholder"
    assert verdict("HOOK_URL", "https://hooks.acme.dev/T0/B1/Zx8Vb2Nm5Kl7Qw3Er9") is None


def test_reasons_never_hold_the_value() -> None:
    value = "canary-not-an-int-Zq9vX2"
    found = judge_value("int", value, "WORKERS")
    assert found is not None and found.verdict is Verdict.PLACEHOLDER
    assert value not in found.reason and value not in found.kind


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("${DB_PASSWORD}", True),
        ("$DB_PASSWORD", True),
        ("${{ env.DB_PASSWORD }}", True),
        ("op://vault/item/password", True),
        ("new$${Pa55}-word-Zx8", False),  # a password's own characters: synced as written
        ("u$e9Kq2{Vx7}Lm4$$Tn8Rz", False),
    ],
)
def test_only_a_whole_value_pointer_is_an_unresolved_reference(value: str, refused: bool) -> None:
    assert (verdict("API_TOKEN", value) is not None) is refused
