"""One slow request never makes an unrelated environment (or GitHub scope) wait.

Each test holds one request inside the service (a hook that waits on an event, so nothing
depends on how fast this machine is), then asks for something unrelated over real HTTP:
with one global lock that second request could not complete until the first was let go.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from secretsync.emulator import Emulator, ServedEmulator

ORG, PROJECT = "acme-esc", "default"
PATIENCE = 10.0  # seconds a request may take before the test calls it blocked


class Held:
    """Wraps a method so that calls matching ``when`` wait until :meth:`release`."""

    def __init__(self, original: Callable[..., Any], when: Callable[..., bool]) -> None:
        self.original, self.when = original, when
        self.entered, self.released = threading.Event(), threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.when(*args, **kwargs):
            self.entered.set()
            assert self.released.wait(PATIENCE), "the held request was never released"
        return self.original(*args, **kwargs)

    def release(self) -> None:
        self.released.set()


def _in_background(call: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(call()), daemon=True)
    thread.start()
    return thread, outcome


@pytest.fixture
def client(secretsync_emulator_server: ServedEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=secretsync_emulator_server.url,
        headers={"Authorization": "token t"},
        timeout=PATIENCE,
    ) as c:
        yield c


def test_a_held_decrypted_read_does_not_block_another_environment(
    secretsync_emulator: Emulator, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = secretsync_emulator
    emu.seed_esc_environment(ORG, PROJECT, "big", "values:\n  k:\n    fn::secret: s3cr3t\n")
    emu.seed_esc_environment(ORG, PROJECT, "small", "values:\n  a: 1\n")
    store = emu.esc._store  # type: ignore[union-attr]  # the one place a read waits
    held = Held(store.decrypted, lambda env, text: env.name == "big")
    monkeypatch.setattr(store, "decrypted", held)

    slow, slow_outcome = _in_background(
        lambda: client.get(f"/api/esc/environments/{ORG}/{PROJECT}/big/decrypt")
    )
    assert held.entered.wait(PATIENCE)
    try:
        other = client.get(f"/api/esc/environments/{ORG}/{PROJECT}/small")
        patch = client.patch(
            f"/api/esc/environments/{ORG}/{PROJECT}/small",
            content=b"values:\n  a: 2\n",
            headers={"ETag": other.headers["etag"]},
        )
        listing = client.get(f"/api/esc/environments/{ORG}")
        still_held = not slow_outcome
    finally:
        held.release()
        slow.join(PATIENCE)
    assert other.status_code == 200 and other.text == "values:\n  a: 1\n"
    assert patch.status_code == 200
    assert listing.status_code == 200
    assert still_held, "the held read finished before the other requests: nothing was shown"
    assert slow_outcome[0].status_code == 200


def test_the_same_environment_still_waits_its_turn(
    secretsync_emulator: Emulator, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per environment, requests stay serial: a PATCH waits for the read in progress."""
    emu = secretsync_emulator
    emu.seed_esc_environment(ORG, PROJECT, "big", "values:\n  a: 1\n")
    store = emu.esc._store  # type: ignore[union-attr]
    held = Held(store.decrypted, lambda env, text: env.name == "big")
    monkeypatch.setattr(store, "decrypted", held)
    read, read_outcome = _in_background(
        lambda: client.get(f"/api/esc/environments/{ORG}/{PROJECT}/big/decrypt")
    )
    assert held.entered.wait(PATIENCE)
    write, write_outcome = _in_background(
        lambda: client.patch(
            f"/api/esc/environments/{ORG}/{PROJECT}/big", content=b"values:\n  a: 2\n"
        )
    )
    write.join(0.5)  # long enough for a PATCH that does not wait to finish many times over
    finished_early = bool(write_outcome)
    held.release()
    read.join(PATIENCE)
    write.join(PATIENCE)
    assert not finished_early
    assert read_outcome[0].text == "values:\n  a: 1\n"  # the read saw the state it began in
    assert write_outcome[0].status_code == 200


def test_a_held_github_write_does_not_block_another_scope(
    secretsync_emulator: Emulator, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = secretsync_emulator
    emu.seed_github_secret("orgs/slow", "A", "v")
    emu.seed_github_secret("orgs/fast", "B", "v")
    store = emu.github.store
    held = Held(store.secret, lambda scope, name: scope.path == "orgs/slow")
    monkeypatch.setattr(store, "secret", held)
    slow, slow_outcome = _in_background(lambda: client.get("/orgs/slow/actions/secrets/A"))
    assert held.entered.wait(PATIENCE)
    try:
        other = client.get("/orgs/fast/actions/secrets/B")
        key = client.get("/orgs/fast/actions/secrets/public-key")
        still_held = not slow_outcome
    finally:
        held.release()
        slow.join(PATIENCE)
    assert other.status_code == 200 and other.json()["name"] == "B"
    assert key.status_code == 200
    assert still_held
    assert slow_outcome[0].status_code == 200
