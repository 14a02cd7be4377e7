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
from secretsync.cli.tables import Column, fitted_table
from secretsync.sync.apply import plan_environments
from secretsync.sync.plan import Action, EnvPlan, PlanItem

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
        description=(
            "Compare the values source with the ESC environments and write nothing. Lists "
            "what sync would change (add, change, delete, refresh, orphan, missing) and "
            "counts the unchanged; --show-unchanged lists those too, and the JSON always "
            "holds every item. Values show as fingerprints (fp:...): equal fingerprints in "
            "one run mean equal values, but they are keyed per run, so the same value gets "
            "a different fingerprint next time, and a printed one cannot be checked against "
            "a guess."
        ),
    )
    sync_command.add_sync_flags(parser)
    add_format(parser, ("table", "json"))
    add_output(parser)
    parser.add_argument("--exit-code", action="store_true", help="exit 1 when changes are pending")
    parser.add_argument(
        "--show-unchanged",
        action="store_true",
        help="also list the secrets that would stay as they are (counted either way)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    job = sync_command.prepare(args, app)
    with progress(app, args.output) as board:
        plans = asyncio.run(_plan(job, app, board))
    if args.format == "json":
        app.write_output(json.dumps(render_json(plans), indent=2), args.output)
    elif args.output is None and app.interactive:
        for plan in plans:
            app.out.print(_table(plan, args.show_unchanged, app.out.width))
            app.out.print(_summary_line(plan), markup=False, soft_wrap=False)
        if _shows_fingerprints(plans, args.show_unchanged):
            app.out.print(FINGERPRINT_NOTE, markup=False, style="dim", soft_wrap=False)
    else:
        app.write_output(render_text(plans, show_unchanged=args.show_unchanged), args.output)
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


FINGERPRINT_NOTE = (
    "fp:... are fingerprints, keyed per run: equal within this output means equal values; "
    "the same value gets another fingerprint in the next run (by design)"
)


def _listed(plan: EnvPlan, show_unchanged: bool) -> list[PlanItem]:
    """What a human is shown: what changes, and the unchanged only when asked for."""
    return [i for i in plan.items if show_unchanged or i.action is not Action.UNCHANGED]


def _shows_fingerprints(plans: Sequence[EnvPlan], show_unchanged: bool = True) -> bool:
    return any(i.old or i.new for plan in plans for i in _listed(plan, show_unchanged))


def render_text(plans: Sequence[EnvPlan], *, show_unchanged: bool = False) -> str:
    """Plain lines for pipes and files: one per path that changes (every path with
    ``show_unchanged``), then a summary per environment."""
    lines: list[str] = []
    for plan in plans:
        lines.append(f"{plan.environment} -> {plan.esc_ref}")
        items = _listed(plan, show_unchanged)
        name_width = max((len(item.secret) for item in items), default=0)
        path_width = max((len(item.esc_path) for item in items), default=0)
        for item in items:
            note = f"  ({item.note})" if item.note else ""
            lines.append(
                f"  {_MARKS[item.action]} {item.action.value:<10}{item.secret:<{name_width}}  "
                f"{item.esc_path:<{path_width}}  {_change(item.old, item.new)}{note}".rstrip()
            )
        lines.extend(f"  refused: {refusal}" for refusal in (*plan.blocked, *plan.refusals))
        lines.append("  " + _summary_line(plan))
    if _shows_fingerprints(plans, show_unchanged):
        lines.append(FINGERPRINT_NOTE)
    return "\n".join(lines)


def _table(plan: EnvPlan, show_unchanged: bool, width: int) -> Table:
    columns = (
        Column("", whole=True, keep_empty=True),
        Column("action", whole=True, keep_empty=True),
        Column("secret", whole=True, keep_empty=True),
        Column("ESC path", whole=True),
        Column("env var", whole=True),
        Column("value"),
        Column("note"),
    )
    rows = [
        (
            _MARKS[item.action],
            item.action.value,
            item.secret,
            item.esc_path,
            item.env_var,
            _change(item.old, item.new),
            item.note,
        )
        for item in _listed(plan, show_unchanged)
    ]
    rows += [
        ("x", "refused", refusal, "", "", "", "") for refusal in (*plan.blocked, *plan.refusals)
    ]
    return fitted_table(f"{plan.environment} -> {plan.esc_ref}", columns, rows, width)


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
