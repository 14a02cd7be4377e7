"""Every setting and name the emulator takes is bounded: out of range is a 4xx, not a
process parked for days, an overflow, or a 20,000-character secret name stored."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest
from nacl.public import PublicKey, SealedBox

from secretsync.emulator import Emulator, ServedEmulator
from secretsync.emulator.faults import MAX_LATENCY_MS
from secretsync.emulator.github_store import MAX_NAME_LENGTH


@pytest.fixture
def client(secretsync_emulator_server: ServedEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=secretsync_emulator_server.url, headers={"Authorization": "Bearer t"}
    ) as c:
        yield c


@pytest.mark.parametrize(
    "settings",
    [
        {"latency_ms": 10**12},
        {"latency_ms": MAX_LATENCY_MS + 1},
        {"rate_limit_writes_per_minute": 10**12},
        {"seed": 2**64},
    ],
    ids=["latency-1e12", "latency-just-over", "write-limit", "seed"],
)
def test_out_of_range_fault_settings_are_400(
    secretsync_emulator: Emulator, client: httpx.Client, settings: dict[str, int]
) -> None:
    before = secretsync_emulator.faults
    answer = client.put("/_emulator/faults", json=settings)
    assert answer.status_code == 400, answer.text
    assert next(iter(settings)) in answer.json()["message"]
    assert secretsync_emulator.faults == before


def test_the_largest_latency_is_still_accepted(
    secretsync_emulator: Emulator, client: httpx.Client
) -> None:
    assert client.put("/_emulator/faults", json={"latency_ms": MAX_LATENCY_MS}).status_code == 200
    assert secretsync_emulator.faults.latency_ms == MAX_LATENCY_MS


@pytest.mark.parametrize(
    "now", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z"]
)
def test_a_clock_out_of_range_is_400(
    secretsync_emulator: Emulator, client: httpx.Client, now: str
) -> None:
    answer = client.put("/_emulator/clock", json={"now": now})
    assert answer.status_code == 400
    assert "1970-2099" in answer.json()["message"]


def test_advancing_the_clock_past_its_range_is_refused(secretsync_emulator: Emulator) -> None:
    clock = secretsync_emulator.clock
    clock.set(datetime(2099, 12, 31, tzinfo=timezone.utc))
    with pytest.raises(ValueError, match=r"out of its range|1970-2099"):
        clock.advance(86400 * 2)
    with pytest.raises(ValueError, match=r"out of its range|1970-2099"):
        clock.advance(1e30)
    assert clock.now().year == 2099


def test_an_endless_open_duration_is_400(
    secretsync_emulator: Emulator, client: httpx.Client
) -> None:
    secretsync_emulator.seed_esc_environment("acme-esc", "default", "e", "values:\n  a: 1\n")
    path = "/api/esc/environments/acme-esc/default/e/open"
    assert client.post(path, params={"duration": "1000000000h"}).status_code == 400
    assert client.post(path, params={"duration": "2h45m"}).status_code == 200


def _sealed(client: httpx.Client) -> dict[str, str]:
    key = client.get("/orgs/acme/actions/secrets/public-key").json()
    box = SealedBox(PublicKey(base64.b64decode(key["key"]))).encrypt(b"value")
    return {
        "encrypted_value": base64.b64encode(box).decode(),
        "key_id": key["key_id"],
        "visibility": "private",
    }


def test_a_secret_name_past_the_bound_is_422(
    secretsync_emulator: Emulator, client: httpx.Client
) -> None:
    body = _sealed(client)
    for length in (20_000, MAX_NAME_LENGTH + 1):
        answer = client.put(f"/orgs/acme/actions/secrets/{'A' * length}", json=body)
        assert answer.status_code == 422, length
        assert str(MAX_NAME_LENGTH) in answer.json()["message"]
    longest = "A" * MAX_NAME_LENGTH
    assert client.put(f"/orgs/acme/actions/secrets/{longest}", json=body).status_code == 201
    names = [s["name"] for s in secretsync_emulator.state()["github"]["secrets"]]
    assert names == [longest]
    with pytest.raises(ValueError, match=str(MAX_NAME_LENGTH)):
        secretsync_emulator.seed_github_secret("orgs/acme", "B" * 20_000, "v")
