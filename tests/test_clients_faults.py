"""The clients on a bad day: rate limits, 5xx, dropped connections, timeouts, leaks."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from typing import Any

import httpx
import pytest
import respx

from secretsync.clients import EscClient, GitHubClient, RetryPolicy, Scope, WritePacer
from secretsync.clients.http import rate_limit_delay
from secretsync.emulator import Emulator, Faults, ServedEmulator
from secretsync.emulator.faults import WriteLimiter
from secretsync.errors import (
    ConflictError,
    RateLimitError,
    RequestRejected,
    ServiceError,
    UnreachableError,
)

pytestmark = pytest.mark.anyio
API = "https://api.github.com"
ORG = Scope.org("acme")
FAST = RetryPolicy(attempts=6, backoff_initial=0.001, backoff_max=0.01)
CANARY = "canary-Zq8vX1-never-print-me"


class FakeClock:
    """Monotonic time that ``sleep`` advances at once: minutes of pacing in milliseconds."""

    def __init__(self) -> None:
        self.now = 5000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def _paced_client(emu: Emulator, clock: FakeClock, per_minute: float) -> GitHubClient:
    # The emulator's sliding window and the client's pacer read the same fake clock.
    emu._writes = WriteLimiter(clock)  # no public hook yet: see the report
    return GitHubClient(
        token="t",
        transport=emu.transport(),
        pacer=WritePacer(per_minute, clock=clock, sleep=clock.sleep),
        sleep=clock.sleep,
    )


def _put_statuses(emu: Emulator) -> list[int]:
    return [e["status"] for e in emu.request_log() if e["method"] == "PUT"]


async def test_pacer_spaces_writes_and_serialises_them() -> None:
    clock = FakeClock()
    pacer = WritePacer(30, clock=clock, sleep=clock.sleep)
    starts: list[float] = []
    inside = 0

    async def write() -> None:
        nonlocal inside
        async with pacer.slot():
            inside += 1
            assert inside == 1
            starts.append(clock())
            await asyncio.sleep(0)
            inside -= 1

    await asyncio.gather(*(write() for _ in range(5)))
    assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [2.0] * 4
    pacer.defer(10)  # a rate limit pushes the next slot back for every writer
    async with pacer.slot():
        assert clock() == starts[-1] + 10


async def test_same_budget_as_the_service_never_has_a_write_refused(
    secretsync_emulator: Emulator,
) -> None:
    emu, clock = secretsync_emulator, FakeClock()
    emu.set_faults(Faults(rate_limit_writes_per_minute=10))
    async with _paced_client(emu, clock, 10) as gh:
        names = [f"S_{i:02d}" for i in range(25)]
        started = clock()
        await asyncio.gather(*(gh.put_secret(ORG, n, f"value-{n}") for n in names))
    assert _put_statuses(emu) == [201] * 25
    assert clock() - started >= 24 * 6.0  # paced, not bursted
    stored = {s["name"]: s["value"] for s in emu.state()["github"]["secrets"]}
    assert stored == {n: f"value-{n}" for n in names}


async def test_tighter_service_limit_is_waited_out(secretsync_emulator: Emulator) -> None:
    emu, clock = secretsync_emulator, FakeClock()
    emu.set_faults(Faults(rate_limit_writes_per_minute=8, rate_limit_status=429))
    async with _paced_client(emu, clock, 10) as gh:
        for i in range(20):
            await gh.put_secret(ORG, f"S_{i:02d}", "v")
    statuses = _put_statuses(emu)
    assert statuses.count(429) >= 1  # the service did push back
    assert statuses.count(201) == 20  # and every write landed exactly once
    assert any(s >= 1 for s in clock.slept)  # retry-after was honoured


async def test_real_time_pacing_at_the_service_budget(
    secretsync_emulator_server: ServedEmulator,
) -> None:
    served = secretsync_emulator_server
    served.emulator.set_faults(Faults(rate_limit_writes_per_minute=600))
    slept: list[float] = []

    async def recording_sleep(seconds: float) -> None:  # real waits, recorded
        slept.append(seconds)
        await asyncio.sleep(seconds)

    async with GitHubClient(
        token="t", base_url=served.url, writes_per_minute=600, sleep=recording_sleep
    ) as gh:
        await gh.public_key(ORG)
        for i in range(15):
            await gh.put_secret(ORG, f"S_{i:02d}", "v")
    # The work done: the service, counting writes per minute, never pushed back, and each
    # write landed once; one key read served every write. How long the pacer waits depends
    # on how fast the machine is (a loaded one may need no wait at all), so no duration is
    # checked here: the spacing itself is checked on a fake clock above.
    assert _put_statuses(served.emulator) == [201] * 15
    methods = [e["method"] for e in served.emulator.request_log()]
    assert methods == ["GET"] + ["PUT"] * 15
    assert len(slept) <= 15  # at most one wait per write, all through the client's sleep


@respx.mock
async def test_retry_after_is_honoured() -> None:
    respx.get(f"{API}/orgs/acme/actions/secrets/X").mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after": "1"}, json={"message": "slow down"}),
            httpx.Response(200, json={"name": "X", "created_at": "2026-01-01T00:00:00Z",
                                      "updated_at": "2026-01-01T00:00:00Z"}),
        ]
    )  # fmt: skip
    slept: list[float] = []

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    async with GitHubClient(token="t", base_url=API, sleep=recording_sleep) as gh:
        meta = await gh.get_secret(ORG, "X")
    assert meta.name == "X"
    assert slept == [1.0]  # the service's retry-after, not the client's own backoff


@respx.mock
async def test_a_rate_limit_longer_than_the_policy_allows_fails_at_once() -> None:
    route = respx.delete(f"{API}/orgs/acme/actions/secrets/OLD").respond(
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 3600)},
        json={"message": "API rate limit exceeded"},
    )
    async with GitHubClient(token="t", base_url=API) as gh:
        with pytest.raises(RateLimitError, match="secret OLD in organization acme") as caught:
            await gh.delete_secret(ORG, "OLD")
    assert route.call_count == 1
    assert caught.value.status == 403


def test_rate_limit_detection() -> None:
    now = 1_000_000.0

    def answer(status: int, headers: dict[str, str], message: str = "") -> httpx.Response:
        return httpx.Response(status, headers=headers, json={"message": message})

    assert rate_limit_delay(answer(429, {"retry-after": "7"}), now) == 7
    assert rate_limit_delay(answer(403, {"retry-after": "2"}), now) == 2
    reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now) + 30)}
    assert rate_limit_delay(answer(403, reset), now) == 31
    secondary = answer(403, {}, "You have exceeded a secondary rate limit")
    assert rate_limit_delay(secondary, now, default=60) == 60
    assert rate_limit_delay(answer(429, {}), now, default=45) == 45
    # A plain 403 (permissions), even with GitHub's usual headers, is not a rate limit.
    usual = {"x-ratelimit-remaining": "4999", "x-ratelimit-reset": str(int(now) + 30)}
    assert rate_limit_delay(answer(403, usual, "Must have admin rights"), now) is None
    assert rate_limit_delay(answer(500, {"retry-after": "1"}), now) is None


@pytest.mark.parametrize("over", ["in-process", "http"])
async def test_under_injected_faults_every_call_succeeds_or_fails_cleanly(
    secretsync_emulator: Emulator, request: pytest.FixtureRequest, over: str
) -> None:
    emu = secretsync_emulator
    if over == "http":
        served: ServedEmulator = request.getfixturevalue("secretsync_emulator_server")
        where: dict[str, Any] = {"base_url": served.url}
    else:
        where = {"transport": emu.transport()}
    for i in range(150):
        emu.seed_github_secret("orgs/acme", f"SEED_{i:03d}", "v")
    emu.set_faults(Faults(fail_rate=0.25, drop_rate=0.1, truncate_rate=0.1, seed=11))
    outcomes: dict[str, str] = {}
    values = {f"PUSHED_{i:02d}": f"value-{i}" for i in range(30)}
    async with GitHubClient(token="t", writes_per_minute=60000, policy=FAST, **where) as gh:
        for name, value in values.items():
            try:
                await gh.put_secret(ORG, name, value)
                outcomes[name] = "ok"
            except ServiceError as exc:
                outcomes[name] = str(exc)
        listed = await gh.list_secrets(ORG)
    assert "ok" in outcomes.values()
    for name, outcome in outcomes.items():  # a failure is one line naming scope and secret
        assert outcome == "ok" or (
            "\n" not in outcome and f"secret {name} in organization acme" in outcome
        )
    assert {s.name for s in listed} >= {f"SEED_{i:03d}" for i in range(150)}
    stored = {s["name"]: s["value"] for s in emu.state()["github"]["secrets"]}
    # Nothing written twice by mistake: a PUT is applied again only after an attempt whose
    # answer was lost (dropped or truncated), the one case where the client cannot know.
    applied: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for entry in emu.request_log():
        if entry["method"] == "PUT" and entry["status"] in (201, 204):
            name = entry["path"].rsplit("/", 1)[1]
            applied[name] += 1
            lost[name] += entry["fault"] in ("drop", "truncate")
    for name, outcome in outcomes.items():
        if outcome == "ok":
            assert stored[name] == values[name]
            assert applied[name] == lost[name] + 1
        else:
            assert applied[name] == lost[name]  # every landed attempt lost its answer
    assert sum(lost.values()) >= 1  # the run really did exercise lost answers


async def test_server_errors_exhaust_retries_with_one_line(secretsync_emulator: Emulator) -> None:
    emu = secretsync_emulator
    emu.set_faults(Faults(fail_rate=1.0, fail_status=502))
    async with GitHubClient(
        token="t", transport=emu.transport(), policy=RetryPolicy(attempts=3, backoff_initial=0.001)
    ) as gh:
        with pytest.raises(UnreachableError) as caught:
            await gh.list_secrets(Scope.repo("acme", "web"))
        assert gh.request_count == 3
    message = str(caught.value)
    assert message == (
        "GitHub: could not list secrets of repository acme/web: server error 502 "
        "(gave up after 3 attempts)"
    )
    assert caught.value.status == 502 and caught.value.service == "github"


async def test_timeouts_are_retried_then_reported(
    secretsync_emulator_server: ServedEmulator,
) -> None:
    served = secretsync_emulator_server
    served.emulator.set_faults(Faults(latency_ms=400))
    async with GitHubClient(
        token="t",
        base_url=served.url,
        timeout=httpx.Timeout(0.1),
        policy=RetryPolicy(attempts=2, backoff_initial=0.001),
    ) as gh:
        with pytest.raises(UnreachableError, match=r"secret S in organization acme: timed out"):
            await gh.get_secret(ORG, "S")
        assert gh.request_count == 2


class DropFirst(httpx.AsyncBaseTransport):
    """The emulator's transport, but the first ``method`` request is applied, then dropped."""

    def __init__(self, emu: Emulator, method: str) -> None:
        self.inner, self.method, self.dropped = emu.transport(), method, False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == self.method and not self.dropped:
            self.dropped = True
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        return response


async def test_dropped_connection_on_a_write_is_retried_and_counted_once(
    secretsync_emulator: Emulator,
) -> None:
    emu = secretsync_emulator
    transport = DropFirst(emu, "PUT")
    async with GitHubClient(
        token="t", transport=transport, policy=FAST, writes_per_minute=6000
    ) as gh:
        created = await gh.put_secret(ORG, "DROPPED", "v1")
        assert gh.request_count == 3  # public key, the lost PUT, the retry
    assert transport.dropped
    assert _put_statuses(emu) == [201, 204]
    assert created is False  # the retry found the secret the lost attempt had created
    assert [s["value"] for s in emu.state()["github"]["secrets"]] == ["v1"]


async def test_canary_value_never_leaks(
    secretsync_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu = secretsync_emulator
    texts: list[str] = []
    async with GitHubClient(
        token="t", transport=emu.transport(), policy=FAST, writes_per_minute=6000
    ) as gh:
        texts.append(repr(gh))
        emu.set_faults(Faults(fail_rate=1.0))
        with pytest.raises(UnreachableError) as unreachable:
            await gh.put_secret(ORG, "API_KEY", CANARY)
        emu.set_faults(Faults())
        with pytest.raises(RequestRejected) as rejected:  # GITHUB_ names are refused (422)
            await gh.put_secret(ORG, "GITHUB_API_KEY", CANARY)
        emu.set_faults(Faults(drop_rate=0.5, truncate_rate=0.3, seed=3))
        for _ in range(5):
            try:
                await gh.put_secret(ORG, "API_KEY", CANARY)
            except ServiceError as exc:
                texts += [str(exc), repr(exc), exc.hint or ""]
    for error in (unreachable.value, rejected.value):
        texts += [str(error), repr(error), error.hint or "", repr(error.args)]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    assert any("API_KEY" in text for text in texts)
    assert not [text for text in texts if CANARY in text]


@respx.mock
async def test_a_service_message_echoing_the_value_is_scrubbed() -> None:
    private_key = "hLMm9BkF8KUsRZoOEJVw4rS8O6cSaygtBiBhLmRdvmc="  # any 32 bytes, Base64
    respx.get(f"{API}/orgs/acme/actions/secrets/public-key").respond(
        json={"key_id": "1", "key": private_key}
    )
    respx.put(f"{API}/orgs/acme/actions/secrets/API_KEY").respond(
        422, json={"message": f"value {CANARY} is not allowed"}
    )
    async with GitHubClient(token="t", base_url=API) as gh:
        with pytest.raises(RequestRejected) as caught:
            await gh.put_secret(ORG, "API_KEY", CANARY)
    assert CANARY not in str(caught.value)
    assert "is not allowed" in str(caught.value)


ESC_ORG, ESC_PROJECT = "scoobyjava-org", "default"
ESC_YAML = "values:\n  app:\n    token:\n      fn::secret: " + CANARY + "\n  region: eu\n"


async def test_patch_with_etag_retried_after_a_drop_surfaces_a_conflict(
    secretsync_emulator: Emulator,
) -> None:
    emu = secretsync_emulator
    emu.seed_esc_environment(ESC_ORG, ESC_PROJECT, "prod", ESC_YAML)
    async with EscClient(token="t", transport=DropFirst(emu, "PATCH"), policy=FAST) as esc:
        read = await esc.get_definition(ESC_ORG, ESC_PROJECT, "prod", decrypt=True)
        mine = read.yaml.replace("region: eu", "region: us")
        with pytest.raises(ConflictError) as caught:
            await esc.update_definition(ESC_ORG, ESC_PROJECT, "prod", mine, etag=read.etag)
        again = await esc.get_definition(ESC_ORG, ESC_PROJECT, "prod", decrypt=True)
    # Our own write landed before the connection dropped; the re-read shows it, once.
    assert [e["status"] for e in emu.request_log() if e["method"] == "PATCH"] == [200, 409]
    assert "region: us" in again.yaml
    assert again.revision == (read.revision or 0) + 1
    assert "re-read" in (caught.value.hint or "")
    # The 409 met a retry of a write that went out unanswered: it may be our own.
    assert caught.value.after_unanswered is True


async def test_patch_without_etag_is_never_retried(secretsync_emulator: Emulator) -> None:
    emu = secretsync_emulator
    emu.seed_esc_environment(ESC_ORG, ESC_PROJECT, "prod", ESC_YAML)
    async with EscClient(token="t", transport=DropFirst(emu, "PATCH"), policy=FAST) as esc:
        with pytest.raises(UnreachableError) as caught:
            await esc.update_definition(ESC_ORG, ESC_PROJECT, "prod", "values:\n  a: 1\n")
    assert str(caught.value) == (
        "ESC: could not update environment scoobyjava-org/default/prod: "
        "connection failed (RemoteProtocolError)"
    )
    assert [e["method"] for e in emu.request_log()] == ["PATCH"]


async def test_esc_reads_ride_out_server_errors_and_creates_are_not_repeated(
    secretsync_emulator: Emulator,
) -> None:
    emu = secretsync_emulator
    emu.seed_esc_environment(ESC_ORG, ESC_PROJECT, "prod", ESC_YAML)
    emu.set_faults(Faults(fail_rate=0.3, truncate_rate=0.1, seed=5))
    async with EscClient(token="t", transport=emu.transport(), policy=FAST) as esc:
        for _ in range(10):
            values = await esc.open_and_read(ESC_ORG, ESC_PROJECT, "prod")
            assert values["app"]["token"] == CANARY
        emu.set_faults(Faults(fail_rate=1.0))
        with pytest.raises(UnreachableError, match=r"could not create environment .*/staging"):
            await esc.create_environment(ESC_ORG, ESC_PROJECT, "staging")
    assert [e["method"] for e in emu.request_log()].count("POST") >= 11
    creates = [e for e in emu.request_log() if e["path"].endswith(f"/environments/{ESC_ORG}")]
    assert len(creates) == 1  # not idempotent: one attempt only


async def test_esc_canary_never_leaks(
    secretsync_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu = secretsync_emulator
    emu.seed_esc_environment(ESC_ORG, ESC_PROJECT, "prod", ESC_YAML)
    texts: list[str] = []
    async with EscClient(token="t", transport=emu.transport(), policy=FAST) as esc:
        decrypted = await esc.get_definition(ESC_ORG, ESC_PROJECT, "prod", decrypt=True)
        texts += [repr(decrypted), repr(esc)]
        bad = decrypted.yaml + "  broken: ${app.token.nope}\n"
        for faults in (Faults(), Faults(fail_rate=1.0), Faults(drop_rate=1.0)):
            emu.set_faults(faults)
            try:
                await esc.update_definition(ESC_ORG, ESC_PROJECT, "prod", bad, etag=decrypted.etag)
            except ServiceError as exc:
                texts += [str(exc), repr(exc), exc.hint or ""]
    texts += [record.getMessage() for record in caplog.records]
    assert len(texts) >= 5
    assert not [text for text in texts if CANARY in text]
