"""What both service clients share: the httpx setup, retries, write pacing, error mapping.

Every request goes through :meth:`Session.call`, which is the one point where httpx errors
and HTTP statuses become :mod:`secretsync.errors` classes. Retries use tenacity:

* transient failures (5xx, timeouts, dropped connections, a body cut short) are retried
  with jittered exponential backoff, but only for requests that are safe to repeat
  (``idempotent=True``) or that provably never left this machine (connect errors);
* rate limits (429, or a 403 whose headers or message say "rate limit") are waited out
  for as long as ``retry-after`` / ``x-ratelimit-reset`` say, whatever the method: the
  service refused the request, so nothing was applied.

Nothing here logs a request or response body: INFO lines carry method, path, status, time
and retries (``-v``); DEBUG adds pacing waits and unreadable bodies (``-vv``).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from secretsync._version import __version__
from secretsync.errors import (
    ConfigError,
    ConflictError,
    CredentialsError,
    NotFoundError,
    RateLimitError,
    RequestRejected,
    SecretSyncError,
    ServiceError,
    UnreachableError,
)
from secretsync.masking import Redactor

_C = TypeVar("_C", bound="ServiceClient")

__all__ = [
    "DEFAULT_TIMEOUT",
    "RETRY_SCALE_ENV_VAR",
    "USER_AGENT",
    "RetryPolicy",
    "Session",
    "Sleep",
    "WritePacer",
    "rate_limit_delay",
    "seg",
]

USER_AGENT = f"secretsync/{__version__}"
RETRY_SCALE_ENV_VAR = "SECRETSYNC_RETRY_SCALE"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
logger = logging.getLogger("secretsync.clients")
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts per call, backoff bounds, the longest rate-limit wait."""

    attempts: int = 5
    backoff_initial: float = 0.25
    backoff_max: float = 8.0
    max_rate_limit_wait: float = 120.0  # a longer wait than this gives up at once
    default_rate_limit_wait: float = 60.0  # a secondary limit that names no time
    # Multiplies every wait the client makes (backoff, rate-limit waits, write pacing), so
    # test suites can run retry paths at full logic and a fraction of the time. Set it
    # through $SECRETSYNC_RETRY_SCALE (see :meth:`from_environ`); 1 in production.
    time_scale: float = 1.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RetryPolicy:
        """The default policy, with ``time_scale`` from ``$SECRETSYNC_RETRY_SCALE`` if set."""
        raw = environ.get(RETRY_SCALE_ENV_VAR, "").strip()
        if not raw:
            return cls()
        try:
            scale = float(raw)
        except ValueError:
            scale = -1.0
        if not 0 < scale <= 1:
            raise ConfigError(f"${RETRY_SCALE_ENV_VAR} must be a number in (0, 1], not {raw!r}")
        return cls(time_scale=scale)


def seg(text: str) -> str:
    """``text`` as one URL path segment: ``/``, ``?``, ``#`` and ``%`` are escaped too."""
    return quote(text, safe="")


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def _show(url: httpx.URL) -> str:
    """Scheme, host and port only: never user info, path or query."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


class WritePacer:
    """One write at a time, starts spaced ``60 / per_minute`` seconds apart.

    GitHub's secondary limit counts content-creating requests per minute and punishes
    bursts, so writes are serial and paced rather than fired in parallel. A rate-limit
    answer pushes the next slot back for every writer (:meth:`defer`).
    """

    def __init__(
        self,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("writes per minute must be positive")
        self.interval = 60.0 / per_minute
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._lock:
            while (delay := self._next - self._clock()) > 0:
                logger.debug("write pacing: waiting %.2f s for the next slot", delay)
                await self._sleep(delay)
            self._next = self._clock() + self.interval
            yield

    def defer(self, seconds: float) -> None:
        self._next = max(self._next, self._clock() + seconds)


def rate_limit_delay(response: httpx.Response, now: float, default: float = 60.0) -> float | None:
    """Seconds to wait when ``response`` is a rate limit, else ``None``.

    A 429 always is one. A 403 is one only when GitHub says so: ``retry-after``, an
    exhausted ``x-ratelimit-remaining``, or "rate limit" in its message; any other 403 is
    a permission problem and must not be waited on.
    """
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        seconds = _parse_retry_after(retry_after, now)
        if seconds is not None:
            return seconds
    reset = headers.get("x-ratelimit-reset")
    if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
        with contextlib.suppress(ValueError):
            return max(0.0, float(reset) - now) + 1.0
    if response.status_code == 429 or "rate limit" in _service_message(response).lower():
        return default
    return None


def _parse_retry_after(value: str, now: float) -> float | None:
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    with contextlib.suppress(TypeError, ValueError):
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
    return None


def _service_message(response: httpx.Response) -> str:
    """The ``message`` (and ESC diagnostic summaries) of an error document, bounded."""
    try:
        doc = response.json()
    except ValueError:
        return ""
    if not isinstance(doc, dict):
        return ""
    parts = [doc["message"]] if isinstance(doc.get("message"), str) else []
    diagnostics = doc.get("diagnostics")
    if isinstance(diagnostics, list):
        parts += [d["summary"] for d in diagnostics[:3] if isinstance(d, dict) and "summary" in d]
    return "; ".join(str(p) for p in parts)[:300]


class _Retryable(Exception):
    """Internal: an attempt failed in a way another attempt may fix."""

    def __init__(
        self, reason: str, *, status: int | None = None, unsent: bool = False,
        delay: float | None = None,
    ) -> None:  # fmt: skip
        super().__init__(reason)
        self.reason, self.status, self.unsent, self.delay = reason, status, unsent, delay


_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Session:
    """One ``httpx.AsyncClient`` for one service, with the retry and error policy."""

    def __init__(
        self,
        *,
        service: str,
        label: str,
        base_url: str,
        headers: dict[str, str],
        transport: httpx.AsyncBaseTransport | None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        pacer: WritePacer | None = None,
        login_hint: str,
        redactor: Redactor | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service, self.label, self.login_hint = service, label, login_hint
        self.policy = policy or RetryPolicy()
        self.pacer = pacer
        self.request_count = 0
        self._redactor = redactor or Redactor()
        self._sleep, self._clock = sleep, clock
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"User-Agent": USER_AGENT, **headers},
            transport=transport,
            timeout=timeout,
            verify=_tls_context() if transport is None else True,
        )

    def __repr__(self) -> str:
        return f"Session({self.service}, {self._client.base_url!s})"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        action: str,
        parse: Callable[[httpx.Response], T],
        ok: Collection[int] = (200,),
        idempotent: bool = True,
        write: bool = False,
        values: Iterable[str] = (),
        attempts: int | None = None,
        **kwargs: Any,
    ) -> T:
        """Send one logical request (maybe several attempts) and parse the answer.

        ``what`` names the object ("secret X in organization o") and ``action`` the verb
        ("write") for messages; ``values`` are secrets this call carries, scrubbed from any
        message on top of the session's redactor. ``attempts`` overrides the policy's
        count for this call (a read that confirms an unanswered write tries harder).
        """
        waited = [0.0]
        unanswered = [False]  # an attempt went out and no answer came back

        def before_sleep(state: RetryCallState) -> None:
            waited[0] += state.next_action.sleep if state.next_action else 0.0
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Retryable) and not exc.unsent and exc.delay is None:
                unanswered[0] = True
            self._log_retry(state)

        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda exc: self._retry(exc, idempotent)),
            stop=stop_after_attempt(attempts or self.policy.attempts),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        self._check_origin(path, what, action)
        scrub = Redactor(values)
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(
                        method, path, what, action, parse, ok, write, scrub, kwargs
                    )
        except _Retryable as exc:
            tries = int(retrying.statistics.get("attempt_number", 1))
            failed = self._gave_up(exc, what, action, tries, waited[0])
            failed.after_unanswered = unanswered[0] or (not exc.unsent and exc.delay is None)
            raise failed from None
        except ServiceError as exc:
            exc.after_unanswered = unanswered[0]
            raise
        raise AssertionError("unreachable")  # pragma: no cover  # tenacity reraises

    def _check_origin(self, path: str, what: str, action: str) -> None:
        """Refuse an absolute URL (a ``Link`` the service sent) that leaves the base URL's
        scheme, host and port: the token goes with every request, so it must not go there.
        """
        url = httpx.URL(path)
        if not url.is_absolute_url:
            return
        base = self._client.base_url
        if _origin(url) != _origin(base):
            raise ServiceError(
                f"{self.label}: refusing to {action} {what} at {_show(url)}: the service "
                f"pointed outside {_show(base)}, where the token must not go",
                service=self.service,
            )

    def _retry(self, exc: BaseException, idempotent: bool) -> bool:
        if not isinstance(exc, _Retryable):
            return False
        if exc.delay is not None:
            return exc.delay <= self.policy.max_rate_limit_wait
        return idempotent or exc.unsent

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.delay is not None:
            return exc.delay * self.policy.time_scale
        backoff = wait_random_exponential(
            multiplier=self.policy.backoff_initial, max=self.policy.backoff_max
        )
        return float(backoff(state)) * self.policy.time_scale

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        logger.info(
            "%s: %s; attempt %d, retrying in %.1f s", self.label, exc, state.attempt_number, delay
        )

    async def _attempt(
        self,
        method: str,
        path: str,
        what: str,
        action: str,
        parse: Callable[[httpx.Response], T],
        ok: Collection[int],
        write: bool,
        scrub: Redactor,
        kwargs: dict[str, Any],
    ) -> T:
        pacing = self.pacer.slot() if write and self.pacer else contextlib.nullcontext()
        started = time.monotonic()
        async with pacing:
            self.request_count += 1
            try:
                response = await self._client.request(method, path, **kwargs)
            except httpx.RequestError as exc:
                reason = _describe(exc)
                logger.info("%s %s %s -> %s", self.label, method, path, reason)
                raise _Retryable(reason, unsent=isinstance(exc, _UNSENT)) from None
        status = response.status_code
        logger.info(
            "%s %s %s -> %d (%.0f ms)", self.label, method, path, status,
            (time.monotonic() - started) * 1000,
        )  # fmt: skip
        if status in ok:
            try:
                return parse(response)
            except SecretSyncError:
                raise
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                # The type only: a parse error's text may quote the body.
                logger.debug("%s %s %s: unreadable body (%s)", self.label, method, path,
                             type(exc).__name__)  # fmt: skip
                raise _Retryable(f"malformed {status} response") from None
        delay = rate_limit_delay(response, self._clock(), self.policy.default_rate_limit_wait)
        if delay is not None:
            if self.pacer is not None:
                self.pacer.defer(delay * self.policy.time_scale)
            raise _Retryable(f"rate limited ({status})", status=status, delay=delay)
        if status >= 500:
            raise _Retryable(f"server error {status}", status=status)
        raise self._status_error(response, what, action, scrub)

    def _status_error(
        self, response: httpx.Response, what: str, action: str, scrub: Redactor
    ) -> SecretSyncError:
        status = response.status_code
        detail = self._redactor.redact(scrub.redact(_service_message(response)))
        suffix = f": {detail}" if detail else ""
        args: dict[str, Any] = {"service": self.service, "status": status}
        if status == 401:
            return CredentialsError(
                f"{self.label} refused the token (401) trying to {action} {what}",
                hint=self.login_hint,
            )
        if status == 403:
            return CredentialsError(
                f"{self.label} denied access (403) trying to {action} {what}{suffix}",
                hint="check that the token has the permissions this needs",
            )
        if status == 404:
            return NotFoundError(f"{what} not found", **args)
        if status == 409:
            return ConflictError(
                f"{self.label}: conflict trying to {action} {what}{suffix}", **args
            )
        if status in (400, 422):
            return RequestRejected(
                f"{self.label} rejected the request to {action} {what} ({status}){suffix}", **args
            )
        return ServiceError(
            f"{self.label}: unexpected status {status} trying to {action} {what}", **args
        )

    def _gave_up(
        self, exc: _Retryable, what: str, action: str, tries: int, waited: float
    ) -> ServiceError:
        args: dict[str, Any] = {"service": self.service, "status": exc.status}
        if exc.delay is not None:
            return RateLimitError(
                f"{self.label}: could not {action} {what}: "
                + self._rate_limit_story(exc.delay, tries, waited),
                hint="lower the write budget or retry later",
                **args,
            )
        return UnreachableError(
            f"{self.label}: could not {action} {what}: {exc.reason}"
            + (f" (gave up after {tries} attempts)" if tries > 1 else ""),
            hint="the service may be down or the network unreliable; retry later",
            **args,
        )

    def _rate_limit_story(self, asked: float, tries: int, waited: float) -> str:
        """What was asked and what was really waited: a shortened wait is said as such."""
        limit = self.policy.max_rate_limit_wait
        if asked > limit:
            told = f"the service asked to wait {asked:.0f} s, longer than the {limit:.0f} s"
            told += " this run waits"
        else:
            told = f"the service last asked to wait {asked:.0f} s"
        if tries <= 1:
            return f"rate limited ({told})"
        scale = self.policy.time_scale
        shortened = f", waits shortened by ${RETRY_SCALE_ENV_VAR}={scale:g}" if scale != 1 else ""
        return (
            f"still rate limited after {tries} attempts ({told}; waited {waited:.2f} s in "
            f"all{shortened})"
        )


def _describe(exc: httpx.RequestError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, _UNSENT):
        return "could not connect"
    return f"connection failed ({type(exc).__name__})"


class ServiceClient:
    """What the GitHub and ESC clients share: one ``Session``, async context, counting."""

    _session: Session

    @property
    def policy(self) -> RetryPolicy:
        """How hard this client tries; callers pace their own retries (409 loops) by it."""
        return self._session.policy

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._session!r})"

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.aclose()

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._session.request_count


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, made once per process: loading the CA bundle
    costs about 0.1 s, and a sync opens a GitHub and an ESC client."""
    return httpx.create_ssl_context(trust_env=True)
