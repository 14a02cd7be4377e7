"""``secretsync sync``: write mapped values into ESC, one read and one write per environment.

Also holds what ``plan`` shares with it: the flags, loading the map and the source, and
asking GitHub for each secret's ``updated_at`` when a token is available.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from secretsync.cli.app import App
from secretsync.cli.options import (
    add_environments,
    add_format,
    add_output,
    add_source,
    selected_environments,
)
from secretsync.cli.progress import progress
from secretsync.clients import esc_from_env, github_from_env
from secretsync.errors import ConfigError, CredentialsError, UsageError
from secretsync.shards import owner_of, plan_shards, read_arrangement, shard_members
from secretsync.sync.apply import (
    EnvResult,
    ShardFilter,
    SyncOptions,
    github_times,
    sync_environments,
)
from secretsync.sync.apply import (
    Progress as ProgressFn,
)
from secretsync.sync.plan import EnvPlan
from secretsync.sync.sources import ORG_SECRET_LIMIT, SourceValues, load_source

if TYPE_CHECKING:
    from secretsync.clients import EscClient
    from secretsync.map.model import SecretMap

__all__ = [
    "Job",
    "add_sync_flags",
    "esc_client",
    "prepare",
    "read_github_times",
    "register",
    "resolve_shard",
    "warn_once",
]


@dataclass
class Job:
    """Everything plan and sync need before talking to a service."""

    smap: SecretMap
    environments: list[str]
    source: SourceValues
    options: SyncOptions
    shard: str | None = None


def add_sync_flags(parser: argparse.ArgumentParser) -> None:
    add_environments(parser)
    add_source(parser)
    parser.add_argument(
        "--prune", action="store_true", help="delete managed paths the map no longer has"
    )
    parser.add_argument(
        "--max-deletes",
        type=int,
        default=5,
        metavar="N",
        help="refuse to prune more than N paths per environment (default: 5)",
    )
    parser.add_argument(
        "--allow-placeholders",
        action="store_true",
        help="write placeholder and empty values instead of refusing",
    )
    parser.add_argument(
        "--shard",
        metavar="REPO",
        default=None,
        help="only the secrets assigned to this sync repository (see `secretsync shards`); "
        "--prune then only considers that shard's paths",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="write mapped values into the ESC environments",
        description="Write every mapped value from the source into its ESC environment.",
    )
    add_sync_flags(parser)
    add_format(parser, ("table", "json"))
    add_output(parser)
    parser.set_defaults(run=run)


def prepare(args: argparse.Namespace, app: App) -> Job:
    """Map, environments and source, checked; the mapped values join the redactor."""
    if args.max_deletes < 0:
        raise UsageError("--max-deletes must be 0 or more")
    smap = app.load_map()
    shard = _shard_name(args.shard, smap)
    environments = selected_environments(args, list(smap.environments))
    source = load_source(args.source, app.environ, app.stdin)
    chosen = {s.name: s for env in environments for s in smap.secrets_for(env)}
    mapped = set(chosen)
    for warning in source.withheld_warnings(mapped):
        app.info(f"warning: {warning}")
    # Only credentials (type secret or pem): redacting a common setting such as `true`
    # would rewrite every place it appears in the output, JSON included.
    app.redactor.add_secrets(
        v for name, v in source.values.items() if name in chosen and chosen[name].is_sensitive
    )
    if source.looks_truncated and any(source.get(name) is None for name in mapped):
        app.info(
            f"warning: {source.origin} holds {len(source.values)} names and some mapped "
            f"secrets are missing; a workflow sees only the first {ORG_SECRET_LIMIT} "
            "organization secrets, so the source may be cut off"
        )
    options = SyncOptions(
        prune=args.prune,
        max_deletes=args.max_deletes,
        allow_placeholders=args.allow_placeholders,
    )
    return Job(smap, environments, source, options, shard)


def _shard_name(given: str | None, smap: SecretMap) -> str | None:
    """``--shard`` as the map spells it; a repository the map does not list is a usage
    error (GitHub compares repository names without regard to case)."""
    if given is None:
        return None
    found = next((r for r in smap.sync_repositories if r.lower() == given.lower()), None)
    if found is None:
        listed = ", ".join(smap.sync_repositories) or "none"
        raise UsageError(
            f"--shard {given}: not one of the map's sync.repositories ({listed})",
            hint="each shard's workflow passes its own repository name",
        )
    return found


async def resolve_shard(job: Job, app: App) -> None:
    """Narrow ``job`` to its shard: the assignment ``secretsync shards`` computes, read
    from GitHub's metadata (so every shard agrees on who syncs what)."""
    if job.shard is None:
        return
    try:
        gh = github_from_env(app.environ, transport=app.transport, redactor=app.redactor)
    except CredentialsError as exc:
        raise ConfigError(
            f"--shard needs GitHub's metadata to know its share: {exc.message}",
            hint="set GH_TOKEN (in the workflow: a token that can read organization secrets)",
        ) from None
    async with gh:
        arrangement = await read_arrangement(gh, job.smap)
    plan = plan_shards(job.smap, arrangement)
    repo, smap = job.shard, job.smap
    job.options = replace(
        job.options,
        shard=ShardFilter(
            repo,
            shard_members(smap, plan, repo),
            lambda name: owner_of(smap, plan, name) == repo,
        ),
    )


def esc_client(app: App) -> EscClient:
    return esc_from_env(app.environ, transport=app.transport, redactor=app.redactor)


async def read_github_times(job: Job, app: App) -> Mapping[str, str | None] | None:
    """GitHub's ``updated_at`` per secret, or None (said once) when there is no token."""
    try:
        gh = github_from_env(app.environ, transport=app.transport, redactor=app.redactor)
    except CredentialsError:
        app.info("no GitHub token: github_updated_at is recorded as null (drift not tracked)")
        return None
    secrets = {s.name: s for env in job.environments for s in job.smap.secrets_for(env)}
    async with gh:
        times, warnings = await github_times(gh, job.smap, list(secrets.values()))
    for warning in warnings:
        app.info(f"warning: {warning}")
    return times


def warn_once(app: App, plans: Iterable[EnvPlan]) -> None:
    """Each plan warning once, however many environments raised it."""
    seen: set[str] = set()
    for plan in plans:
        for warning in plan.warnings:
            if warning not in seen:
                seen.add(warning)
                app.info(f"warning: {warning}")


def run(args: argparse.Namespace, app: App) -> int:
    job = prepare(args, app)
    results = asyncio.run(_sync(job, app))
    warn_once(app, (result.plan for result in results))
    if args.format == "json":
        document = {
            "schema": "secretsync/sync/v1",
            "environments": [_result_json(result) for result in results],
        }
        app.write_output(json.dumps(document, indent=2), args.output)
    else:
        app.write_output("\n".join(_result_line(result) for result in results), args.output)
    failed = False
    for result in results:
        if result.error is not None:
            failed = True
            _error(app, f"error: {result.plan.environment}: {result.error.message}")
        for item in result.plan.missing_required:
            failed = True
            _error(
                app,
                f"{result.plan.environment}: {item.secret} is not in the source; "
                "left as it is in ESC",
            )
    return 1 if failed else 0


def _error(app: App, line: str) -> None:
    """A problem line on stderr, shown even with -q."""
    app.stderr.write(app.redactor.redact(line) + "\n")


async def _sync(job: Job, app: App) -> list[EnvResult]:
    async with esc_client(app) as esc:  # no Pulumi token: fail before asking GitHub
        await resolve_shard(job, app)  # which secrets are this shard's: before any plan
        with _progress(app, job.environments) as notify:
            # GitHub is asked while the environments are read: one round trip, not two.
            times = read_github_times(job, app)
            return await sync_environments(
                esc, job.smap, job.environments, job.source, times, job.options, notify
            )


@contextmanager
def _progress(app: App, environments: Sequence[str]) -> Iterator[ProgressFn | None]:
    """A line per environment on a terminal (reading, writing, done); nothing when piped."""
    with progress(app) as board:
        if not board.live:
            yield None
            return
        tasks = {env: board.task(f"{env}: reading") for env in environments}

        def notify(env: str, stage: str) -> None:
            for name, task in tasks.items():
                if env in ("*", name) and stage == "read":
                    task.update(f"{name}: writing")
                elif env == name and stage == "done":
                    task.done(f"{name}: done")

        yield notify


def _result_line(result: EnvResult) -> str:
    plan = result.plan
    if result.error is not None:
        return f"{plan.environment}: failed"
    if not result.written:
        return f"{plan.environment}: up to date, nothing written"
    counts = plan.summary()
    tries = "" if result.attempts == 1 else f" after {result.attempts} attempts"
    if result.other_writes:
        tries += f" ({result.other_writes} changes by another writer meanwhile)"
    return (
        f"{plan.environment}: wrote {counts['add']} added, {counts['change']} changed, "
        f"{counts['delete']} deleted, {counts['refresh']} refreshed{tries}"
    )


def _result_json(result: EnvResult) -> dict[str, object]:
    document = result.plan.as_json()
    document["written"] = result.written
    document["attempts"] = result.attempts
    document["other_writes"] = result.other_writes
    document["error"] = result.error.message if result.error else None
    document["missing_required"] = [i.secret for i in result.plan.missing_required]
    return document
