"""``secretsync codegen settings``: the typed settings module for the map.

``--check`` compares with the checked-in module and exits 1 when it is out of date (a diff
on stdout), so CI catches a map change nobody regenerated for. The module holds names,
aliases and descriptions only, never a value.
"""

from __future__ import annotations

import argparse
import difflib
from typing import Any

from secretsync.cli.app import App
from secretsync.cli.options import add_output, check_environment
from secretsync.errors import ConfigError, UsageError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "codegen",
        help="generate code from the map",
        description="Generate code from the map.",
    )
    targets = parser.add_subparsers(
        dest="target", metavar="TARGET", required=True, help="what to generate"
    )
    settings = targets.add_parser(
        "settings",
        help="a typed settings module (pydantic-settings) with one field per secret",
        description="Write a typed settings module with one field per secret of the map.",
    )
    add_output(settings)
    settings.add_argument(
        "-e",
        "--environment",
        metavar="ENV",
        default=None,
        help="only the secrets of this deploy environment (default: every secret)",
    )
    settings.add_argument(
        "--class-name", default="Settings", metavar="NAME", help="class name (default: Settings)"
    )
    settings.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when FILE (-o) differs from what would be generated; write nothing",
    )
    settings.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    from secretsync.runtime.codegen import render_settings_module

    smap = app.load_map()
    if args.environment is not None:
        check_environment(args.environment, smap.environments)
    if not args.class_name.isidentifier():
        raise UsageError(f"--class-name {args.class_name!r} is not a Python identifier")
    text = render_settings_module(smap, args.environment, args.class_name)
    if not args.check:
        app.write_output(text, args.output)
        if args.output is not None and str(args.output) != "-":
            app.info(f"wrote {args.output} ({len(smap.secrets)} secrets in the map)")
        return 0
    if args.output is None or str(args.output) == "-":
        raise UsageError("--check needs -o FILE, the module to compare")
    try:
        current = args.output.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {args.output}: {exc}") from None
    if current == text:
        app.info(f"{args.output} is up to date")
        return 0
    diff = difflib.unified_diff(
        current.splitlines(keepends=True),
        text.splitlines(keepends=True),
        fromfile=f"{args.output} (checked in)",
        tofile=f"{args.output} (generated)",
    )
    app.stdout.write("".join(diff))
    app.stderr.write(
        f"{args.output} is out of date: run `secretsync codegen settings -o {args.output}`\n"
    )
    return 1
