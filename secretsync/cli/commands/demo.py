"""``secretsync demo``: the whole cycle against an in-process emulator, no credentials."""

from __future__ import annotations

import argparse

from secretsync.cli.app import App

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the whole cycle against an in-process emulator",
        description=(
            "Seed an in-process GitHub + ESC emulator from the demo map shipped with "
            "secretsync (or the map given with --map; a repository's own "
            "config/secret_map.yaml is not used) with fake values and a few problems, then "
            "run checklist, push, plan, sync, audit and a settings load, explaining each "
            "step. No credentials, no network; values are never printed."
        ),
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    from secretsync.demo.run import run_demo

    return run_demo(app)
