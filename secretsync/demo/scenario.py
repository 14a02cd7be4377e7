"""The demo's made-up organization: who plays which part, and the state it starts from.

:func:`build_scenario` casts secrets of the map into the parts the demo needs (a placeholder
that reached ESC long ago, a stale secret, one rotated in GitHub after the last sync, one not
in GitHub yet, and a secret the map dropped whose ESC path sync still manages) and makes up
every value for this run. :func:`seed` puts GitHub and ESC in that state, as an earlier sync
would have left ESC. The docs tests seed the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

from secretsync.cli.app import App
from secretsync.clients.github import scope_of
from secretsync.demo import values as demo_values
from secretsync.emulator import Emulator
from secretsync.emulator.providers import ProviderFacet
from secretsync.errors import ConfigError
from secretsync.map.model import Secret, SecretMap
from secretsync.sync.definition import EscDefinition, ManagedEntry, format_timestamp

__all__ = [
    "LAST_SYNC_DAYS_AGO",
    "Scenario",
    "build_scenario",
    "demo_map_path",
    "live_credentials",
    "seed",
]

LAST_SYNC_DAYS_AGO = 12


def demo_map_path(app: App) -> Path:
    """``--map``, else the map shipped with secretsync.

    Not the map a repository has (found upward, or ``$SECRETSYNC_MAP``): that map is a
    team's real one, which the demo's scenario (four org-scope secrets to cast as the
    placeholder, the stale, the rotated and the new one) may not fit; a newcomer trying the
    demo inside their own repository should see the demo, not a casting error.
    """
    if app.map_option is not None:
        return app.map_option
    return packaged_map_path()


def packaged_map_path() -> Path:
    """The demo's map as installed with the package (a copy of config/secret_map.yaml)."""
    return Path(str(resources.files("secretsync") / "data" / "demo_map.yaml"))


@dataclass(frozen=True)
class Scenario:
    """What the demo seeds: every value (fake, this run only) and the problems to find."""

    smap: SecretMap
    values: dict[str, str] = field(repr=False)  # GitHub secret name -> value in GitHub
    updated_at: dict[str, datetime]  # GitHub secret name -> its updated_at
    placeholder: str  # in GitHub and in ESC since before the last sync
    stale: str  # older than its max_age_days
    rotated: str  # changed in GitHub after the last sync
    new: str  # in the map, not yet in GitHub
    orphan: str  # a secret the map dropped; sync still manages its ESC path
    orphan_path: str
    old_values: dict[str, str] = field(default_factory=dict, repr=False)  # ESC's instead
    fixes: dict[str, str] = field(default_factory=dict, repr=False)  # the demo pushes these
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    #: A credential its provider no longer accepts (verify catches it); None when the map
    #: has no other verifiable secret to cast. Its replacement is in ``fixes``.
    revoked: str | None = None

    def all_values(self) -> list[str]:
        """Every value the demo knows, for the redactor and the leak tests."""
        return [*self.values.values(), *self.old_values.values(), *self.fixes.values()]


def build_scenario(smap: SecretMap, rng: random.Random | None = None) -> Scenario:
    """Pick the secrets that play each part and make up their values."""
    rng = rng or random.SystemRandom()
    everywhere = set(smap.environments)
    cast = [
        s
        for s in smap.secrets.values()
        if s.type == "secret"
        and s.required
        and s.github.scope == "org"
        and set(s.environments) == everywhere
    ]
    if len(cast) < 4:
        raise ConfigError(
            f"{smap.path}: the demo needs 4 required org-scope secrets of type secret mapped "
            "into every environment",
            hint="run `secretsync demo` without --map to use the shipped map",
        )
    placeholder = next((s for s in cast if s.format == "openai"), cast[0])
    rest = [s for s in cast if s is not placeholder]
    rotated, stale, new = rest[0], rest[1], rest[-1]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    values = {s.name: demo_values.fake_value(s, rng) for s in smap.secrets.values()}
    values[placeholder.name] = demo_values.placeholder_for(placeholder)
    updated = {}
    for s in smap.secrets.values():
        # Fine secrets: set between the last sync and their age limit.
        oldest = max(LAST_SYNC_DAYS_AGO + 2, min(80, (s.max_age_days or 90) - 1))
        updated[s.name] = now - timedelta(days=rng.randint(LAST_SYNC_DAYS_AGO + 1, oldest))
    updated[stale.name] = now - timedelta(days=(stale.max_age_days or 90) + 110)
    updated[rotated.name] = now - timedelta(days=2)
    del values[new.name], updated[new.name]
    cast_names = {placeholder.name, rotated.name, stale.name, new.name}
    revoked = _revoked(smap, [s for s in smap.secrets.values() if s.name not in cast_names])
    orphan = next(n for n in ("COHERE_API_KEY", "RETIRED_API_KEY") if n not in smap.secrets)
    prefix = placeholder.esc_path.rsplit(".", 1)[0]
    return Scenario(
        smap=smap,
        values=values,
        updated_at=updated,
        placeholder=placeholder.name,
        stale=stale.name,
        rotated=rotated.name,
        new=new.name,
        orphan=orphan,
        orphan_path=f"{prefix}.{orphan.lower()}",
        old_values={
            rotated.name: demo_values.fake_value(rotated, rng),
            orphan: demo_values.fake_value(placeholder, rng),
        },
        fixes={
            new.name: demo_values.fake_value(new, rng),
            placeholder.name: demo_values.fake_value(placeholder, rng),
            **({revoked.name: demo_values.fake_value(revoked, rng)} if revoked else {}),
        },
        now=now,
        revoked=revoked.name if revoked else None,
    )


def _revoked(smap: SecretMap, candidates: list[Secret]) -> Secret | None:
    """The credential to revoke: org-scope, every environment, a format verify can ask
    about; a Pulumi token first (the seeds' first root cause was an expired one)."""
    everywhere = set(smap.environments)
    fit = [
        s
        for s in candidates
        if s.type == "secret"
        and s.github.scope == "org"
        and set(s.environments) == everywhere
        and s.format
        and ProviderFacet.knows(s.format)
    ]
    return next((s for s in fit if s.format == "pulumi"), fit[0] if fit else None)


def live_credentials(sc: Scenario) -> dict[str, list[str]]:
    """What each provider facet accepts: every value the scenario holds, except the
    revoked credential's current value (its fix is live: the provider issued it)."""
    live: dict[str, list[str]] = {}
    revoked_value = sc.values.get(sc.revoked) if sc.revoked else None
    for name, value in [*sc.values.items(), *sc.old_values.items(), *sc.fixes.items()]:
        secret = sc.smap.secrets.get(name)
        fmt = secret.format if secret else None
        if fmt and ProviderFacet.knows(fmt) and value != revoked_value:
            live.setdefault(ProviderFacet.provider_name(fmt), []).append(value)
    return live


def seed(emu: Emulator, sc: Scenario) -> None:
    """GitHub as the organization has it; ESC as a sync 12 days ago left it; the providers
    accepting every credential but the revoked one."""
    smap = sc.smap
    for repo in smap.sync_repositories:  # the sync workflow's repository sees the secrets
        emu.add_repository(smap.github_org, repo)
    emu.providers.configure({name: {"live": values} for name, values in
                             live_credentials(sc).items()})  # fmt: skip
    for name, value in sc.values.items():
        secret = smap.secrets[name]
        target = secret.github
        emu.seed_github_secret(
            scope_of(target, smap.github_org).path,
            name,
            value,
            updated_at=sc.updated_at[name],
            visibility=target.visibility or "private",
            repositories=target.repositories or (),
        )
    synced_at = format_timestamp(sc.now - timedelta(days=LAST_SYNC_DAYS_AGO))
    for env in smap.environments:
        definition = EscDefinition.parse("values: {}\n")
        for secret in smap.secrets_for(env):
            if secret.name == sc.new:
                continue
            value = sc.old_values.get(secret.name, sc.values[secret.name])
            github_time = sc.updated_at[secret.name]
            if secret.name == sc.rotated:
                github_time = sc.now - timedelta(days=LAST_SYNC_DAYS_AGO + 30)
            _record(definition, secret.esc_path, secret.env_var, value)
            definition.set_managed(
                secret.esc_path,
                ManagedEntry(secret.name, secret.env_var, synced_at, format_timestamp(github_time)),
            )
        _record(definition, sc.orphan_path, sc.orphan, sc.old_values[sc.orphan])
        definition.set_managed(
            sc.orphan_path, ManagedEntry(sc.orphan, sc.orphan, synced_at, synced_at)
        )
        esc_env = smap.environments[env].esc_env
        emu.seed_esc_environment(smap.esc_org, smap.esc_project, esc_env, definition.dump())


def _record(definition: EscDefinition, path: str, env_var: str, value: str) -> None:
    definition.set_secret(path, value)
    definition.set_env_var(env_var, path)
