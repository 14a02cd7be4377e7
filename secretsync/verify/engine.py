"""Sending the catalog's requests, safely, and sorting each answer into live/rejected/unknown.

The rules this module keeps, whatever a value or a provider says:

* https to the provider's fixed host from :mod:`secretsync.verify.catalog`, nothing else;
  the only override is ``$SECRETSYNC_PROVIDERS_URL``, accepted for loopback addresses only
  (the emulator), where requests go to ``{url}/{provider}/...``;
* redirects are never followed (a 3xx is ``unknown``), so no answer can send a credential
  to another host;
* a timeout per call, at most :data:`PER_PROVIDER` calls in flight per provider, one retry
  after a network error or 5xx, and a ``retry-after`` waited out once when it is short;
* a value goes only to the provider whose format it matches (the caller checks), and the
  same value is asked once per run however many secrets and environments hold it;
* no value and no response body reach a log line, a detail or an exception: details are
  built from status codes and documented error codes only.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from secretsync.clients.credentials import is_loopback
from secretsync.clients.http import USER_AGENT, RetryPolicy, Sleep, rate_limit_delay
from secretsync.errors import ConfigError
from secretsync.verify.catalog import Check, ProviderSpec
from secretsync.verify.status import Outcome, Status

__all__ = ["PER_PROVIDER", "PROVIDERS_URL_ENV", "TIMEOUT", "Verifier", "providers_url"]

PROVIDERS_URL_ENV = "SECRETSYNC_PROVIDERS_URL"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
PER_PROVIDER = 3
MAX_RATE_LIMIT_WAIT = 30.0  # seconds; a longer retry-after is reported, not waited out
_BODY_LIMIT = 65536  # bytes of a Slack answer read at most
logger = logging.getLogger("secretsync.verify")


def providers_url(environ: Mapping[str, str]) -> str | None:
    """``$SECRETSYNC_PROVIDERS_URL`` when set (loopback only), else None: the real hosts."""
    raw = environ.get(PROVIDERS_URL_ENV, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(
            f"${PROVIDERS_URL_ENV} is not an http(s) URL with a host",
            hint="for the emulator: http://127.0.0.1:8900/_providers",
        )
    if not is_loopback(host):
        raise ConfigError(
            f"${PROVIDERS_URL_ENV} may only point at a loopback address, not {host}: "
            "verify would send every credential there",
            hint="unset it to ask each provider's own host; 127.0.0.1, ::1 or localhost "
            "for the emulator",
        )
    return raw.rstrip("/")


@dataclass
class _Counters:
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


class Verifier:
    """Asks providers about credentials; one per run (``async with Verifier(...) as v``)."""

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
        timeout: httpx.Timeout = TIMEOUT,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._override = providers_url(environ)
        self._policy = policy or RetryPolicy.from_environ(environ)
        self._transport = transport
        self._timeout = timeout
        self._sleep = sleep
        self._shared: httpx.AsyncClient | None = None
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._asked: dict[tuple[str, str, str | None], asyncio.Task[Outcome]] = {}
        self.counters: dict[str, _Counters] = {}

    def __repr__(self) -> str:
        return f"Verifier(override={self._override!r})"

    async def __aenter__(self) -> Verifier:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._shared is not None:
            await self._shared.aclose()
            self._shared = None

    @property
    def request_count(self) -> int:
        return sum(c.requests for c in self.counters.values())

    def base_url(self, provider: ProviderSpec) -> str:
        """Where ``provider``'s requests go: its own host, or the loopback override."""
        if self._override is not None:
            return f"{self._override}/{provider.name}"
        return f"https://{provider.host}"

    async def verify(
        self, provider: ProviderSpec, check: Check, value: str, account: str | None = None
    ) -> Outcome:
        """The provider's answer for ``value``; the same question is sent once per run."""
        key = (provider.name, value, account)
        task = self._asked.get(key)
        if task is None:
            task = asyncio.ensure_future(self._ask(provider, check, value, account))
            self._asked[key] = task
        return await asyncio.shield(task)

    # -- one question -------------------------------------------------------------------
    def _client(self, provider: ProviderSpec) -> httpx.AsyncClient:
        """One client for every provider (one TLS setup; a connection pool per host), and
        one gate and set of counters per provider."""
        if self._shared is None:
            self._shared = httpx.AsyncClient(
                headers={"User-Agent": USER_AGENT},
                transport=self._transport,
                timeout=self._timeout,
                follow_redirects=False,
            )
        if provider.name not in self._gates:
            self._gates[provider.name] = asyncio.Semaphore(PER_PROVIDER)
            self.counters[provider.name] = _Counters()
        return self._shared

    async def _ask(
        self, provider: ProviderSpec, check: Check, value: str, account: str | None
    ) -> Outcome:
        client = self._client(provider)
        request = _build(client, self.base_url(provider), check, value, account)
        network_retry = rate_retry = True
        while True:
            outcome, wait = await self._once(provider, client, check, request)
            if wait is None:
                return outcome
            if wait < 0:  # a network error or 5xx: one more try after a pause
                if not network_retry:
                    return outcome
                network_retry = False
                # -1 asks for the usual short backoff; a 5xx's retry-after says more.
                pause = self._policy.backoff_initial if wait == -1.0 else -wait
                await self._sleep(pause * self._policy.time_scale)
            else:
                if not rate_retry:
                    return outcome
                rate_retry = False
                await self._sleep(wait * self._policy.time_scale)

    async def _once(
        self, provider: ProviderSpec, client: httpx.AsyncClient, check: Check,
        request: httpx.Request,
    ) -> tuple[Outcome, float | None]:  # fmt: skip
        """One attempt: the outcome, and how long to wait before another (None: final;
        negative: a transient failure worth one more try)."""
        counters = self.counters[provider.name]
        where = f"{provider.name} {check.method} {_path_only(check.path)}"
        async with self._gates[provider.name]:
            counters.requests += 1
            counters.in_flight += 1
            counters.max_in_flight = max(counters.max_in_flight, counters.in_flight)
            started = time.monotonic()
            try:
                response = await client.send(request)
            except httpx.TimeoutException:
                logger.info("verify %s -> timed out", where)
                return Outcome(Status.UNKNOWN, f"{request.url.host} did not answer in time"), -1.0
            except httpx.RequestError as exc:
                logger.info("verify %s -> %s", where, type(exc).__name__)
                return Outcome(Status.UNKNOWN, f"could not reach {request.url.host}"), -1.0
            finally:
                counters.in_flight -= 1
        logger.info(
            "verify %s -> %d (%.0f ms)", where, response.status_code,
            (time.monotonic() - started) * 1000,
        )  # fmt: skip
        return _judge(provider, check, response)


def _build(
    client: httpx.AsyncClient, base: str, check: Check, value: str, account: str | None
) -> httpx.Request:
    """The request for ``check`` carrying ``value`` the way the provider documents."""
    headers = dict(check.headers)
    json_body: dict[str, str] | None = None
    if check.auth == "bearer":
        headers["Authorization"] = f"Bearer {value}"
    elif check.auth == "token":
        headers["Authorization"] = f"token {value}"
    elif check.auth == "header":
        headers[check.header] = value
    else:  # dockerhub-json: the account name and the token in a JSON body
        json_body = {"identifier": account or "", "secret": value}
    return client.build_request(check.method, base + check.path, headers=headers, json=json_body)


def _judge(
    provider: ProviderSpec, check: Check, response: httpx.Response
) -> tuple[Outcome, float | None]:
    """Sort one answer. Details name statuses and documented error codes, never the body."""
    status = response.status_code
    answer = f"{check.method} {_path_only(check.path)}: {status}"
    if check.rejected_errors and status == 200:
        return _judge_slack(check, response, answer), None
    if status in check.live:
        note = dict(check.live_notes).get(status)
        return Outcome(Status.LIVE, f"{answer} ({note})" if note else answer), None
    if status in check.rejected:
        return Outcome(Status.REJECTED, f"{answer} (does not authenticate)"), None
    if 300 <= status < 400:
        return Outcome(Status.UNKNOWN, f"{answer} (a redirect, not followed)"), None
    delay = rate_limit_delay(response, time.time(), default=5.0)
    if delay is not None:
        outcome = Outcome(Status.UNKNOWN, f"{answer} (rate limited: asked to wait {delay:.0f} s)")
        return outcome, (delay if delay <= MAX_RATE_LIMIT_WAIT else None)
    if status >= 500:
        after = _retry_after(response)
        outcome = Outcome(Status.UNKNOWN, f"{answer} (the provider failed)")
        if after is not None and after > MAX_RATE_LIMIT_WAIT:
            return outcome, None  # it asked for longer than verify waits
        return outcome, (-after if after else -1.0)
    return Outcome(Status.UNKNOWN, f"{answer} (says nothing about the credential)"), None


def _retry_after(response: httpx.Response) -> float | None:
    """A 5xx's ``retry-after`` in seconds (a number or an HTTP date), if it has one."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(raw))
    with contextlib.suppress(TypeError, ValueError):
        return max(0.0, email.utils.parsedate_to_datetime(raw).timestamp() - time.time())
    return None


def _judge_slack(check: Check, response: httpx.Response, answer: str) -> Outcome:
    """Slack's Web API: 200 with ``ok``, and ``error`` from the method's documented list."""
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("ok"), bool):
        return Outcome(Status.UNKNOWN, f"{answer} (without the documented ok field)")
    if doc["ok"]:
        return Outcome(Status.LIVE, f"{answer}, ok: true")
    error = doc.get("error")
    if isinstance(error, str) and error in check.rejected_errors:
        return Outcome(Status.REJECTED, f"{answer}, ok: false ({error})")
    # Any other code may be arbitrary text: never shown.
    return Outcome(
        Status.UNKNOWN, f"{answer}, ok: false (an error that says nothing about the token)"
    )


def _path_only(path: str) -> str:
    """The path without its query, for logs and details."""
    return path.split("?", 1)[0]
