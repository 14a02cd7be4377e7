"""``secretsync`` entry point: global flags, command dispatch, the one error handler."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from secretsync._version import __version__
from secretsync.cli.app import App, ambient_secrets
from secretsync.cli.help import HelpFormatter
from secretsync.errors import MapError, SecretSyncError

__all__ = ["build_parser", "console_main", "main"]

# Order is the order of `secretsync --help`. Only the module of the command being run is
# imported: the pre-commit hook must not pay for httpx, rich or the emulator.
COMMANDS: dict[str, str] = {
    "validate": "check the map",
    "checklist": "a checklist of every secret (md) or a gh script (sh)",
    "plan": "what sync would change, values masked",
    "sync": "write mapped values into the ESC environments",
    "push": "write values into GitHub secrets (sealed box)",
    "audit": "the pre-deploy gate",
    "scan": "find placeholder and hard-coded secrets in files",
    "lint": "find code reading mapped secrets through os.getenv",
    "codegen": "generate a typed settings module from the map",
    "login": "store a GitHub or Pulumi token in the OS keyring",
    "logout": "remove a stored token",
    "shards": "assign organization secrets to the sync repositories (at most 100 each)",
    "emulator": "serve the local GitHub + ESC API",
    "demo": "the whole cycle against an in-process emulator",
    "verify": "ask each credential's provider whether it still authenticates",
}

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` stays in charge of exit codes,
    and formats every command's help the same way (:mod:`secretsync.cli.help`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["formatter_class"] = HelpFormatter
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgparseExit(f"{self.prog}: {message}", self.format_usage())


class _ArgparseExit(Exception):
    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The first word that is not a global option (``--map`` takes a value)."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token == "--map":
            skip = True
        elif token == "--":
            return None
        elif not token.startswith("-"):
            return token
    return None


def _load_command(name: str) -> ModuleType:
    return importlib.import_module(f"secretsync.cli.commands.{name}")


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; only the command named in ``argv`` gets its full set of flags."""
    parser = _Parser(
        prog="secretsync",
        description="Keep secrets honest across GitHub, Pulumi ESC and your code.",
    )
    parser.add_argument("--map", type=Path, metavar="PATH", help="the secret map to use")
    loud = parser.add_mutually_exclusive_group()
    loud.add_argument("-v", "--verbose", action="count", default=0, help="more detail")
    loud.add_argument("-q", "--quiet", action="store_true", help="only errors and results")
    parser.add_argument("--no-color", action="store_true", help="no colour (also: NO_COLOR)")
    parser.add_argument("--version", action="version", version=f"secretsync {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = _chosen_command(argv)
    if chosen in COMMANDS:
        # The other commands' parsers would only serve `--help` and "invalid choice".
        _load_command(chosen).register(sub)
        return parser
    for name, summary in COMMANDS.items():
        sub.add_parser(name, help=summary)
    return parser


def main(argv: Sequence[str] | None = None, *, app: App | None = None) -> int:
    """Run one command and return its exit code; never raises (but SystemExit from --help)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    app = app or App()
    try:
        parser = build_parser(args_list)
        args = parser.parse_args(args_list)
    except _ArgparseExit as exc:
        app.stderr.write(exc.usage)
        app.stderr.write(f"{exc}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)

    app.verbosity = -1 if args.quiet else args.verbose
    if args.no_color:
        app.color = False
    if args.map is not None:
        app.map_option = args.map
    if args.command is None:
        parser.print_help(app.stderr)
        return EXIT_USAGE
    if app.verbosity <= 0:
        return _run(args, app)
    # logging is imported only here: the hook's start-up never pays for it.
    from secretsync.cli.verbose import log_to_stderr

    with log_to_stderr(app):
        return _run(args, app)


def _run(args: argparse.Namespace, app: App) -> int:
    try:
        code: int = args.run(args, app)
    except KeyboardInterrupt:
        app.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except MapError as exc:
        for issue in exc.issues:
            app.stderr.write(app.redactor.redact(str(issue)) + "\n")
        _hint(app, exc.hint)
        _traceback(app)
        return exc.exit_code
    except SecretSyncError as exc:
        app.stderr.write(app.redactor.redact(f"error: {exc.message}") + "\n")
        _hint(app, exc.hint)
        _traceback(app)
        return exc.exit_code
    except Exception as exc:
        # A bug. The message of a foreign exception may quote an input, so only its type
        # is printed; -v shows the traceback, redacted of every value this run knows.
        app.stderr.write(
            f"internal error ({type(exc).__name__}); run with -v for the traceback and report it\n"
        )
        _traceback(app)
        return EXIT_INTERNAL
    return code


def _hint(app: App, hint: str | None) -> None:
    if hint:
        app.stderr.write(app.redactor.redact(f"hint: {hint}") + "\n")


def _traceback(app: App) -> None:
    if app.verbosity > 0:
        import traceback  # only on the -v error path: the hook's start-up stays lean

        app.redactor.add(ambient_secrets(app.environ))
        app.stderr.write(app.redactor.redact(traceback.format_exc()))


def console_main() -> None:
    """The ``secretsync`` console script."""
    sys.exit(main())


if __name__ == "__main__":
    console_main()
