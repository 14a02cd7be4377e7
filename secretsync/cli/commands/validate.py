"""``secretsync validate``: check the map and say what it holds."""

from __future__ import annotations

import argparse
import json
from typing import Any

from secretsync.cli.app import App
from secretsync.cli.options import add_format


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "validate",
        help="check the map",
        description=(
            "Check the map strictly (docs/MAP.md describes every key) and say what it holds. "
            "Each problem is one line naming file:line:column; exit 2 when there is one."
        ),
    )
    add_format(parser, ["table", "json"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    smap = app.load_map()
    if args.format == "json":
        payload = {
            "schema": "secretsync/validate/v1",
            "map": str(smap.path),
            "valid": True,
            "environments": {n: app_env.esc_env for n, app_env in smap.environments.items()},
            "secrets": len(smap.secrets),
        }
        app.write_output(json.dumps(payload, indent=2), None)
        return 0
    per_env = ", ".join(f"{name}: {len(smap.secrets_for(name))}" for name in smap.environments)
    app.write_output(f"{smap.path}: valid, {len(smap.secrets)} secrets ({per_env})", None)
    return 0
