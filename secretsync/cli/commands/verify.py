"""``secretsync verify``: ask each credential's own provider whether it still authenticates."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from secretsync.cli.app import App
from secretsync.cli.options import (
    add_environments,
    add_format,
    add_output,
    add_source,
    selected_environments,
)
from secretsync.errors import UsageError

if TYPE_CHECKING:
    from secretsync.cli.progress import Board
    from secretsync.map.model import SecretMap
    from secretsync.verify import Candidate, VerifyResult

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="ask each credential's provider whether it still authenticates",
        description=(
            "For every mapped secret whose `format:` names a provider secretsync knows, send "
            "that provider's documented read-only request (GitHub GET /user, OpenAI GET "
            "/v1/models, ...) to its own https host and report live, rejected or unknown; "
            "secrets it cannot ask about are listed as unverifiable. Exit 1 when a provider "
            "rejects a credential. docs/VERIFY.md says what is sent where."
        ),
    )
    add_environments(parser)
    parser.add_argument(
        "--values",
        choices=("esc", "env"),
        default="esc",
        help="verify the values in the decrypted ESC environments (default) or in --source",
    )
    add_source(parser)
    add_format(parser, ("table", "json"))
    add_output(parser)
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also exit 1 when a provider could not say (down, rate limited, undocumented)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    from secretsync.verify import VerifyReport

    if args.source is not None and args.values != "env":
        raise UsageError("--source is only read with --values env")
    smap = app.load_map()
    environments = selected_environments(args, list(smap.environments))
    from secretsync.cli.progress import progress

    errors: list[str] = []
    with progress(app, args.output) as board:
        results = asyncio.run(_verify(args, app, smap, environments, errors, board))
    report = VerifyReport(
        tuple(results), tuple(environments), strict=args.strict, errors=tuple(errors)
    )
    if args.format == "json":
        app.write_output(report.to_json(), args.output)
    elif args.output is None and app.stdout.isatty():
        app.out.print(report.rich())
    else:
        app.write_output(report.to_plain(), args.output)
    for error in report.errors:
        app.info(f"error: {error}")
    if args.format == "json" or args.output is not None:
        app.info(report.summary_line())
    return report.exit_code


async def _verify(
    args: argparse.Namespace,
    app: App,
    smap: SecretMap,
    environments: Sequence[str],
    errors: list[str],
    board: Board,
) -> list[VerifyResult]:
    """The results; an ESC environment that could not be read is added to ``errors``."""
    from secretsync.verify import Verifier, verify_candidates

    # Built (and the override checked) before anything is read: a refused
    # $SECRETSYNC_PROVIDERS_URL is exit 2 before a single value is decrypted.
    verifier = Verifier(app.environ, transport=app.transport)
    async with verifier:
        if args.values == "env":
            candidates = _from_source(args, app, smap, environments)
        else:
            candidates = await _from_esc(app, smap, environments, errors)
        _remember(app, (c.value for c in candidates if c.value and c.secret.is_sensitive))
        app.info(f"verify: {len(candidates)} secrets in {', '.join(environments)}")
        asking = board.task("verify: asking the providers")
        results = await verify_candidates(
            verifier,
            candidates,
            on_start=lambda n: asking.update(total=n),
            on_answer=asking.advance,
        )
        asking.done()
        return results


def _from_source(
    args: argparse.Namespace, app: App, smap: SecretMap, environments: Sequence[str]
) -> list[Candidate]:
    from secretsync.sync.sources import load_source
    from secretsync.verify import from_source

    loaded = load_source(args.source, app.environ, app.stdin)
    chosen = {s.name for env in environments for s in smap.secrets_for(env)}
    for warning in loaded.withheld_warnings(chosen):
        app.info(f"warning: {warning}")
    values = {name: loaded.values[name] for name in chosen if name in loaded.values}
    return from_source(smap, environments, values, loaded.origin)


async def _from_esc(
    app: App, smap: SecretMap, environments: Sequence[str], errors: list[str]
) -> list[Candidate]:
    from secretsync.clients import esc_from_env
    from secretsync.errors import NotFoundError, ServiceError
    from secretsync.sync.definition import EscDefinition
    from secretsync.verify import from_esc

    esc = esc_from_env(app.environ, app.transport, redactor=app.redactor)

    async def read(environment: str) -> list[Candidate]:
        name = smap.environments[environment].esc_env
        try:
            got = await esc.get_definition(smap.esc_org, smap.esc_project, name, decrypt=True)
            definition = EscDefinition.parse(got.yaml)
        except NotFoundError:
            return from_esc(smap, environment, None)
        except ServiceError as exc:
            errors.append(exc.message)
            return from_esc(smap, environment, None, read_error=exc.message)
        return from_esc(smap, environment, definition)

    async with esc:
        app.info(f"verify: reading ESC for {', '.join(environments)}")
        batches = await asyncio.gather(*(read(env) for env in environments))
    return [candidate for batch in batches for candidate in batch]


def _remember(app: App, values: Iterable[str | None]) -> None:
    """Teach the output redactor every credential read, before any line is printed."""
    app.redactor.add_secrets(v for v in values if v)
