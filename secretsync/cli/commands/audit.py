"""``secretsync audit``: the pre-deploy gate over GitHub, ESC, the workflows and the map."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from secretsync.cli.app import App
from secretsync.cli.options import (
    add_environments,
    add_format,
    add_output,
    add_source,
    selected_environments,
)
from secretsync.errors import MapError, UsageError

if TYPE_CHECKING:
    from secretsync.audit import FailOn, Finding
    from secretsync.map.model import SecretMap

__all__ = ["register", "run"]

FORMATS = ("table", "json", "sarif", "markdown")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="the pre-deploy gate: check GitHub, ESC and workflows against the map",
        description=(
            "Read GitHub secret metadata, the decrypted ESC environments and the workflows, "
            "and report every rule they break (docs/AUDIT.md). Exit 1 when a finding is at "
            "or above --fail-on; a service that cannot be read is an error, never a pass."
        ),
    )
    add_environments(parser)
    add_format(parser, FORMATS)
    add_output(parser)
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "never"),
        default="error",
        help="exit 1 when a finding of this severity or worse exists (default: error)",
    )
    parser.add_argument(
        "--values",
        choices=("esc", "env"),
        default="esc",
        help="also check the values of --source (env); ESC values are always checked",
    )
    add_source(parser)
    parser.add_argument(
        "--verify",
        action="store_true",
        help="also ask each credential's provider whether it still authenticates "
        "(rules rejected-credential, unverified-credential; docs/VERIFY.md)",
    )
    parser.add_argument(
        "--annotations",
        choices=("auto", "always", "never"),
        default="auto",
        help="GitHub Actions annotations on stderr (auto: when GITHUB_ACTIONS=true)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    # Imported here: every command module is imported to build the parser, and the
    # audit's dependencies (httpx, rich, the classifier) would slow down `scan`.
    from secretsync.audit import map_findings, map_location, parse_fail_on, repo_root
    from secretsync.sync.sources import load_source

    fail_on = parse_fail_on(args.fail_on)
    if args.source is not None and args.values != "env":
        raise UsageError("--source is only read with --values env")
    map_path = _absolute(app, app.map_path())
    root = repo_root(map_path)
    map_file = map_location(map_path, root)
    try:
        smap = app.load_map()
    except MapError as exc:
        # Nothing else can be checked against a broken map, but the gate still reports
        # in the format asked for, so code scanning shows the issues on their lines.
        requested = tuple(args.environments or ())
        return _finish(args, app, map_findings(exc, map_file), map_file, requested, fail_on)
    environments = selected_environments(args, list(smap.environments))
    source: Mapping[str, str] | None = None
    if args.values == "env":
        loaded = load_source(args.source, app.environ, app.stdin)
        # Only mapped names are judged (or remembered for redaction): `env` is the whole
        # process environment.
        chosen = {s.name: s for env in environments for s in smap.secrets_for(env)}
        source = {name: loaded.values[name] for name in chosen if name in loaded.values}
        _remember(app, (v for name, v in source.items() if chosen[name].is_sensitive))
        for warning in loaded.withheld_warnings(chosen):
            app.info(f"warning: {warning}")
        if loaded.looks_truncated:
            app.info(
                f"warning: {loaded.origin} holds 100 or more names; a workflow sees only the "
                "first 100 organization secrets, so some values may be missing (not judged)"
            )
    from secretsync.cli.progress import progress

    with progress(app, args.output) as board:
        reading = board.task(f"audit: reading {', '.join(environments)}")
        findings = asyncio.run(
            _gather(app, smap, environments, source, root, map_file, verify=args.verify)
        )
        reading.done()
    return _finish(args, app, findings, map_file, tuple(environments), fail_on)


async def _gather(
    app: App,
    smap: SecretMap,
    environments: list[str],
    source: Mapping[str, str] | None,
    root: Path,
    map_file: str,
    *,
    verify: bool = False,
) -> list[Finding]:
    from secretsync.audit import evaluate, gather_snapshot
    from secretsync.clients import esc_from_env, github_from_env

    # Every client is built before any request: a missing token (or a refused
    # $SECRETSYNC_PROVIDERS_URL) is exit 2 at once.
    github = github_from_env(app.environ, app.transport, redactor=app.redactor)
    esc = esc_from_env(app.environ, app.transport, redactor=app.redactor)
    verifier = None
    if verify:
        from secretsync.verify import Verifier

        verifier = Verifier(app.environ, transport=app.transport)
    async with github, esc:
        app.info(f"audit: reading GitHub and ESC for {', '.join(environments)}")
        snapshot = await gather_snapshot(
            smap,
            environments,
            github=github,
            esc=esc,
            root=root,
            source=source,
            map_file=map_file,
            now=clock(),
        )
    _remember(app, snapshot.known_values())
    if verifier is not None:
        from secretsync.audit.verification import verify_snapshot

        async with verifier:
            app.info("audit: asking each credential's provider whether it authenticates")
            snapshot = await verify_snapshot(snapshot, verifier)
    return evaluate(snapshot)


def _finish(
    args: argparse.Namespace,
    app: App,
    findings: list[Finding],
    map_file: str,
    environments: tuple[str, ...],
    fail_on: FailOn,
) -> int:
    from secretsync.audit import AuditReport

    report = AuditReport(
        findings=tuple(findings),
        map_file=map_file,
        environments=environments,
        generated_at=clock(),
        fail_on=fail_on,
    )
    if args.format == "json":
        app.write_output(report.to_json(), args.output)
    elif args.format == "sarif":
        app.write_output(report.to_sarif(), args.output)
    elif args.format == "markdown":
        app.write_output(report.to_markdown(), args.output)
    elif args.output is None and app.out.is_terminal:
        app.out.print(report.rich())
    else:
        app.write_output(report.to_plain(), args.output)
    annotate = args.annotations == "always" or (
        args.annotations == "auto" and app.environ.get("GITHUB_ACTIONS") == "true"
    )
    if annotate:
        for line in report.annotations():
            app.stderr.write(app.redactor.redact(line) + "\n")
    if args.format != "table" or args.output is not None:
        app.info(report.summary_line())
    return report.exit_code


def _remember(app: App, values: Iterable[str]) -> None:
    """Teach the output redactor the credentials' values (type secret or pem): a common
    setting (`true`, `production`) would otherwise be scrubbed wherever it appears."""
    app.redactor.add_secrets(values)


def clock() -> datetime:
    """The audit's "now" (ages are measured against it); tests pin it."""
    return datetime.now(timezone.utc)


def _absolute(app: App, path: Path) -> Path:
    return path if path.is_absolute() else app.cwd / path
