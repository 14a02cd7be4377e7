"""Values round-trip byte for byte: sync into the emulator, open the environment, compare.

Through both outputs an application sees: the value at its ESC path and the
``environmentVariables`` entry that interpolates it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from map_support import map_head
from sync_support import json_source

from secretsync.clients import EscClient
from secretsync.emulator import Emulator
from secretsync.map.load import parse_map
from secretsync.map.model import SecretMap
from secretsync.sync.apply import SyncOptions, sync_environments

MAP = (
    map_head(staging="app-staging")
    + """\
categories:
  ai: app.ai
secrets:
  FIRST_KEY: {category: ai}
  SECOND_KEY: {category: ai, env_var: SECOND_ENV}
  PEM_KEY: {category: ai, type: pem, esc_path: app.keys.pem}
"""
)
SMAP: SecretMap = parse_map(MAP)
NAMES = ("FIRST_KEY", "SECOND_KEY", "PEM_KEY")

EDGE_CASES = [
    "$",
    "${",
    "${FIRST_KEY}",
    "$$",
    "$${x}",
    "a$b",
    "yes",
    "no",
    "null",
    "~",
    "0123",
    "1e3",
    "true",
    "",
    " ",
    " lead",
    "trail ",
    "\n",
    "a\nb",
    "a\r\nb\r\n",
    "\ttab",
    "é ü 🎉 中文",
    "\u2028\u2029\x85\ufeff",
    "# not a comment",
    "key: value",
    "- item",
    "'single'",
    '"double"',
    "\\backslash",
    "[1, 2]",
    "{a: b}",
    "&anchor",
    "*alias",
    "!tag",
    "%directive",
    "@at",
    "`tick`",
    "|",
    ">",
    "---",
    "...",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n$tuff==\n-----END RSA PRIVATE KEY-----\n",
    "x" * 5000,
]


def _sync_and_open(values: dict[str, str], seed: str) -> dict[str, Any]:
    emu = Emulator()
    emu.seed_esc_environment("acme-esc", "default", "app-staging", seed)
    source = json_source(values)

    async def go() -> dict[str, Any]:
        async with EscClient(
            token="t", base_url="http://127.0.0.1/api/esc", transport=emu.transport()
        ) as esc:
            results = await sync_environments(
                esc, SMAP, ["staging"], source, None, SyncOptions(allow_placeholders=True)
            )
            assert results[0].error is None
            return await esc.open_and_read("acme-esc", "default", "app-staging")

    return asyncio.run(go())


def _check(values: dict[str, str], seed: str = "values: {}\n") -> None:
    opened = _sync_and_open(values, seed)
    for name, value in values.items():
        secret = SMAP.secrets[name]
        node: Any = opened
        for part in secret.esc_path.split("."):
            node = node[part]
        assert node == value, name
        assert opened["environmentVariables"][secret.env_var] == value, name


# A comment in the definition selects the ruamel editor; none, the libyaml node editor.
@pytest.mark.parametrize("seed", ["values: {}\n", "# platform team\nvalues: {}\n"])
@pytest.mark.parametrize("value", EDGE_CASES)
def test_edge_cases_round_trip(value: str, seed: str) -> None:
    _check({"FIRST_KEY": value, "SECOND_KEY": value + "2", "PEM_KEY": "3" + value}, seed)


# Text GitHub can hold: any Unicode scalar value (no lone surrogates, which UTF-8 cannot
# carry, and no NUL, which a secret value cannot contain in GitHub or a process env).
_values = st.text(st.characters(codec="utf-8", blacklist_characters="\x00"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries({name: _values for name in NAMES}),
    st.sampled_from(["values: {}\n", "# platform team\nvalues: {}\n"]),
)
def test_any_values_round_trip(values: dict[str, str], seed: str) -> None:
    _check(values, seed)
