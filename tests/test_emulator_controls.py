"""Test controls, the request log, the clock and injected faults (in-process front end)."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from concurrency_support import InFlightProbe
from nacl.public import PublicKey, SealedBox

from secretsync.emulator import Emulator, Faults, FaultsError
from secretsync.emulator.faults import WriteLimiter

ORG = "ai-cherry"
CANARY = "canary-Hc4pQ7rWz1Vn8Ks"
AUTH = {"Authorization": "token t"}


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=emu.transport(), base_url="http://gh.test", headers=AUTH) as c:
        yield c


def put_org_secret(client: httpx.Client, name: str, value: str) -> httpx.Response:
    key = client.get(f"/orgs/{ORG}/actions/secrets/public-key").json()
    sealed = SealedBox(PublicKey(base64.b64decode(key["key"]))).encrypt(value.encode())
    body = {
        "encrypted_value": base64.b64encode(sealed).decode(),
        "key_id": key["key_id"],
        "visibility": "all",
    }
    return client.put(f"/orgs/{ORG}/actions/secrets/{name}", json=body)


def names(emu: Emulator) -> list[str]:
    return [s["name"] for s in emu.state()["github"]["secrets"]]


# -- state, reset, request log ---------------------------------------------------------
def test_state_shows_scope_times_visibility_and_plain_values(
    emu: Emulator, client: httpx.Client
) -> None:
    client.put("/_emulator/clock", json={"now": "2026-03-04T05:06:07Z"})
    emu.add_repository(ORG, "sophia-main")
    emu.seed_github_secret(
        f"orgs/{ORG}", "picked", CANARY, visibility="selected", repositories=["sophia-main"]
    )
    emu.seed_github_secret(f"repos/{ORG}/sophia-main/environments/production", "ENV_ONE", "e")
    state = client.get("/_emulator/state", headers={"Authorization": ""}).json()
    assert state["now"] == "2026-03-04T05:06:07Z"
    org_secret, env_secret = state["github"]["secrets"]
    assert org_secret == {
        "scope": f"orgs/{ORG}",
        "name": "PICKED",
        "value": CANARY,
        "created_at": "2026-03-04T05:06:07Z",
        "updated_at": "2026-03-04T05:06:07Z",
        "visibility": "selected",
        "selected_repositories": [f"{ORG}/sophia-main"],
        "selected_repository_ids": [emu.add_repository(ORG, "sophia-main")],
    }
    assert env_secret["scope"] == f"repos/{ORG}/sophia-main/environments/production"
    assert "visibility" not in env_secret
    assert state["github"]["repositories"][0]["environments"] == ["production"]
    assert "esc" in state


def test_seeding_accepts_an_explicit_updated_at(emu: Emulator) -> None:
    emu.seed_github_secret(f"orgs/{ORG}", "OLD", "v", updated_at="2025-01-01T00:00:00Z")
    [entry] = emu.state()["github"]["secrets"]
    assert entry["updated_at"] == entry["created_at"] == "2025-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("scope", "name"),
    [("orgs/x", "GITHUB_X"), ("orgs/x", "1A"), ("teams/x", "A"), ("repos/x", "A")],
)
def test_seeding_refuses_what_github_would(emu: Emulator, scope: str, name: str) -> None:
    with pytest.raises(ValueError, match=r"secret|scope"):
        emu.seed_github_secret(scope, name, "v")


def test_reset_empties_state_and_log_but_keeps_faults(emu: Emulator, client: httpx.Client) -> None:
    emu.set_faults(Faults(latency_ms=0, rate_limit_writes_per_minute=50))
    put_org_secret(client, "A", "v")
    assert client.post("/_emulator/reset").status_code == 204
    assert names(emu) == []
    assert emu.request_log() == []
    assert emu.faults.rate_limit_writes_per_minute == 50
    assert client.get(f"/orgs/{ORG}/actions/secrets").json()["total_count"] == 0


def test_request_log_has_method_path_query_status_only(emu: Emulator, client: httpx.Client) -> None:
    put_org_secret(client, "CANARY", CANARY)
    client.get(f"/orgs/{ORG}/actions/secrets", params={"per_page": 5, "page": 2})
    client.get("/_emulator/state")  # controls are not logged
    log = client.get("/_emulator/requests").json()["requests"]
    assert [(e["method"], e["status"]) for e in log] == [("GET", 200), ("PUT", 201), ("GET", 200)]
    assert log[2] == {
        "method": "GET",
        "path": f"/orgs/{ORG}/actions/secrets",
        "query": "per_page=5&page=2",
        "status": 200,
        "fault": None,
    }
    assert CANARY not in str(log)
    assert "token t" not in str(log)
    assert client.delete("/_emulator/requests").status_code == 204
    assert emu.request_log() == []


def test_unknown_control_and_bad_bodies_are_4xx(client: httpx.Client) -> None:
    assert client.get("/_emulator/nothing").status_code == 404
    assert client.put("/_emulator/clock", json={"now": "yesterday"}).status_code == 400
    assert client.put("/_emulator/clock", json={"now": "2026-01-01T00:00:00"}).status_code == 400
    assert client.put("/_emulator/clock", content=b"[").status_code == 400
    assert client.put("/_emulator/faults", json={"fail_rate": 2}).status_code == 400
    assert client.put("/_emulator/faults", json={"explode": True}).status_code == 400
    assert client.put("/_emulator/faults", json={"rate_limit_status": 500}).status_code == 400


# -- clock -----------------------------------------------------------------------------
def test_clock_freezes_moves_and_returns_to_real_time(emu: Emulator, client: httpx.Client) -> None:
    frozen = client.put("/_emulator/clock", json={"now": "2026-01-01T00:00:00Z"})
    assert frozen.json() == {"now": "2026-01-01T00:00:00Z"}
    put_org_secret(client, "A", "v")
    emu.clock.advance(90)
    put_org_secret(client, "A", "v2")
    [entry] = emu.state()["github"]["secrets"]
    assert (entry["created_at"], entry["updated_at"]) == (
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:01:30Z",
    )
    real = client.put("/_emulator/clock", json={"now": None}).json()["now"]
    assert real[:4] != "2026" or real > "2026-01-02"


# -- faults ----------------------------------------------------------------------------
def test_faults_round_trip_over_http(emu: Emulator, client: httpx.Client) -> None:
    answer = client.put("/_emulator/faults", json={"fail_rate": 0.25, "seed": 7})
    assert answer.json()["fail_rate"] == 0.25
    assert client.get("/_emulator/faults").json() == {
        **Faults().to_json(),
        "fail_rate": 0.25,
        "seed": 7,
    }
    assert emu.faults == Faults(fail_rate=0.25, seed=7)
    with pytest.raises(FaultsError):
        Faults(latency_ms=-1)


def test_fail_rate_answers_fail_status_before_applying(emu: Emulator, client: httpx.Client) -> None:
    key = client.get(f"/orgs/{ORG}/actions/secrets/public-key").json()
    emu.set_faults(Faults(fail_rate=1.0, fail_status=502))
    sealed = SealedBox(PublicKey(base64.b64decode(key["key"]))).encrypt(b"v")
    body = {
        "encrypted_value": base64.b64encode(sealed).decode(),
        "key_id": key["key_id"],
        "visibility": "all",
    }
    answer = client.put(f"/orgs/{ORG}/actions/secrets/NEVER", json=body)
    assert answer.status_code == 502
    assert names(emu) == []
    assert emu.request_log()[-1]["fault"] == "fail"
    assert client.get("/_emulator/state").status_code == 200  # controls are never faulted
    emu.set_faults(Faults(fail_rate=1.0, fail_status=499))  # not a registered status
    odd = client.get(f"/orgs/{ORG}")
    assert (odd.status_code, odd.json()["message"]) == (499, "Injected failure")


def test_faults_are_deterministic_per_seed() -> None:
    def run() -> list[int]:
        emu = Emulator(Faults(fail_rate=0.5, seed=42))
        with httpx.Client(transport=emu.transport(), base_url="http://gh.test", headers=AUTH) as c:
            return [c.get(f"/orgs/{ORG}").status_code for _ in range(40)]

    first = run()
    assert first == run()
    assert 5 < first.count(503) < 35


def test_drop_applies_the_write_then_closes_without_an_answer(
    emu: Emulator, client: httpx.Client
) -> None:
    key = client.get(f"/orgs/{ORG}/actions/secrets/public-key").json()
    emu.set_faults(Faults(drop_rate=1.0))
    sealed = SealedBox(PublicKey(base64.b64decode(key["key"]))).encrypt(b"v")
    body = {"encrypted_value": base64.b64encode(sealed).decode(), "key_id": key["key_id"]}
    with pytest.raises(httpx.RemoteProtocolError):
        client.put(f"/orgs/{ORG}/actions/secrets/DROPPED", json={**body, "visibility": "all"})
    assert names(emu) == ["DROPPED"]
    assert emu.request_log()[-1] == {
        "method": "PUT",
        "path": f"/orgs/{ORG}/actions/secrets/DROPPED",
        "query": "",
        "status": 201,
        "fault": "drop",
    }


def test_truncate_cuts_the_body_after_applying(emu: Emulator, client: httpx.Client) -> None:
    emu.seed_github_secret(f"orgs/{ORG}", "A", "v")
    emu.set_faults(Faults(truncate_rate=1.0))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"/orgs/{ORG}/actions/secrets")
    with client.stream("GET", f"/orgs/{ORG}/actions/secrets") as streamed:
        assert streamed.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            streamed.read()


def test_async_transport_faults_and_latency_do_not_block_the_loop() -> None:
    asyncio.run(_async_transport_checks())


async def _async_transport_checks() -> None:
    emu = Emulator(Faults(latency_ms=200))
    probe = InFlightProbe(emu.transport())
    async with httpx.AsyncClient(
        transport=probe, base_url="http://gh.test", headers=AUTH
    ) as client:
        answers = await asyncio.gather(*(client.get(f"/orgs/{ORG}") for _ in range(5)))
        assert [a.status_code for a in answers] == [200] * 5
        # All five waited at once: the latency is an asyncio.sleep that frees the loop (a
        # blocking sleep would finish each request before the next one started).
        assert probe.peak == 5
        emu.set_faults(Faults(drop_rate=1.0))
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"/orgs/{ORG}")
        emu.set_faults(Faults(truncate_rate=1.0))
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"/orgs/{ORG}")


def test_sync_latency_delays_every_api_request(
    emu: Emulator, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    real_sleep = time.sleep

    def recording_sleep(seconds: float) -> None:
        slept.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", recording_sleep)
    emu.set_faults(Faults(latency_ms=60))
    assert client.get(f"/orgs/{ORG}").status_code == 200
    assert slept == [0.06]  # the API answer was held for the injected latency
    assert client.get("/_emulator/state").status_code == 200
    assert slept == [0.06]  # a control call never is


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_refuses_writes_beyond_the_budget(
    emu: Emulator, client: httpx.Client, status: int
) -> None:
    emu.set_faults(Faults(rate_limit_writes_per_minute=3, rate_limit_status=status))
    answers = [put_org_secret(client, f"S{i}", "v") for i in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, status]
    refused = answers[-1]
    assert "secondary rate limit" in refused.json()["message"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "x-ratelimit-remaining" in refused.headers
    assert names(emu) == ["S0", "S1", "S2"]
    assert client.get(f"/orgs/{ORG}/actions/secrets").status_code == 200  # reads still pass
    assert emu.request_log()[-2]["fault"] == "rate_limit"


def test_write_window_slides_in_real_time() -> None:
    now = [1000.0]
    limiter = WriteLimiter(monotonic=lambda: now[0])
    assert limiter.admit(2) is None
    now[0] += 10
    assert limiter.admit(2) is None
    now[0] += 10
    assert limiter.admit(2) == 40  # the write at t=0 leaves the window at t=60
    now[0] += 40
    assert limiter.admit(2) is None  # refused writes did not count
    assert limiter.admit(2) == 10  # next to leave: the write at t=10
    assert limiter.admit(None) is None


def test_python_controls_match_http_ones(emu: Emulator) -> None:
    emu.seed_github_secret(f"orgs/{ORG}", "A", "v")
    state: dict[str, Any] = emu.state()
    assert state["github"]["secrets"][0]["name"] == "A"
    emu.reset()
    assert emu.state()["github"]["secrets"] == []


def test_esc_requests_are_faulted_and_logged_too(emu: Emulator, client: httpx.Client) -> None:
    emu.set_faults(Faults(fail_rate=1.0, fail_status=503))
    answer = client.get("/api/esc/environments/acme")
    assert answer.status_code == 503
    assert answer.json() == {"code": 503, "message": "Service Unavailable"}
    assert "x-ratelimit-limit" not in answer.headers  # GitHub's budget headers are GitHub's
    assert emu.request_log()[-1]["path"] == "/api/esc/environments/acme"


def test_the_write_window_can_run_on_a_given_clock() -> None:
    now = [0.0]
    emu = Emulator(Faults(rate_limit_writes_per_minute=1), monotonic=lambda: now[0])
    with httpx.Client(transport=emu.transport(), base_url="http://gh.test", headers=AUTH) as c:
        assert put_org_secret(c, "A", "1").status_code == 201
        refused = put_org_secret(c, "A", "2")
        assert (refused.status_code, refused.headers["retry-after"]) == (403, "60")
        now[0] += 60
        assert put_org_secret(c, "A", "3").status_code == 204
    assert emu.state()["github"]["secrets"][0]["value"] == "3"


def test_injected_429_and_503_say_when_to_retry(secretsync_emulator: Any) -> None:
    from secretsync.emulator import Faults
    from secretsync.emulator._http import EmuRequest

    for status in (429, 503, 500):
        secretsync_emulator.set_faults(Faults(fail_rate=1.0, fail_status=status, seed=1))
        request = EmuRequest.build(
            "GET", "/orgs/acme/actions/secrets", {"authorization": "token t"}
        )
        response = secretsync_emulator.handle(request)
        assert response.status == status
        expected = "1" if status in (429, 503) else None
        assert {k.lower(): v for k, v in response.headers.items()}.get("retry-after") == expected


def test_request_and_response_reprs_hold_no_body() -> None:
    from secretsync.emulator._http import EmuRequest, EmuResponse

    canary = "canary-emulator-body-0123456789"
    request = EmuRequest.build("PATCH", "/api/esc/x", {}, f"v: {{fn::secret: {canary}}}".encode())
    response = EmuResponse.json(200, {"value": canary})
    assert canary not in repr(request) and canary not in repr(response)
