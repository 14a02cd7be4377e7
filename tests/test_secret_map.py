"""The map: derived values, and every validation rule with its exact position."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from map_support import SOPHIA_HEAD

from secretsync.errors import ConfigError, MapError
from secretsync.map.load import load_map, parse_map

REPO = Path(__file__).resolve().parents[1]

HEAD = (
    SOPHIA_HEAD
    + """\
categories:
  ai: sophia.ai
  infrastructure: sophia.infrastructure
secrets:
"""
)
# HEAD is 10 lines, so the first secret key is on line 11.


def issues(secrets_block: str, head: str = HEAD) -> list[str]:
    text = head + textwrap.indent(textwrap.dedent(secrets_block), "  ")
    with pytest.raises(MapError) as caught:
        parse_map(text, "m.yaml")
    return [f"{i.line}:{i.column}: {i.message}" for i in caught.value.issues]


def only(secrets_block: str, head: str = HEAD) -> str:
    found = issues(secrets_block, head)
    assert len(found) == 1, found
    return found[0]


def test_shipped_map_is_valid_and_complete() -> None:
    smap = load_map(REPO / "config" / "secret_map.yaml")
    required = {
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "PINECONE_API_KEY",
        "GONG_ACCESS_KEY",
        "SNOWFLAKE_ACCOUNT",
        "SNOWFLAKE_PASSWORD",
        "VERCEL_TOKEN",
        "LAMBDA_API_KEY",
        "LAMBDA_LABS_SSH_KEY",
        "SLACK_WEBHOOK",
        "PULUMI_ACCESS_TOKEN",
        "DOCKER_HUB_TOKEN",
    }
    assert required <= set(smap.secrets)
    assert smap.github_org == "ai-cherry"
    assert (smap.esc_org, smap.esc_project) == ("scoobyjava-org", "default")
    assert smap.esc_ref("production") == "scoobyjava-org/default/sophia-ai-production"
    assert smap.esc_ref("staging") == "scoobyjava-org/default/sophia-ai-staging"
    assert set(smap.categories) == {
        "ai",
        "infrastructure",
        "business",
        "communication",
        "development",
    }
    assert all(prefix == f"sophia.{name}" for name, prefix in smap.categories.items())
    assert smap.secrets["LAMBDA_LABS_SSH_KEY"].type == "pem"
    assert smap.secrets["SLACK_WEBHOOK"].type == "url"
    for secret in smap.secrets.values():
        assert secret.owner and secret.description, secret.name


def test_derived_values() -> None:
    smap = parse_map(
        HEAD
        + textwrap.indent(
            textwrap.dedent(
                """\
            OPENAI_API_KEY:
              category: ai
            LAMBDA_LABS_SSH_KEY:
              category: infrastructure
              type: pem
              environments: [production]
              required: false
              max_age_days: 180
              env_var: LAMBDA_SSH_KEY
              field: lambda_ssh_key
              esc_path: sophia.infrastructure.lambda_ssh_key
              github: {scope: "env:sophia-main/production"}
            """
            ),
            "  ",
        ),
        "m.yaml",
    )
    plain = smap.secrets["OPENAI_API_KEY"]
    assert plain.esc_path == "sophia.ai.openai_api_key"
    assert (plain.env_var, plain.field, plain.type) == (
        "OPENAI_API_KEY",
        "openai_api_key",
        "secret",
    )
    assert plain.environments == ("production", "staging")
    assert (plain.required, plain.max_age_days, plain.line) == (True, 90, 11)
    assert plain.github.scope == "org" and plain.github.visibility == "private"
    ssh = smap.secrets["LAMBDA_LABS_SSH_KEY"]
    assert ssh.esc_path == "sophia.infrastructure.lambda_ssh_key"
    assert (ssh.env_var, ssh.field, ssh.max_age_days) == ("LAMBDA_SSH_KEY", "lambda_ssh_key", 180)
    assert ssh.environments == ("production",) and not ssh.required and ssh.is_sensitive
    assert (ssh.github.scope, ssh.github.repo, ssh.github.environment) == (
        "env",
        "sophia-main",
        "production",
    )
    assert [s.name for s in smap.secrets_for("staging")] == ["OPENAI_API_KEY"]
    assert smap.by_env_var["LAMBDA_SSH_KEY"] is ssh
    assert smap.by_field["openai_api_key"] is plain


def test_done_when_three_errors_at_once(tmp_path: Path) -> None:
    found = issues(
        """\
        OPENAI_API_KEY:
          category: ai
          category: ai
        GITHUB_TOKEN:
          category: ai
        OPENAI_KEY:
          category: ai
          esc_path: sophia.ai.openai_api_key
        """
    )
    assert found == [
        "13:5: duplicate key 'category' (first at line 12); YAML would silently keep only "
        "the last one",
        "14:3: secret name 'GITHUB_TOKEN': GitHub reserves names starting with GITHUB_ "
        "(GITHUB_TOKEN is the token GitHub gives every workflow run); pick another name, "
        "e.g. GH_TOKEN",
        "18:15: ESC path 'sophia.ai.openai_api_key' is already used by OPENAI_API_KEY (line 11)",
    ]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            "A_KEY:\n  category: ai\n  catgory: ai\n",
            "13:5: unknown key 'catgory' (did you mean 'category'?)",
        ),
        (
            "A_KEY:\n  category: ai\n  github: {scope: org, visiblity: all}\n",
            "13:26: unknown key 'visiblity' (did you mean 'visibility'?)",
        ),
        ("9_KEY: {category: ai}\n", "11:3: secret name '9_KEY' must not start with a digit"),
        (
            "A-KEY: {category: ai}\n",
            "11:3: secret name 'A-KEY' may only hold letters, digits and _",
        ),
        (
            "github_pat: {category: ai}\n",
            "11:3: secret name 'github_pat': GitHub reserves names starting with GITHUB_; "
            "pick another name, e.g. GH_PAT",
        ),
        (
            "a_key: {category: ai}\n",
            "11:3: secret name 'a_key': GitHub stores secret names upper-case; write 'A_KEY'",
        ),
        (
            "A_KEY: {category: ai, env_var: X}\nB_KEY: {category: ai, env_var: X}\n",
            "12:34: env var 'X' is already used by A_KEY (line 11)",
        ),
        (
            "A_KEY: {category: ai, field: x}\nB_KEY: {category: ai, field: x}\n",
            "12:32: settings field 'x' is already used by A_KEY (line 11)",
        ),
        (
            "A: {category: ai, esc_path: sophia.ai.db}\nB: {category: ai, esc_path: sophia.ai.db.password}\n",
            "12:31: ESC path 'sophia.ai.db.password' sits inside 'sophia.ai.db' of A (line 11); "
            "one value cannot also be a mapping",
        ),
        (
            "A_KEY: {category: aii}\n",
            "11:21: unknown category 'aii' (did you mean 'ai'?); the map has: ai, infrastructure",
        ),
        (
            "A_KEY: {category: ai, environments: [production, prod]}\n",
            "11:52: unknown environment 'prod'",
        ),
        (
            "A_KEY: {category: ai, format: openaii}\n",
            "11:33: unknown format 'openaii' (did you mean 'openai'?)",
        ),
        (
            "A_KEY: {category: ai, type: password}\n",
            "11:31: unknown type; use one of: secret, string, url, int, bool, json, pem",
        ),
        (
            "A_KEY: {category: ai, github: {visibility: selected}}\n",
            "11:46: visibility: selected needs a repositories list",
        ),
        (
            "A_KEY: {category: ai, max_age_days: 0}\n",
            "11:39: secrets.A_KEY.max_age_days must be a positive number of days",
        ),
        (
            "A_KEY: {category: ai, max_age_days: -3}\n",
            "11:39: secrets.A_KEY.max_age_days must be a positive number of days",
        ),
        (
            "A_KEY: {esc_path: environmentVariables.a}\n",
            "11:21: esc_path: 'environmentVariables.a' is under 'environmentVariables', which "
            "ESC or secretsync reserves",
        ),
        (
            "A_KEY: {environments: [production]}\n",
            "11:3: secret 'A_KEY' needs a category or an esc_path",
        ),
        (
            "A_KEY: {category: ai, github: {scope: 'repos:x'}}\n",
            "11:41: bad GitHub scope 'repos:x'; use org, repo:<repo> or env:<repo>/<environment>",
        ),
        (
            "A_KEY: {category: ai, field: class}\n",
            "11:32: settings field 'class' is reserved in Python or pydantic; set field:",
        ),
        (
            "A_KEY: {category: ai, required: maybe}\n",
            "11:35: secrets.A_KEY.required: Input should be a valid boolean",
        ),
    ],
)
def test_rule_positions(block: str, expected: str) -> None:
    assert only(block) == expected


def test_names_unique_case_insensitively() -> None:
    found = issues(
        "AB_KEY: {category: ai}\nAb_KEY: {category: ai, esc_path: sophia.ai.x, field: y}\n"
    )
    assert (
        "12:3: secret name 'Ab_KEY' differs from 'AB_KEY' (line 11) only in case; GitHub "
        "treats them as one secret" in found
    )


def test_github_prefix_is_case_insensitive() -> None:
    assert "GitHub reserves names starting with GITHUB_" in only("Github_X: {category: ai}\n")


def test_top_level_and_environment_rules() -> None:
    head = HEAD.replace("  staging: {esc_env: sophia-ai-staging}\n", "  staging: {esc: x}\n")
    found = issues("A_KEY: {category: ai}\n", head)
    assert found == [
        "6:3: missing required key 'esc_env' in environments.staging",
        "6:13: unknown key 'esc' (did you mean 'esc_env'?)",
    ]
    assert only("A_KEY: {category: ai}\n", "colour: red\n" + HEAD) == (
        "1:1: unknown key 'colour'; valid keys here: version, github, esc, environments, "
        "categories, defaults, sync, secrets"
    )
    assert only("A_KEY: {category: ai}\n", HEAD.replace("version: 1", "version: 2")) == (
        "1:10: unsupported map version; this secretsync reads version: 1"
    )
    bad_default = HEAD + "  A_KEY: {category: ai}\ndefaults: {max_age_days: 0}\n"
    with pytest.raises(MapError) as caught:
        parse_map(bad_default, "m.yaml")
    assert [str(i) for i in caught.value.issues] == [
        "m.yaml:12:26: defaults.max_age_days must be a positive number of days"
    ]


def test_yaml_syntax_error_has_position() -> None:
    with pytest.raises(MapError) as caught:
        parse_map("version: 1\nsecrets: [\n", "m.yaml")
    (issue,) = caught.value.issues
    assert (issue.file, issue.line) == ("m.yaml", 3)
    assert issue.message.startswith("invalid YAML")


def test_yes_no_keys_stay_strings() -> None:
    # YAML 1.1 reads ON/NO as booleans; a secret called ON must stay "ON".
    smap = parse_map(HEAD + "  ON: {category: ai}\n", "m.yaml")
    assert list(smap.secrets) == ["ON"]


def test_missing_file_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such map file"):
        load_map(tmp_path / "nope.yaml")


def test_every_issue_is_file_line_column() -> None:
    # Shape problems (pass 2) are all reported together; cross-entry rules run after.
    found = issues("a: {category: zz, type: nope, max_age_days: 0, extra: 1}\n")
    assert len(found) == 3
    assert all(line.split(":")[0].isdigit() and line.split(":")[1].isdigit() for line in found)


def test_path_inside_another_is_found_whatever_sorts_between() -> None:
    # "-" sorts before ".", so app.db-x sits between app.db and app.db.password.
    found = issues(
        "A: {category: ai, esc_path: app.db}\n"
        "B: {category: ai, esc_path: app.db-x}\n"
        "C: {category: ai, esc_path: app.db.password}\n"
    )
    assert found == [
        "13:31: ESC path 'app.db.password' sits inside 'app.db' of A (line 11); "
        "one value cannot also be a mapping"
    ]


def test_two_deploy_environments_cannot_share_an_esc_environment() -> None:
    head = HEAD.replace(
        "staging: {esc_env: sophia-ai-staging}", "staging: {esc_env: sophia-ai-production}"
    )
    assert only("A_KEY: {category: ai}\n", head) == (
        "6:22: ESC environment 'sophia-ai-production' is already the one of 'production' "
        "(line 5); each deploy environment needs its own, or sync and prune would undo each other"
    )


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            'A_KEY: {category: ai, owner: "team\\ntouch /tmp/x"}\n',
            "11:32: secrets.A_KEY.owner: control characters or line breaks are not allowed here",
        ),
        (
            'A_KEY: {category: ai, description: "tab\\there"}\n',
            "11:38: secrets.A_KEY.description: control characters or line breaks are not allowed here",
        ),
    ],
)
def test_control_characters_in_text_are_refused(block: str, expected: str) -> None:
    assert only(block) == expected


def test_names_made_of_dots_are_refused() -> None:
    head = HEAD.replace("sophia-ai-staging", "'..'")
    assert only("A_KEY: {category: ai}\n", head) == (
        "6:22: ESC environment name '..': use letters, digits, -, _ and ."
    )
    assert "bad repository '.'" in only(
        "A_KEY: {category: ai, github: {visibility: selected, repositories: ['.']}}\n"
    )
    assert "ESC project '..'" in only(
        "A_KEY: {category: ai}\n", HEAD.replace("project: default", "project: '..'")
    )
    assert "GitHub organization 'ai--'" in only(
        "A_KEY: {category: ai}\n", HEAD.replace("org: ai-cherry", "org: ai--")
    )
