"""Hostile definitions: refused with a 400 and a diagnostic, never expanded or recursed into.

Through the served emulator (real HTTP), as a client would send them; the work each one
costs is counted (nodes built, text made), never timed.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from secretsync.emulator import Emulator, ServedEmulator
from secretsync.emulator.esc_eval import MAX_NESTING, MAX_TEXT, evaluate
from secretsync.emulator.esc_syntax import (
    MAX_DEPTH,
    Mapping,
    Node,
    Sequence,
    parse_definition,
    parse_interpolation,
)

ENV = "/api/esc/environments/acme/proj/dev"


def _alias_bomb(levels: int = 9) -> str:
    lines = ["values:", '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"  a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def _count(node: Node | None) -> int:
    if isinstance(node, Mapping):
        return 1 + sum(1 + _count(v) for _, v in node.entries)
    if isinstance(node, Sequence):
        return 1 + sum(_count(v) for v in node.items)
    return 0 if node is None else 1


@pytest.fixture
def served(secretsync_emulator: Emulator, secretsync_emulator_server: ServedEmulator) -> Any:
    secretsync_emulator.seed_esc_environment("acme", "proj", "dev", "values: {}\n")
    secretsync_emulator.seed_esc_environment("acme", "proj", "other", "values: {a: 1}\n")
    with httpx.Client(
        base_url=secretsync_emulator_server.url, headers={"Authorization": "Bearer t"}
    ) as client:
        yield client


def _patch(client: httpx.Client, text: str) -> httpx.Response:
    return client.patch(ENV, content=text.encode(), headers={"Content-Type": "application/x-yaml"})


def _summaries(response: httpx.Response) -> list[str]:
    return [d["summary"] for d in response.json()["diagnostics"]]


def test_an_alias_bomb_is_refused_without_expanding_it(served: httpx.Client) -> None:
    bomb = _alias_bomb()
    assert len(bomb.encode()) < 600
    response = _patch(served, bomb)
    assert response.status_code == 400
    assert set(_summaries(response)) == {"alias nodes are not supported"}
    # One diagnostic per alias written, one node per node written: 9**9 never appears.
    root, diags = parse_definition(bomb, "proj/dev")
    assert len(diags) == bomb.count("*")
    assert _count(root) < 200
    # Nothing was stored, and the other environment answers as before.
    assert served.get(ENV).text == "values: {}\n"
    assert served.get("/api/esc/environments/acme/proj/other").status_code == 200


def test_block_nesting_past_the_limit_is_a_400(served: httpx.Client) -> None:
    deep = (
        "values:\n" + "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(500)) + "  " * 501 + "x\n"
    )
    response = _patch(served, deep)
    assert response.status_code == 400
    assert _summaries(response) == [f"nested deeper than {MAX_DEPTH} levels"]
    fits = "values:\n" + "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(MAX_DEPTH - 2))
    assert _patch(served, fits + "  " * MAX_DEPTH + "x: 1\n").status_code == 200


def test_deep_json_is_a_400_in_yaml_and_in_from_json(served: httpx.Client) -> None:
    flow = "values:\n  a: " + "[" * 100_000 + "]" * 100_000 + "\n"
    response = _patch(served, flow)
    assert response.status_code == 400  # libyaml's own limit (1,000) answers first here
    assert ["nest" in summary for summary in _summaries(response)] == [True]
    response = _patch(served, "values:\n  a: " + "[" * 500 + "]" * 500 + "\n")
    assert _summaries(response) == [f"nested deeper than {MAX_DEPTH} levels"]
    text = '"' + "[" * 100_000 + "]" * 100_000 + '"'
    response = _patch(served, f"values:\n  a: {{fn::fromJSON: {text}}}\n")
    assert response.status_code == 400
    assert _summaries(response) == [f"fn::fromJSON: the JSON nests deeper than {MAX_DEPTH} levels"]
    shallow = '"' + "[" * 50 + "]" * 50 + '"'
    assert _patch(served, f"values:\n  a: {{fn::fromJSON: {shallow}}}\n").status_code == 200


def test_doubling_interpolation_stops_at_the_text_limit(served: httpx.Client) -> None:
    lines = ["values:", "  a0: xxxxxxxxxxxxxxxx"]
    lines += [f"  a{i}: ${{a{i - 1}}}${{a{i - 1}}}" for i in range(1, 41)]
    response = _patch(served, "\n".join(lines) + "\n")
    assert response.status_code == 400
    assert _summaries(response) == [f"the evaluation makes more than {MAX_TEXT} characters of text"]
    assert _patch(served, "\n".join(lines[:12]) + "\n").status_code == 200


def test_a_long_reference_chain_is_a_400_not_a_crash(served: httpx.Client) -> None:
    # Each value names the next one, so evaluating the first walks the whole chain.
    chain = ["values:"] + [f"  r{i}: ${{r{i + 1}}}" for i in range(2000)] + ["  r2000: end"]
    response = _patch(served, "\n".join(chain) + "\n")
    assert response.status_code == 400
    assert _summaries(response) == [
        f"references, imports or calls nested deeper than {MAX_NESTING}"
    ]
    short = ["values:"] + [f"  r{i}: ${{r{i + 1}}}" for i in range(50)] + ["  r50: end"]
    assert _patch(served, "\n".join(short) + "\n").status_code == 200


def test_interpolation_of_a_long_value() -> None:
    value = "ab$$c" * 200_000 + "${x.y}" + "$" * 3
    parts = parse_interpolation(value)
    assert parts[0] == ("ab$c" * 200_000, ["x", "y"])
    assert parts[1] == ("$$", None)  # "$$" is one "$", a lone "$" is itself


def test_a_megabyte_secret_round_trips(served: httpx.Client) -> None:
    big = "v$" * 500_000
    assert _patch(served, f'values:\n  big: {{fn::secret: "{big}"}}\n').status_code == 200
    decrypted = served.get(ENV + "/decrypt").text
    _, diags = parse_definition(decrypted, "proj/dev")
    assert not diags
    value, _ = evaluate("proj/dev", decrypted, lambda _ref: None, lambda c: c)
    assert value.value["big"].value == big
