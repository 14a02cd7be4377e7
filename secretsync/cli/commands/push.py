"""``secretsync push``: values from the source into GitHub secrets, at each mapped scope."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import TYPE_CHECKING

from secretsync.cli.app import App
from secretsync.cli.options import add_format, add_output, add_source, check_environment
from secretsync.clients import github_from_env
from secretsync.sync.push import PushReport, push_secrets, select_secrets
from secretsync.sync.sources import SourceValues, load_source

if TYPE_CHECKING:
    from secretsync.map.model import SecretMap

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "push",
        help="write values from the source into GitHub secrets (sealed box)",
        description="Bootstrap or rotate GitHub secrets from the values source.",
    )
    parser.add_argument(
        "-e",
        "--environment",
        dest="environment",
        metavar="ENV",
        default=None,
        help="only the secrets mapped into this deploy environment",
    )
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", default=None, help="only these secrets"
    )
    parser.add_argument(
        "--allow-placeholders",
        action="store_true",
        help="write placeholder and empty values instead of refusing",
    )
    add_source(parser)
    add_format(parser, ("table", "json"))
    add_output(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    smap = app.load_map()
    if args.environment is not None:
        check_environment(args.environment, smap.environments)
    secrets = select_secrets(smap, args.environment, args.only)
    source = load_source(args.source, app.environ, app.stdin)
    # Only credentials: a common setting (`true`, `production`) would otherwise be
    # scrubbed out of every place it appears, JSON keys included.
    app.redactor.add_secrets(sensitive_values(smap, source))
    for warning in source.withheld_warnings(s.name for s in secrets):
        app.info(f"warning: {warning}")

    async def go() -> PushReport:
        async with github_from_env(
            app.environ, transport=app.transport, redactor=app.redactor
        ) as gh:
            return await push_secrets(
                gh, smap, secrets, source, allow_placeholders=args.allow_placeholders
            )

    report = asyncio.run(go())
    if args.format == "json":
        app.write_output(json.dumps(report.as_json(), indent=2), args.output)
    else:
        app.write_output(_text(report), args.output)
    for name in report.missing:
        app.stderr.write(f"{name} is not in the source; not pushed\n")
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
    return 1 if required_missing else 0


def sensitive_values(smap: SecretMap, source: SourceValues) -> list[str]:
    """The source's values of mapped credentials (type secret or pem): what to redact."""
    return [
        value
        for name, value in source.values.items()
        if name in smap.secrets and smap.secrets[name].is_sensitive
    ]


def _text(report: PushReport) -> str:
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
