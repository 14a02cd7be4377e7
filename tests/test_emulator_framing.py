"""The served emulator reads a request the way the real services do: whole, or not at all.

Raw sockets, because every HTTP client frames its requests correctly: these are the
requests a broken client, a cut connection or a hostile peer sends.
"""

from __future__ import annotations

import json
import socket

import pytest

from secretsync.emulator import Emulator, ServedEmulator
from secretsync.emulator.server import MAX_BODY_BYTES

ORG, PROJECT, ENV = "acme-esc", "default", "prod"
BEFORE = "values:\n  a: 1\n  b: 2\n"
PATCH_HEAD = (
    f"PATCH /api/esc/environments/{ORG}/{PROJECT}/{ENV} HTTP/1.1\r\nHost: emulator\r\n"
    "Authorization: token t\r\nContent-Type: application/x-yaml\r\n"
)


@pytest.fixture
def served(secretsync_emulator_server: ServedEmulator) -> ServedEmulator:
    secretsync_emulator_server.emulator.seed_esc_environment(ORG, PROJECT, ENV, BEFORE)
    return secretsync_emulator_server


def _exchange(served: ServedEmulator, data: bytes, *, finish: bool = True) -> bytes:
    """Send ``data``; with ``finish`` close our sending side. Everything answered until close."""
    host, port = served.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        if finish:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _environment(emu: Emulator) -> dict[str, object]:
    return next(e for e in emu.state()["esc"]["environments"] if e["name"] == ENV)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_a_half_sent_patch_is_never_applied(served: ServedEmulator) -> None:
    body = b"values:\n  a: 10\n  b: 20\n  c: 30\n"
    cut = body[:20]  # "values:\n  a: 10\n  b:" is valid YAML on its own (b: null)
    head = PATCH_HEAD + f"Content-Length: {len(body)}\r\n\r\n"
    before = _environment(served.emulator)
    answer = _exchange(served, head.encode() + cut)
    after = _environment(served.emulator)
    assert answer == b""  # the peer left; there is nobody to answer
    assert after["revision"] == before["revision"]
    assert after["yaml_decrypted"] == BEFORE
    assert not [e for e in served.emulator.request_log() if e["method"] == "PATCH"]


def test_a_whole_body_after_a_slow_start_is_applied(served: ServedEmulator) -> None:
    """The same request sent whole is applied: the refusal above is about the cut."""
    body = b"values:\n  a: 10\n"
    head = PATCH_HEAD + f"Content-Length: {len(body)}\r\n\r\n"
    answer = _exchange(served, head.encode() + body)
    assert _status(answer) == 200
    assert _environment(served.emulator)["yaml_decrypted"] == body.decode()


@pytest.mark.parametrize(
    ("length", "status"),
    [("abc", 400), ("-1", 400), ("1e3", 400), ("12, 13", 400), (str(10**20), 413)],
)
def test_a_bad_content_length_is_answered_not_dropped(
    served: ServedEmulator, length: str, status: int, capfd: pytest.CaptureFixture[str]
) -> None:
    request = PATCH_HEAD + f"Content-Length: {length}\r\n\r\nvalues: {{}}\n"
    answer = _exchange(served, request.encode())
    assert _status(answer) == status
    document = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert document["code"] == status
    expected = str(MAX_BODY_BYTES) if status == 413 else "Content-Length"
    assert expected in document["message"]
    assert b"connection: close" in answer.lower()
    assert _environment(served.emulator)["yaml_decrypted"] == BEFORE
    assert "Traceback" not in capfd.readouterr().err


def test_a_negative_length_does_not_read_until_the_peer_closes(served: ServedEmulator) -> None:
    """``Content-Length: -1`` used to mean "read until EOF": the answer came only after the
    client gave up. Now it comes while the connection is still open for writing."""
    request = PATCH_HEAD + "Content-Length: -1\r\n\r\nvalues: {}\n"
    assert _status(_exchange(served, request.encode(), finish=False)) == 400


@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\nabc\r\n0\r\n\r\n", b"-5\r\nabc\r\n0\r\n\r\n", b"3\r\nabcdef\r\n0\r\n\r\n"],
    ids=["not-hex", "negative", "longer-than-said"],
)
def test_bad_chunked_framing_is_a_400(
    served: ServedEmulator, chunks: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    request = PATCH_HEAD.encode() + b"Transfer-Encoding: chunked\r\n\r\n" + chunks
    assert _status(_exchange(served, request)) == 400
    assert _environment(served.emulator)["yaml_decrypted"] == BEFORE
    assert "Traceback" not in capfd.readouterr().err


def test_a_huge_chunk_is_refused_before_it_is_read(served: ServedEmulator) -> None:
    request = PATCH_HEAD.encode() + b"Transfer-Encoding: chunked\r\n\r\nffffffffff\r\nab"
    assert _status(_exchange(served, request)) == 413


def test_a_half_sent_chunked_body_is_never_applied(served: ServedEmulator) -> None:
    request = PATCH_HEAD.encode() + b"Transfer-Encoding: chunked\r\n\r\n20\r\nvalues:\n  a: 10\n"
    assert _exchange(served, request) == b""
    assert _environment(served.emulator)["yaml_decrypted"] == BEFORE


def test_both_framings_at_once_are_refused(served: ServedEmulator) -> None:
    request = (
        PATCH_HEAD.encode()
        + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nvalues\r\n0\r\n\r\n"
    )
    assert _status(_exchange(served, request)) == 400
    assert _environment(served.emulator)["yaml_decrypted"] == BEFORE


def test_a_chunked_body_sent_whole_is_applied(served: ServedEmulator) -> None:
    body = b"values:\n  a: 7\n"
    request = (
        PATCH_HEAD.encode()
        + b"Transfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x};ext=1\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n"
    )
    assert _status(_exchange(served, request)) == 200
    assert _environment(served.emulator)["yaml_decrypted"] == body.decode()


def test_github_framing_errors_use_github_error_documents(served: ServedEmulator) -> None:
    request = (
        "PUT /orgs/acme/actions/secrets/X HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer t\r\n"
        "Content-Length: lots\r\n\r\n{}"
    )
    answer = _exchange(served, request.encode())
    document = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert _status(answer) == 400 and "documentation_url" in document
