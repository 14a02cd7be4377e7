"""``secretsync login github|pulumi``: keep a token in the OS keyring.

The token comes from a hidden prompt on a terminal, or from stdin when piped
(``gh auth token | secretsync login github``); never from the command line, where it
would land in shell history and process listings.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from secretsync.cli.app import App
from secretsync.clients import credentials
from secretsync.errors import UsageError

_MAX_TOKEN_CHARS = 4096


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "login",
        help="store a GitHub or Pulumi token in the OS keyring",
        description="Read a token from a hidden prompt (or stdin) and keep it in the keyring.",
    )
    parser.add_argument("service", choices=["github", "pulumi"], help="which token")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    acct = credentials.account(args.service)
    raw = read_token(app, f"{acct.label} token: ")
    app.redactor.add([raw])  # a later failure's -v traceback must not show it
    token = _check(raw, acct)
    credentials.store_token(acct, token)
    app.info(f"stored the {acct.label} token in the OS keyring")
    _note_env_override(app, acct)
    return 0


def read_token(app: App, prompt: str) -> str:
    """The token typed at a hidden prompt, or everything piped to stdin."""
    if app.stdin.isatty():
        return getpass.getpass(prompt, stream=app.stderr)
    return app.stdin.read(_MAX_TOKEN_CHARS + 2)


def _check(raw: str, acct: credentials.Account) -> str:
    token = raw.strip()
    if not token:
        raise UsageError(
            f"no {acct.label} token given",
            hint=f"type it at the prompt, or pipe it: ... | secretsync login {acct.user}",
        )
    if "\n" in token or "\r" in token:
        raise UsageError(f"the {acct.label} token must be a single line")
    if any(ch.isspace() for ch in token) or len(token) > _MAX_TOKEN_CHARS:
        raise UsageError(f"that does not look like a {acct.label} token (spaces or too long)")
    return token


def _note_env_override(app: App, acct: credentials.Account) -> None:
    for name in acct.env_vars:
        if app.environ.get(name, "").strip():
            app.info(f"note: {name} is set and takes precedence over the keyring")
            return
