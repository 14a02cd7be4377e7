"""Where tokens and API endpoints come from: the environment first, then the OS keyring.

Tokens never travel on the command line: ``secretsync login`` reads one from a prompt or
stdin and keeps it in the keyring under service ``secretsync`` (users ``github`` and
``pulumi``). Endpoints may be overridden for the emulator, but plain ``http://`` is only
accepted for loopback addresses, so a token is never sent in clear over a network.

A token or endpoint holding a line break or another control character (a paste that took
the newline along, a quoting slip) is a configuration error here, before anything is sent:
in a header it would end the line early, and no token or URL legitimately holds one.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from secretsync.errors import ConfigError, CredentialsError

__all__ = [
    "ESC",
    "GITHUB",
    "KEYRING_SERVICE",
    "Account",
    "account",
    "check_endpoint",
    "delete_token",
    "esc_api_url",
    "github_api_url",
    "github_token",
    "is_loopback",
    "pulumi_token",
    "store_token",
]

KEYRING_SERVICE = "secretsync"


@dataclass(frozen=True)
class Account:
    """One service secretsync logs in to: its keyring user and environment variables."""

    user: str  # keyring username and `secretsync login <user>`
    label: str  # for messages
    env_vars: tuple[str, ...]


GITHUB = Account("github", "GitHub", ("GH_TOKEN", "GITHUB_TOKEN"))
ESC = Account("pulumi", "Pulumi", ("PULUMI_ACCESS_TOKEN",))
_ACCOUNTS = {GITHUB.user: GITHUB, ESC.user: ESC}

GITHUB_API_ENV, GITHUB_API_DEFAULT = "SECRETSYNC_GITHUB_API_URL", "https://api.github.com"
ESC_API_ENV, ESC_API_DEFAULT = "SECRETSYNC_ESC_API_URL", "https://api.pulumi.com/api/esc"
# What a token may hold: printable ASCII, no spaces (every GitHub and Pulumi token is so).
_TOKEN = re.compile(r"[\x21-\x7e]+")
# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def account(user: str) -> Account:
    """The account for ``github`` or ``pulumi``."""
    try:
        return _ACCOUNTS[user]
    except KeyError:
        raise ConfigError(f"unknown service {user!r}", hint="use github or pulumi") from None


def github_token(environ: Mapping[str, str]) -> str:
    """``GH_TOKEN``, ``GITHUB_TOKEN``, else the keyring; ``CredentialsError`` when none."""
    return _token(GITHUB, environ)


def pulumi_token(environ: Mapping[str, str]) -> str:
    """``PULUMI_ACCESS_TOKEN``, else the keyring; ``CredentialsError`` when none."""
    return _token(ESC, environ)


def _token(acct: Account, environ: Mapping[str, str]) -> str:
    for name in acct.env_vars:
        value = environ.get(name, "").strip()
        if value:
            return _checked_token(value, f"${name}")
    names = " or ".join(acct.env_vars)
    import keyring  # only when the environment has no token: ~0.1 s of every start-up
    import keyring.errors

    try:
        stored = keyring.get_password(KEYRING_SERVICE, acct.user)
    except keyring.errors.NoKeyringError:
        raise CredentialsError(
            f"no {acct.label} token: {names} is not set and no OS keyring is available",
            hint=f"set {names} (this system has no keyring backend for `secretsync login`)",
        ) from None
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(
            f"no {acct.label} token: {names} is not set and the keyring could not be read "
            f"({type(exc).__name__})",
            hint=f"set {names}, or unlock the keyring and retry",
        ) from None
    if stored and stored.strip():
        return _checked_token(stored.strip(), f"the keyring's {acct.user} token")
    raise CredentialsError(
        f"no {acct.label} token: {names} is not set and the keyring has none",
        hint=f"run `secretsync login {acct.user}` or set {names}",
    )


def _checked_token(token: str, origin: str) -> str:
    """``token``, or a ``ConfigError`` (never showing it) when it cannot be a token.

    Not a ``CredentialsError``: a broken token must stop the run, not read as "no token"
    (``sync`` carries on without a GitHub token).
    """
    if _TOKEN.fullmatch(token):
        return token
    if _CONTROL.search(token):
        what = "a line break or another control character"
    elif any(ch.isspace() for ch in token):
        what = "a space"
    else:
        what = "characters outside printable ASCII"
    raise ConfigError(
        f"{origin} holds {what}; a token is one word of printable ASCII",
        hint="set it again without the extra characters (a pasted newline is the usual cause)",
    )


def store_token(acct: Account, token: str) -> None:
    """Keep ``token`` in the keyring; ``ConfigError`` when there is no usable keyring."""
    import keyring
    import keyring.errors

    try:
        keyring.set_password(KEYRING_SERVICE, acct.user, token)
    except keyring.errors.KeyringError as exc:
        raise _no_keyring(acct, exc) from None


def delete_token(acct: Account) -> bool | None:
    """Remove the stored token: ``True`` when one was removed, ``False`` when none was
    stored, ``None`` when the system has no keyring at all (so none can be stored)."""
    import keyring
    import keyring.errors

    try:
        if keyring.get_password(KEYRING_SERVICE, acct.user) is None:
            return False
        keyring.delete_password(KEYRING_SERVICE, acct.user)
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.NoKeyringError:
        return None
    except keyring.errors.KeyringError as exc:
        raise _no_keyring(acct, exc) from None
    return True


def _no_keyring(acct: Account, exc: Exception) -> ConfigError:
    import keyring.errors

    names = " or ".join(acct.env_vars)
    if isinstance(exc, keyring.errors.NoKeyringError):
        return ConfigError(
            "no OS keyring is available on this system",
            hint=f"set {names} in the environment instead",
        )
    return ConfigError(
        f"the OS keyring refused the operation ({type(exc).__name__})",
        hint=f"unlock the keyring, or set {names} in the environment instead",
    )


def github_api_url(environ: Mapping[str, str]) -> str:
    """GitHub REST base URL: ``$SECRETSYNC_GITHUB_API_URL`` or api.github.com."""
    return _endpoint(environ, GITHUB_API_ENV, GITHUB_API_DEFAULT)


def esc_api_url(environ: Mapping[str, str]) -> str:
    """ESC API base URL: ``$SECRETSYNC_ESC_API_URL`` or api.pulumi.com/api/esc."""
    return _endpoint(environ, ESC_API_ENV, ESC_API_DEFAULT)


def _endpoint(environ: Mapping[str, str], name: str, default: str) -> str:
    url = environ.get(name, "").strip() or default
    check_endpoint(url, name, example=default)
    return url.rstrip("/")


def check_endpoint(url: str, origin: str, *, example: str | None = None) -> None:
    """Refuse anything but https, or plain http to a loopback address; ``example`` is the
    service's own default URL, shown in the hint (GitHub's unless said otherwise). A URL
    holding a control character or space is refused too: no URL does (the URL itself is
    not shown, it may carry credentials)."""
    if _CONTROL.search(url) or any(ch.isspace() for ch in url):
        raise ConfigError(
            f"{origin} holds a line break, control character or space; a URL holds none",
            hint=f"set it again as one line, for example {example or GITHUB_API_DEFAULT}",
        )
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host and is_loopback(host):
        return
    if parts.scheme == "http" and host:
        raise ConfigError(
            f"{origin}: plain http:// is only allowed for loopback addresses, not {host}",
            hint="use https://, or 127.0.0.1 / localhost / ::1 for a local emulator",
        )
    raise ConfigError(
        f"{origin} is not an http(s) URL with a host",
        hint=f"for example {example or GITHUB_API_DEFAULT}",
    )


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or ``localhost``: the only hosts plain http (and the verify
    providers override) may point at."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
