"""Secret-map text the tests share: the header every map opens with, and writing one out.

Each test still spells out its own ``categories:`` and ``secrets:`` below the header, so
what a test checks stays readable where it is checked. The composed text is byte for byte
what the tests used to inline: line numbers asserted in map errors do not move.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ACME_HEAD", "SOPHIA_HEAD", "map_head", "write_map"]


def map_head(github_org: str = "acme", esc_org: str = "acme-esc", **esc_envs: str) -> str:
    """``version`` to ``environments`` (deploy environment -> ESC environment, in order)."""
    lines = [
        "version: 1",
        f"github: {{org: {github_org}}}",
        f"esc: {{org: {esc_org}, project: default}}",
        "environments:",
        *(f"  {env}: {{esc_env: {name}}}" for env, name in esc_envs.items()),
    ]
    return "\n".join(lines) + "\n"


# The emulator-backed sync, plan and push tests: org acme, ESC acme-esc/default.
ACME_HEAD = map_head(production="app-production", staging="app-staging")
# The map, settings and codegen tests: shaped like the shipped config/secret_map.yaml.
SOPHIA_HEAD = map_head(
    "ai-cherry",
    "scoobyjava-org",
    production="sophia-ai-production",
    staging="sophia-ai-staging",
)


def write_map(folder: Path, text: str) -> Path:
    """``folder/secret_map.yaml`` holding ``text`` (UTF-8)."""
    path = folder / "secret_map.yaml"
    path.write_text(text, encoding="utf-8")
    return path
