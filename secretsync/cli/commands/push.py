"""``secretsync push``: values from the source into GitHub secrets, at each mapped scope."""

from __future__ import annotations

import argparse
import asyncio
import json

from secretsync.cli.app import App
from secretsync.cli.options import add_format, add_output, add_source, check_environment
from secretsync.clients import github_from_env
from secretsync.push import PushReport, push_secrets, select_secrets
from secretsync.sources import load_source

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
    app.redactor.add_secrets(v for name, v in source.values.items() if name in smap.secrets)

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
    required_missing = [n for n in report.missing if smap.secrets[n].required]
    return 1 if required_missing else 0


def _text(report: PushReport) -> str:
    lines = [f"  created  {name}  ({report.scopes[name]})" for name in report.created]
    lines += [f"  updated  {name}  ({report.scopes[name]})" for name in report.updated]
    lines.append(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.missing)} missing from the source"
    )
    return "\n".join(lines)
