"""The emulator over real HTTP: the fixtures, wire faults on a socket, the CLI command."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from nacl.public import PublicKey, SealedBox

from secretsync.emulator import Emulator, EmulatorServer, Faults, ServedEmulator, serve

ORG = "ai-cherry"
AUTH = {"Authorization": "Bearer t"}
CANARY = "canary-Pw5sDd2Lq9Bx7Mn"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def client(secretsync_emulator_server: ServedEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=secretsync_emulator_server.url, headers=AUTH) as c:
        yield c


def sealed_body(client: httpx.Client, value: str) -> dict[str, str]:
    key = client.get(f"/orgs/{ORG}/actions/secrets/public-key").json()
    sealed = SealedBox(PublicKey(base64.b64decode(key["key"]))).encrypt(value.encode())
    return {
        "encrypted_value": base64.b64encode(sealed).decode(),
        "key_id": key["key_id"],
        "visibility": "private",
    }


def test_fixtures_share_one_emulator_and_expose_the_urls(
    secretsync_emulator: Emulator, secretsync_emulator_server: ServedEmulator, client: httpx.Client
) -> None:
    served = secretsync_emulator_server
    assert served.emulator is secretsync_emulator
    assert served.url.startswith("http://127.0.0.1:")
    assert served.github_url == served.url == str(served)
    assert served.esc_url == served.url + "/api/esc"
    secretsync_emulator.seed_github_secret(f"orgs/{ORG}", "SEEDED", "v")
    assert client.get(f"/orgs/{ORG}/actions/secrets/seeded").status_code == 200


def test_controls_over_http(secretsync_emulator: Emulator, client: httpx.Client) -> None:
    assert (
        client.put(f"/orgs/{ORG}/actions/secrets/A", json=sealed_body(client, CANARY)).status_code
        == 201
    )
    state = httpx.get(f"{client.base_url}/_emulator/state").json()  # no Authorization needed
    assert state["github"]["secrets"][0]["value"] == CANARY
    log = client.get("/_emulator/requests").json()["requests"]
    assert [(e["method"], e["status"]) for e in log] == [("GET", 200), ("PUT", 201)]
    assert client.post("/_emulator/reset").status_code == 204
    assert secretsync_emulator.state()["github"]["secrets"] == []


def test_chunked_request_bodies_are_read(
    secretsync_emulator: Emulator, client: httpx.Client
) -> None:
    import json

    payload = json.dumps(sealed_body(client, "chunked")).encode()
    answer = client.put(
        f"/orgs/{ORG}/actions/secrets/CHUNKED",
        content=iter([payload[:10], payload[10:]]),  # an iterator: httpx sends it chunked
    )
    assert answer.status_code == 201
    assert secretsync_emulator.state()["github"]["secrets"][0]["value"] == "chunked"


def test_dropped_connection_after_the_write_is_applied(
    secretsync_emulator: Emulator, client: httpx.Client
) -> None:
    body = sealed_body(client, "v")
    secretsync_emulator.set_faults(Faults(drop_rate=1.0))
    with pytest.raises(httpx.RemoteProtocolError):
        client.put(f"/orgs/{ORG}/actions/secrets/DROPPED", json=body)
    assert [s["name"] for s in secretsync_emulator.state()["github"]["secrets"]] == ["DROPPED"]


@pytest.mark.parametrize("path", [f"/orgs/{ORG}/actions/secrets", f"/orgs/{ORG}/actions/secrets/X"])
def test_truncated_answers_with_and_without_body(
    secretsync_emulator: Emulator, client: httpx.Client, path: str
) -> None:
    body = sealed_body(client, "v")
    secretsync_emulator.set_faults(Faults(truncate_rate=1.0))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(path)  # a JSON body cut short
    secretsync_emulator.seed_github_secret(f"orgs/{ORG}", "X", "old")
    with pytest.raises(httpx.RemoteProtocolError):
        client.put(f"/orgs/{ORG}/actions/secrets/X", json=body)  # a 204: header block cut
    assert secretsync_emulator.state()["github"]["secrets"][0]["value"] == "v"


def test_latency_over_the_socket(
    secretsync_emulator: Emulator, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    real_sleep = time.sleep

    def recording_sleep(seconds: float) -> None:  # the server thread's sleep, recorded
        slept.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", recording_sleep)
    secretsync_emulator.set_faults(Faults(latency_ms=80))
    assert client.get(f"/orgs/{ORG}").status_code == 200
    assert 0.08 in slept


def test_binds_loopback_only_unless_told_otherwise() -> None:
    with pytest.raises(ValueError, match="non-loopback"):
        EmulatorServer(Emulator(), "0.0.0.0")
    with serve(Emulator(), host="localhost") as served:
        assert served.url.startswith("http://127.0.0.1:")


def test_many_simultaneous_connections_are_all_accepted() -> None:
    """The listen backlog holds a burst: with socketserver's default of 5 the kernel
    dropped the seventh SYN, and that client waited a whole second to resend it (a sync
    listing ten pages at once stalled so). Nothing accepts here until all are in."""
    server = EmulatorServer(Emulator())  # listening, not yet accepting
    sockets: list[socket.socket] = []
    try:
        for _ in range(40):
            # Longer than the first SYN resend (1 s), shorter than the second (3 s).
            sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=2))
        assert len(sockets) == 40
    finally:
        for sock in sockets:
            sock.close()
        server.stop()


def _spawn(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "secretsync", "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cli_prints_its_url_serves_and_exits_0_on_signal(stop_signal: signal.Signals) -> None:
    proc = _spawn("--port", "0", "--latency-ms", "1")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.split()[-1]
        port = int(url.rsplit(":", 1)[1])
        assert port > 0
        assert proc.stdout.readline() == (
            f"export SECRETSYNC_GITHUB_API_URL={url} SECRETSYNC_ESC_API_URL={url}/api/esc"
            "  # any token works\n"
        )
        answer = httpx.get(f"{url}/orgs/{ORG}/actions/secrets/public-key", headers=AUTH)
        assert answer.status_code == 200
        assert httpx.get(f"{url}/orgs/{ORG}/actions/secrets").status_code == 401
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out == ""  # the two lines, nothing else on stdout
    assert "Traceback" not in err
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # the port is closed


def test_cli_refuses_a_non_loopback_host_without_allow_remote() -> None:
    proc = _spawn("--host", "0.0.0.0", "--port", "0")
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert "non-loopback" in err
    assert "listening" not in out
    assert "Traceback" not in err


def test_a_handler_bug_is_a_500_that_prints_no_value(
    secretsync_emulator: Emulator,
    client: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    def broken(req: object) -> object:
        raise RuntimeError(f"boom {CANARY}")

    monkeypatch.setattr(secretsync_emulator.github, "handle", broken)
    answer = client.get(f"/orgs/{ORG}/actions/secrets")
    assert answer.status_code == 500
    assert CANARY not in answer.text
    captured = capfd.readouterr()
    assert "RuntimeError" in captured.err
    assert CANARY not in captured.err + captured.out


def test_esc_is_routed_under_api_esc(secretsync_emulator: Emulator, client: httpx.Client) -> None:
    pytest.importorskip("secretsync.emulator.esc")
    secretsync_emulator.seed_esc_environment("acme", "default", "dev", "values:\n  region: eu\n")
    answer = client.get("/api/esc/environments/acme/default/dev")
    assert answer.status_code == 200
    assert "region" in answer.text
    assert secretsync_emulator.state()["esc"]
    assert secretsync_emulator.request_log()[-1]["path"] == "/api/esc/environments/acme/default/dev"


def test_head_gets_headers_and_no_body(secretsync_emulator: Emulator, client: httpx.Client) -> None:
    secretsync_emulator.seed_github_secret(f"orgs/{ORG}", "A", "v")
    got = client.get(f"/orgs/{ORG}/actions/secrets")
    head = client.head(f"/orgs/{ORG}/actions/secrets")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert client.get(f"/orgs/{ORG}").status_code == 200  # the connection is still usable


def test_cli_reports_a_busy_port_in_one_line() -> None:
    import io

    from secretsync.cli.app import App
    from secretsync.cli.main import main

    with serve(Emulator()) as served:
        port = served.url.rsplit(":", 1)[1]
        out, err = io.StringIO(), io.StringIO()
        code = main(["emulator", "--port", port], app=App(stdout=out, stderr=err, environ={}))
    assert code == 2
    assert err.getvalue().startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert len(err.getvalue().splitlines()) == 1
    assert out.getvalue() == ""


def test_cli_allow_remote_warns_and_serves() -> None:
    proc = _spawn("--host", "0.0.0.0", "--port", "0", "--allow-remote")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on http://0.0.0.0:")
        port = line.strip().rsplit(":", 1)[1]
        assert httpx.get(f"http://127.0.0.1:{port}/_emulator/state").status_code == 200
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "warning: serving on 0.0.0.0" in err


def test_concurrent_writes_from_many_threads_all_land(
    secretsync_emulator: Emulator, secretsync_emulator_server: ServedEmulator
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with httpx.Client(base_url=secretsync_emulator_server.url, headers=AUTH) as first:
        body = sealed_body(first, "v")

    def create(i: int) -> int:
        with httpx.Client(base_url=secretsync_emulator_server.url, headers=AUTH) as client:
            return client.put(f"/orgs/{ORG}/actions/secrets/S_{i:02d}", json=body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(40)))
    assert statuses == [201] * 40
    assert len(secretsync_emulator.state()["github"]["secrets"]) == 40
    log = secretsync_emulator.request_log()
    assert len(log) == 41
    with httpx.Client(base_url=secretsync_emulator_server.url, headers=AUTH) as client:
        used = client.get(f"/orgs/{ORG}").headers["x-ratelimit-used"]
    assert used == "42"  # every request counted once, none lost to a race


def _raw(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_absolute_form_targets_are_answered_as_the_local_host_they_name(
    secretsync_emulator: Emulator, secretsync_emulator_server: ServedEmulator
) -> None:
    """What a client sends when the emulator is its HTTP_PROXY (the GitHub CLI does)."""
    for i in range(3):
        secretsync_emulator.seed_github_secret(f"orgs/{ORG}", f"S{i}", "v")
    answer = _raw(
        secretsync_emulator_server.url,
        b"GET http://api.github.localhost/api/v3/orgs/ai-cherry/actions/secrets?per_page=1 "
        b"HTTP/1.1\r\nHost: api.github.localhost\r\nAuthorization: token t\r\n"
        b"Connection: close\r\n\r\n",
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"<http://api.github.localhost/api/v3/orgs/ai-cherry/actions/secrets?" in head
    assert b'"total_count": 3' in body
    log = secretsync_emulator.request_log()[-1]
    assert (log["path"], log["status"]) == ("/api/v3/orgs/ai-cherry/actions/secrets", 200)


def test_absolute_form_for_another_host_is_refused_not_forwarded(
    secretsync_emulator: Emulator, secretsync_emulator_server: ServedEmulator
) -> None:
    answer = _raw(
        secretsync_emulator_server.url,
        b"GET http://api.github.com/orgs/x HTTP/1.1\r\nHost: api.github.com\r\n"
        b"Connection: close\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 502")
    assert b"not a proxy" in answer
    assert secretsync_emulator.request_log() == []
