"""The one exception tree of secretsync.

Every error secretsync raises on purpose is a :class:`SecretSyncError`. The CLI turns each
into one line (``message``, then ``hint:`` on a second line when there is one) and the exit
code the class carries; anything else is a bug and exits 3.

    SecretSyncError                      exit 3 unless a subclass says otherwise
    ├── UsageError                       exit 2  bad flags or arguments
    ├── ConfigError                      exit 2  the setup is wrong
    │   ├── MapError (ValueError)                 the map fails validation; holds every issue
    │   ├── SourceError (ValueError)              the values source (env / JSON) is unusable
    │   └── CredentialsError                      no token, or a token the service refused
    ├── ServiceError                     exit 1  GitHub or ESC answered badly or not at all
    │   ├── NotFoundError (LookupError)           404: names the org/repo/environment
    │   ├── ConflictError                         409 from ESC: the ETag is stale, re-read
    │   ├── RateLimitError                        403/429 rate limit still hit after waiting
    │   ├── RequestRejected (ValueError)          400/422: the service refused the payload
    │   └── UnreachableError (ConnectionError)    timeouts, dropped connections, 5xx after retries
    ├── RefusedError                     exit 1  a safety rule stopped a write (placeholder,
    │                                             --max-deletes); nothing was written
    └── SettingsError (ValueError)       exit 2  runtime settings are missing or placeholders

Rules every raiser keeps: a message names secrets, scopes and paths, never a value; a
response body is never copied into a message unless it came from a service error document
(``message`` fields), and even then only after :func:`secretsync.masking.redact` (when values
are known). Subclassing builtins lets callers catch ``ValueError``/``LookupError`` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "ConflictError",
    "CredentialsError",
    "MapError",
    "MapIssue",
    "NotFoundError",
    "RateLimitError",
    "RefusedError",
    "RequestRejected",
    "SecretSyncError",
    "ServiceError",
    "SettingsError",
    "SourceError",
    "UnreachableError",
    "UsageError",
    "listing",
]

LISTING_LIMIT = 10  # names one error line shows; the rest are counted


def listing(items: Sequence[str], separator: str = ", ", limit: int = LISTING_LIMIT) -> str:
    """``items`` joined for one message line: the first ``limit``, then "and N more".

    An error line stays one readable line however many names a mistake touches
    (``push --only`` with 20,000 unknown names used to print 149 KB).
    """
    shown = separator.join(items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


class SecretSyncError(Exception):
    """Base of every error secretsync raises on purpose."""

    exit_code: int = 3

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(SecretSyncError):
    """The command line itself is wrong (flags, arguments)."""

    exit_code = 2


class ConfigError(SecretSyncError):
    """The setup is wrong: the map, the values source, credentials, endpoints."""

    exit_code = 2


@dataclass(frozen=True, order=True)
class MapIssue:
    """One validation problem, positioned in the map file (1-based line and column)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class MapError(ConfigError, ValueError):
    """The map fails validation; ``issues`` holds every problem found, in file order."""

    def __init__(self, issues: Sequence[MapIssue], *, hint: str | None = None) -> None:
        self.issues = tuple(sorted(issues))
        count = len(self.issues)
        first = str(self.issues[0]) if self.issues else "invalid map"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(first + more, hint=hint)


class SourceError(ConfigError, ValueError):
    """The values source cannot be used (unreadable file, not a JSON object, ...)."""


class CredentialsError(ConfigError):
    """A token is missing, or the service refused it (401/403 that is not a rate limit)."""


class ServiceError(SecretSyncError):
    """GitHub or ESC failed; ``service`` is ``"github"`` or ``"esc"``.

    ``after_unanswered``: an earlier attempt of the same request was sent and its answer
    never came, so it may have been applied (a 409 may then be answering our own write).
    """

    exit_code = 1
    after_unanswered = False

    def __init__(
        self,
        message: str,
        *,
        service: str = "",
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.service = service
        self.status = status


class NotFoundError(ServiceError, LookupError):
    """404: the named organization, repository, environment or secret does not exist."""


class ConflictError(ServiceError):
    """409 from ESC: someone else wrote since our read; re-read and re-apply."""


class RateLimitError(ServiceError):
    """Still rate limited after honouring ``retry-after``/``x-ratelimit-reset``."""


class RequestRejected(ServiceError, ValueError):
    """400/422: the service refused what we sent (naming, size, YAML diagnostics)."""


class UnreachableError(ServiceError, ConnectionError):
    """The service could not be reached or kept failing (5xx, timeouts, dropped connections)."""


class RefusedError(SecretSyncError):
    """A safety rule stopped a write (placeholder value, too many deletes); nothing written."""

    exit_code = 1


class SettingsError(SecretSyncError, ValueError):
    """Runtime settings failed validation; ``problems`` maps field name to reason."""

    exit_code = 2

    def __init__(
        self, problems: dict[str, str], *, hint: str | None = None, note: str | None = None
    ) -> None:
        self.problems = dict(sorted(problems.items()))
        self.note = note  # context a reader needs, e.g. why ESC was not read
        lines = "; ".join(f"{name}: {reason}" for name, reason in self.problems.items())
        tail = f" ({note})" if note else ""
        super().__init__(f"settings are not usable: {lines}{tail}", hint=hint)
