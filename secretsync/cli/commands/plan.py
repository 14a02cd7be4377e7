"""``secretsync plan``: what ``sync`` would change, with fingerprints instead of values."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Sequence

from rich.table import Table

from secretsync.cli.app import App
from secretsync.cli.commands import sync as sync_command
from secretsync.cli.options import add_format, add_output
from secretsync.cli.progress import Board, progress
from secretsync.sync.apply import plan_environments
from secretsync.sync.plan import Action, EnvPlan

__all__ = ["register", "render_json", "render_text", "run"]

_MARKS = {
    Action.ADD: "+",
    Action.CHANGE: "~",
    Action.REFRESH: "*",
    Action.UNCHANGED: "=",
    Action.DELETE: "-",
    Action.ORPHAN: "?",
    Action.MISSING: "!",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="show what sync would change (values masked)",
        description="Compare the values source with the ESC environments; write nothing.",
    )
    sync_command.add_sync_flags(parser)
    add_format(parser, ("table", "json"))
    add_output(parser)
    parser.add_argument("--exit-code", action="store_true", help="exit 1 when changes are pending")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    job = sync_command.prepare(args, app)
    with progress(app, args.output) as board:
        plans = asyncio.run(_plan(job, app, board))
    if args.format == "json":
        app.write_output(json.dumps(render_json(plans), indent=2), args.output)
    elif args.output is None and app.stdout.isatty():
        for plan in plans:
            app.out.print(_table(plan))
            app.out.print(_summary_line(plan), markup=False)
    else:
        app.write_output(render_text(plans), args.output)
    sync_command.warn_once(app, plans)
    for plan in plans:
        for refusal in (*plan.blocked, *plan.refusals):
            app.info(f"{plan.environment}: sync would refuse: {refusal}")
    pending = any(plan.needs_write for plan in plans)
    return 1 if args.exit_code and pending else 0


async def _plan(job: sync_command.Job, app: App, board: Board) -> list[EnvPlan]:
    async with sync_command.esc_client(app) as esc:
        await sync_command.resolve_shard(job, app)
        github = board.task("GitHub: reading when each secret was updated")
        times = await sync_command.read_github_times(job, app)
        github.done()
        esc_task = board.task(f"ESC: reading {', '.join(job.environments)}")
        plans = await plan_environments(
            esc, job.smap, job.environments, job.source, times, job.options
        )
        esc_task.done()
        return plans


def render_json(plans: Sequence[EnvPlan]) -> dict[str, object]:
    return {
        "schema": "secretsync/plan/v1",
        "pending": any(plan.needs_write for plan in plans),
        "environments": [plan.as_json() for plan in plans],
    }


def render_text(plans: Sequence[EnvPlan]) -> str:
    """Plain lines for pipes and files: one per path, then a summary per environment."""
    lines: list[str] = []
    for plan in plans:
        lines.append(f"{plan.environment} -> {plan.esc_ref}")
        name_width = max((len(item.secret) for item in plan.items), default=0)
        path_width = max((len(item.esc_path) for item in plan.items), default=0)
        for item in plan.items:
            note = f"  ({item.note})" if item.note else ""
            lines.append(
                f"  {_MARKS[item.action]} {item.action.value:<10}{item.secret:<{name_width}}  "
                f"{item.esc_path:<{path_width}}  {_change(item.old, item.new)}{note}".rstrip()
            )
        lines.extend(f"  refused: {refusal}" for refusal in (*plan.blocked, *plan.refusals))
        lines.append("  " + _summary_line(plan))
    return "\n".join(lines)


def _table(plan: EnvPlan) -> Table:
    table = Table(title=f"{plan.environment} -> {plan.esc_ref}", title_justify="left")
    for column in ("", "action", "secret", "ESC path", "env var", "value", "note"):
        table.add_column(column)
    for item in plan.items:
        table.add_row(
            _MARKS[item.action],
            item.action.value,
            item.secret,
            item.esc_path,
            item.env_var,
            _change(item.old, item.new),
            item.note,
        )
    for refusal in (*plan.blocked, *plan.refusals):
        table.add_row("x", "refused", refusal, "", "", "", "")
    return table


def _change(old: str | None, new: str | None) -> str:
    if old and new and old != new:
        return f"{old} -> {new}"
    return new or old or ""


def _summary_line(plan: EnvPlan) -> str:
    counts = plan.summary()
    parts = [
        f"{counts['add']} to add",
        f"{counts['change']} to change",
        f"{counts['delete']} to delete",
        f"{counts['refresh']} to refresh",
        f"{counts['unchanged']} unchanged",
    ]
    if counts["missing"]:
        parts.append(f"{counts['missing']} missing from the source")
    if counts["orphan"]:
        parts.append(f"{counts['orphan']} orphaned (--prune deletes)")
    return ", ".join(parts)
