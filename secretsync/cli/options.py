"""Flags that several commands share, declared once."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path

from secretsync.errors import UsageError

__all__ = [
    "add_environments",
    "add_format",
    "add_output",
    "add_source",
    "check_environment",
    "selected_environments",
]


def add_format(parser: argparse.ArgumentParser, choices: Sequence[str]) -> None:
    parser.add_argument(
        "--format",
        choices=list(choices),
        default=choices[0],
        help=f"output format (default: {choices[0]})",
    )


def add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        default=None,
        help="write the result to FILE instead of stdout",
    )


def add_environments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(
        "-e",
        "--environment",
        dest="environments",
        action="append",
        metavar="ENV",
        help="deploy environment from the map (repeatable)",
    )
    group.add_argument(
        "--all", dest="all_environments", action="store_true", help="every environment"
    )


def selected_environments(args: argparse.Namespace, known: Sequence[str]) -> list[str]:
    """The environments the user chose, checked against the map, in map order."""
    if getattr(args, "all_environments", False) or not getattr(args, "environments", None):
        return list(known)
    chosen: list[str] = []
    for name in args.environments:
        for part in name.split(","):
            part = check_environment(part.strip(), known)
            if part not in chosen:
                chosen.append(part)
    return [name for name in known if name in chosen]


def check_environment(name: str, known: Iterable[str]) -> str:
    """``name`` when the map has that deploy environment, else a usage error listing them."""
    known = list(known)
    if name not in known:
        raise UsageError(f"unknown environment {name!r}", hint=f"the map has: {', '.join(known)}")
    return name


def add_source(parser: argparse.ArgumentParser, *, esc: bool = False) -> None:
    """``--source``; ``esc=True`` adds ``esc:ENV`` (push reads ESC as the source of truth)."""
    extra = "|esc:ENV" if esc else ""
    where = "; esc:ENV reads deploy environment ENV's ESC environment" if esc else ""
    parser.add_argument(
        "--source",
        default=None,
        metavar=f"env|json:FILE|json:-{extra}",
        help="where values come from (default: $SECRETSYNC_SECRETS_JSON if set, else env"
        + where
        + ")",
    )
