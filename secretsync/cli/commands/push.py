"""``secretsync push``: values from the source into GitHub secrets, at each mapped scope.

The source is the usual one (``env``, ``json:FILE``) or ``esc:ENV``: deploy environment
ENV's ESC environment, one decrypted read, for a team whose source of truth is ESC.
``--dry-run`` says what each secret would get (created or updated, from where) and writes
nothing. Writes are paced by GitHub's limits, so a terminal shows a bar per secret; Ctrl-C
prints what was already written and exits 130.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import TYPE_CHECKING

from secretsync.cli.app import App
from secretsync.cli.options import add_format, add_output, add_source, check_environment
from secretsync.cli.progress import progress
from secretsync.clients import esc_from_env, github_from_env
from secretsync.errors import UsageError, listing
from secretsync.sync.push import PushReport, push_secrets, select_secrets
from secretsync.sync.sources import ESC_PREFIX, SourceValues, load_esc_source, load_source

if TYPE_CHECKING:
    from secretsync.map.model import Secret, SecretMap

__all__ = ["register", "run"]

EXIT_INTERRUPTED = 130


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "push",
        help="write values from the source into GitHub secrets (sealed box)",
        description=(
            "Bootstrap or rotate GitHub secrets from the values source. With --source "
            "esc:ENV the values come from ENV's ESC environment (ESC as the source of "
            "truth); do not also sync the same secrets from GitHub into ESC, or the two "
            "directions chase each other (audit's drift rule shows it)."
        ),
    )
    parser.add_argument(
        "-e",
        "--environment",
        dest="environment",
        metavar="ENV",
        default=None,
        help="only the secrets mapped into this deploy environment (with --source esc:ENV, "
        "that ENV)",
    )
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", default=None, help="only these secrets"
    )
    parser.add_argument(
        "--allow-placeholders",
        action="store_true",
        help="write placeholder and empty values instead of refusing",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="say what each secret would get (created or updated, from where); write nothing",
    )
    add_source(parser, esc=True)
    add_format(parser, ("table", "json"))
    add_output(parser)
    parser.set_defaults(run=run)


def _esc_environment(args: argparse.Namespace, smap: SecretMap) -> str | None:
    """The deploy environment of ``--source esc:ENV``, checked; None for other sources."""
    if not (args.source or "").startswith(ESC_PREFIX):
        return None
    environment: str = args.source[len(ESC_PREFIX) :]
    if not environment:
        raise UsageError("--source esc: needs a deploy environment", hint="e.g. esc:production")
    check_environment(environment, smap.environments)
    if args.environment not in (None, environment):
        raise UsageError(
            f"--source {args.source} reads {environment}'s values; -e {args.environment} "
            "would push another environment's secrets",
            hint=f"drop -e, or pass -e {environment}",
        )
    return environment


def run(args: argparse.Namespace, app: App) -> int:
    smap = app.load_map()
    esc_environment = _esc_environment(args, smap)
    environment = esc_environment or args.environment
    if environment is not None:
        check_environment(environment, smap.environments)
    secrets = select_secrets(smap, environment, args.only)
    source = None if esc_environment else load_source(args.source, app.environ, app.stdin)
    if source is not None:
        _trust(app, smap, source, secrets)
    report = PushReport()

    async def go() -> None:
        async with github_from_env(
            app.environ, transport=app.transport, redactor=app.redactor
        ) as gh:
            values = source
            if values is None:
                assert esc_environment is not None
                async with esc_from_env(
                    app.environ, transport=app.transport, redactor=app.redactor
                ) as esc:
                    values = await load_esc_source(esc, smap, esc_environment, secrets)
                _trust(app, smap, values, secrets)
            with progress(app, output=args.output) as board:
                total = sum(1 for s in secrets if values.get(s.name) is not None)
                label = "reading GitHub" if args.dry_run else f"pushing 0/{total}"
                task = board.task(label, total=None if args.dry_run else total)

                def written(name: str, created: bool) -> None:
                    done = len(report.created) + len(report.updated)
                    task.update(f"pushing {done}/{total}: {name}")
                    task.advance()
                    _stop_if_interrupted()

                await push_secrets(
                    gh,
                    smap,
                    secrets,
                    values,
                    allow_placeholders=args.allow_placeholders,
                    dry_run=args.dry_run,
                    report=report,
                    written=written,
                )

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        _interrupted(app, report)
        return EXIT_INTERRUPTED
    if args.format == "json":
        app.write_output(json.dumps(report.as_json(), indent=2), args.output)
    else:
        app.write_output(_text(report), args.output)
    if report.kept_access:
        app.info(
            f"{len(report.kept_access)} organization secret(s) kept the repositories GitHub "
            f"lists for them (the map shards its secrets): {listing(report.kept_access)}"
        )
    for name in report.missing:
        why = report.unreadable.get(name)
        line = f"{name}: {why}; not pushed" if why else f"{name} is not in the source; not pushed"
        app.stderr.write(app.redactor.redact(line) + "\n")
    if report.error is not None:
        written = len(report.created) + len(report.updated)
        app.stderr.write(
            app.redactor.redact(
                f"error: pushing {report.failed} failed after {written} written; the rest "
                f"were not attempted: {report.error.message}"
            )
            + "\n"
        )
        return 1
    required_missing = [n for n in report.missing if smap.secrets[n].required]
    return 1 if required_missing or report.unreadable else 0


def _stop_if_interrupted() -> None:
    """End the run between two writes when Ctrl-C was pressed but its cancellation was
    swallowed on the way (seen with an HTTP call under way: the task still counts the
    cancellation asyncio.run asked for, yet the write loop went on)."""
    current = asyncio.current_task()
    cancelling = getattr(current, "cancelling", None)  # Python 3.11+; 3.10 raises directly
    if cancelling is not None and cancelling():
        raise asyncio.CancelledError


def _trust(app: App, smap: SecretMap, source: SourceValues, secrets: list[Secret]) -> None:
    """Teach the redactor the credentials' values; warn about withheld names."""
    # Only credentials: a common setting (`true`, `production`) would otherwise be
    # scrubbed out of every place it appears, JSON keys included.
    app.redactor.add_secrets(sensitive_values(smap, source))
    for warning in source.withheld_warnings(s.name for s in secrets):
        app.info(f"warning: {warning}")


def _interrupted(app: App, report: PushReport) -> None:
    """Ctrl-C: what is in GitHub now, by name, so the run can be resumed with --only."""
    written = [*report.created, *report.updated]
    lines = [f"interrupted after {len(written)} written" + (": " if written else "")]
    if written:
        lines[0] += ", ".join(written)
    if report.in_flight is not None:
        lines.append(
            f"the write of {report.in_flight} was under way: it may or may not have landed"
        )
    app.stderr.write("\n".join(app.redactor.redact(line) for line in lines) + "\n")


def sensitive_values(smap: SecretMap, source: SourceValues) -> list[str]:
    """The source's values of mapped credentials (type secret or pem): what to redact."""
    return [
        value
        for name, value in source.values.items()
        if name in smap.secrets and smap.secrets[name].is_sensitive
    ]


def _text(report: PushReport) -> str:
    if report.dry_run:
        lines = [
            f"  would {w.action}  {w.secret}  ({w.scope})  from {w.origin}" for w in report.planned
        ]
        creates = sum(1 for w in report.planned if w.action == "create")
        lines.append(
            f"dry run: {creates} would be created, {len(report.planned) - creates} updated, "
            f"{len(report.missing)} without a value; nothing written"
        )
        return "\n".join(lines)
    lines = [f"  created  {name}  ({report.scopes[name]})" for name in report.created]
    lines += [f"  updated  {name}  ({report.scopes[name]})" for name in report.updated]
    if report.failed is not None:
        lines.append(f"  failed   {report.failed}")
    lines.append(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.missing)} missing from the source"
        + ("; stopped at the failure" if report.failed is not None else "")
    )
    return "\n".join(lines)
