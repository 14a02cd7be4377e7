"""``secretsync shards``: which sync repository syncs which organization secret, and the
visibility changes that get each workflow its share (``--apply`` makes them)."""

from __future__ import annotations

import argparse
import asyncio
import json

from secretsync.cli.app import App
from secretsync.cli.options import add_format, add_output, add_source
from secretsync.clients import github_from_env
from secretsync.errors import ConfigError, UsageError
from secretsync.shards import (
    ORG_SECRET_LIMIT,
    Arrangement,
    ShardPlan,
    plan_shards,
    read_arrangement,
)
from secretsync.shards.apply import ApplyReport, apply_shards, values_needed
from secretsync.sync.sources import SourceValues, load_source

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "shards",
        help="assign organization secrets to the sync repositories (at most 100 each)",
        description=(
            "A workflow sees only the first 100 organization secrets available to its "
            "repository, sorted by name. Assign every mapped organization secret to one of "
            "the map's sync.repositories, at most --max per repository, and list the "
            "visibility changes that give each sync workflow exactly its share. Every other "
            "repository keeps the access it has.\n\n"
            "--apply makes the changes through GitHub's selected-repositories API, paced "
            "like push. A secret visible to all or private repositories becomes selected; "
            "GitHub's API rewrites the value with that change, so those values come from "
            "--source, judged as push judges them."
        ),
    )
    parser.add_argument(
        "--max",
        type=int,
        default=ORG_SECRET_LIMIT,
        metavar="N",
        help=f"organization secrets per sync repository (1 to {ORG_SECRET_LIMIT}; default "
        f"{ORG_SECRET_LIMIT})",
    )
    parser.add_argument(
        "--apply", action="store_true", help="make the changes (after showing them)"
    )
    add_source(parser)
    add_format(parser, ("table", "json"))
    add_output(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    if not 1 <= args.max <= ORG_SECRET_LIMIT:
        raise UsageError(
            f"--max must be between 1 and {ORG_SECRET_LIMIT}: a workflow sees at most "
            f"{ORG_SECRET_LIMIT} organization secrets"
        )
    smap = app.load_map()
    if not smap.sync_repositories:
        raise ConfigError(
            f"{smap.path}: the map names no sync repositories",
            hint="add `sync: {repositories: [secrets-sync]}` (one per shard) to the map",
        )

    async def go() -> tuple[ShardPlan, ApplyReport | None]:
        async with github_from_env(
            app.environ, transport=app.transport, redactor=app.redactor
        ) as gh:
            arrangement = await read_arrangement(gh, smap, repositories=True)
            plan = plan_shards(smap, arrangement, args.max)
            if not args.apply or not plan.changes:
                return plan, None
            source = _source(args, app, plan)
            _show(app, args, plan, arrangement)  # the plan first, then the change
            return plan, await apply_shards(gh, smap, plan, arrangement, source)

    plan, report = asyncio.run(go())
    if report is None:
        _show(app, args, plan, None)
    for problem in plan.problems:
        app.stderr.write(f"error: {problem}\n")
    for name in plan.missing:
        app.info(
            f"{name} is not in GitHub yet: create it with visibility selected for "
            f"{plan.shard_of(name)}"
        )
    for name, repos in sorted(plan.shared.items()):
        app.info(
            f"warning: {name} is selected for several sync repositories ({', '.join(repos)}); "
            "shards never removes access, so each of them counts it"
        )
    if report is not None:
        app.info(f"applied {len(report.applied)} of {len(plan.changes)} changes")
        if report.error is not None:
            app.stderr.write(
                app.redactor.redact(
                    f"error: changing {report.failed} failed after {len(report.applied)} "
                    f"changes; the rest were not attempted: {report.error.message}"
                )
                + "\n"
            )
            return 1
    return 1 if plan.problems else 0


def _source(args: argparse.Namespace, app: App, plan: ShardPlan) -> SourceValues | None:
    """The values of secrets whose visibility change rewrites them; redacted from output."""
    if not values_needed(plan):
        return None
    source = load_source(args.source, app.environ, app.stdin)
    smap = app.load_map()
    # Only credentials (secret, pem, url): a setting such as `true` would be scrubbed out
    # of every place it appears.
    app.redactor.add_secrets(
        value
        for name, value in source.values.items()
        if name in smap.secrets and smap.secrets[name].is_sensitive
    )
    return source


def _show(
    app: App, args: argparse.Namespace, plan: ShardPlan, arrangement: Arrangement | None
) -> None:
    if args.format == "json":
        app.write_output(json.dumps(plan.as_json(), indent=2), args.output)
        return
    lines = []
    for repo in plan.repositories:
        lines.append(
            f"{repo}: {len(plan.shards[repo])} mapped secrets, sees "
            f"{plan.seen.get(repo, 0)} of at most {plan.limit} organization secrets"
        )
    for change in plan.changes:
        gained = ", ".join(change.add_repositories[:4]) + (
            f" and {len(change.add_repositories) - 4} more"
            if len(change.add_repositories) > 4
            else ""
        )
        hidden = (
            f"; no longer seen by {', '.join(change.hidden_from)}" if change.hidden_from else ""
        )
        how = " (rewrites the value)" if change.rewrites_value else ""
        lines.append(f"  {change.secret}: {change.was} -> selected for {gained}{hidden}{how}")
    pending = len(plan.changes)
    lines.append(
        f"{pending} visibility changes" + ("" if pending else ": every workflow sees its share")
    )
    app.write_output("\n".join(lines), args.output)
