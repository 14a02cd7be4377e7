"""``secretsync logout github|pulumi``: forget the token kept in the OS keyring."""

from __future__ import annotations

import argparse
from typing import Any

from secretsync.cli.app import App
from secretsync.clients import credentials


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "logout",
        help="remove a stored GitHub or Pulumi token from the OS keyring",
        description="Remove the token `secretsync login` stored; exits 0 when there was none.",
    )
    parser.add_argument("service", choices=["github", "pulumi"], help="which token")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    acct = credentials.account(args.service)
    removed = credentials.delete_token(acct)
    if removed:
        app.info(f"removed the {acct.label} token from the OS keyring")
    elif removed is None:
        app.info(
            f"not logged in to {acct.label}: this system has no OS keyring, so no token is stored"
        )
    else:
        app.info(f"not logged in to {acct.label}: the keyring holds no token")
    for name in acct.env_vars:
        if app.environ.get(name, "").strip():
            app.info(f"note: {name} is still set in the environment")
    return 0
