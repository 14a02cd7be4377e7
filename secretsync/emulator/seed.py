"""Start an emulator holding everything a secret map names, so ``push`` and ``sync`` work
against it with no other set-up: the GitHub organization, every repository and deployment
environment of the map's GitHub scopes (and the repositories of ``selected`` visibility),
and every ESC environment of the map, empty. No secret values: those are the user's.

Organizations need no creating (the emulator knows any it is asked about); repositories
and environments do, as on GitHub. ESC environments do too: ``sync`` never creates one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secretsync.emulator.app import Emulator
    from secretsync.map.model import SecretMap

__all__ = ["Seeded", "seed_from_map"]


@dataclass
class Seeded:
    """What a map seeded: names as the services spell them, in map order."""

    smap: SecretMap = field(repr=False)
    github_org: str
    repositories: list[str] = field(default_factory=list)  # owner/name
    environments: list[str] = field(default_factory=list)  # owner/name:environment
    esc_environments: list[str] = field(default_factory=list)  # org/project/name

    def lines(self) -> list[str]:
        """One line per kind, for a person reading the emulator's start-up."""
        out = [f"seeded GitHub organization {self.github_org}"]
        if self.repositories:
            out.append(f"seeded GitHub repositories: {', '.join(self.repositories)}")
        if self.environments:
            out.append(f"seeded GitHub environments: {', '.join(self.environments)}")
        if self.esc_environments:
            out.append(f"seeded ESC environments (empty): {', '.join(self.esc_environments)}")
        return out


def _add(items: list[str], item: str) -> None:
    if item.lower() not in (i.lower() for i in items):
        items.append(item)


def seed_from_map(emulator: Emulator, smap: SecretMap | Path | str) -> Seeded:
    """Create what ``smap`` (a loaded map or a map file) names; existing things are kept.

    Raises ``secretsync.errors.MapError`` for a map file that does not validate."""
    if isinstance(smap, (str, Path)):
        from secretsync.map.load import load_map

        smap = load_map(Path(smap))
    org = smap.github_org
    seeded = Seeded(smap, org)
    emulator.add_organization(org)
    for secret in smap.secrets.values():
        target = secret.github
        if target.scope in ("repo", "env") and target.repo:
            _add(seeded.repositories, f"{org}/{target.repo}")
            if target.scope == "env" and target.environment:
                _add(seeded.environments, f"{org}/{target.repo}:{target.environment}")
        for repo in target.repositories:
            _add(seeded.repositories, repo if "/" in repo else f"{org}/{repo}")
    for repo in smap.sync_repositories:  # where the sync workflows run (issue 18)
        _add(seeded.repositories, f"{org}/{repo}")
    for full_name in seeded.repositories:
        owner, repo = full_name.split("/", 1)
        emulator.add_repository(owner, repo)
    for item in seeded.environments:
        full_name, environment = item.split(":", 1)
        owner, repo = full_name.split("/", 1)
        emulator.add_environment(owner, repo, environment)
    for env_name in smap.environments:
        ref = smap.esc_ref(env_name)
        if ref not in seeded.esc_environments:
            seeded.esc_environments.append(ref)
            esc_org, project, name = ref.split("/", 2)
            emulator.create_esc_environment(esc_org, project, name)
    return seeded
