"""The emulator over real HTTP on a thread (loopback only unless asked), for clients that
bring their own connection handling: PyGithub, the ESC SDK, curl, secretsync itself.

Wire faults are carried out for real: a drop closes the connection without a byte, a
truncation promises a longer ``Content-Length`` than it sends (or cuts the header block
when there is no body) and closes.

A request is handed to the emulator only once its body has arrived whole, as the real
services do: a body shorter than its ``Content-Length`` (the client closed or stalled) is
never applied. Framing that cannot be read (a ``Content-Length`` that is not one decimal
number, a bad chunk size, both framings at once) answers 400 and one past
:data:`MAX_BODY_BYTES` 413, each on a closed connection, never a traceback.

A request target in absolute form (``GET http://api.github.localhost/user HTTP/1.1``, what
a client sends when this server is its ``HTTP_PROXY``) is answered here, as the host it
names, when that host is local (``localhost``, ``*.localhost``, a loopback address): the
GitHub CLI reaches the emulator that way. Any other host gets 502: this is no proxy.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from secretsync.emulator._http import Delivery, EmuRequest, EmuResponse

if TYPE_CHECKING:
    from secretsync.emulator.app import Emulator

__all__ = ["MAX_BODY_BYTES", "EmulatorServer", "ServedEmulator", "is_loopback", "serve"]

# The emulator's own bound (neither API documents one for request bodies): GitHub's largest
# body is one sealed 48 KB value (about 65 KB of Base64 in JSON); an ESC definition of a few
# thousand secrets is a few MB. A longer body is refused (413) before a byte of it is read.
MAX_BODY_BYTES = 32 * 1024 * 1024
_LENGTH = re.compile(r"[0-9]{1,64}")
_CHUNK = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")
_CHUNK_LINE_MAX = 4096  # a size line plus extensions; longer is not a chunk size


class _Framing(Exception):
    """The body cannot be read as framed: answer ``status`` and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class _Incomplete(Exception):
    """The client stopped sending before its body was whole: nothing is applied."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServedEmulator(str):
    """The base URL (a ``str``, so it drops into any URL), plus where each API lives."""

    emulator: Emulator

    def __new__(cls, url: str, emulator: Emulator) -> ServedEmulator:
        served = super().__new__(cls, url)
        served.emulator = emulator
        return served

    @property
    def url(self) -> str:
        return str.__str__(self)

    @property
    def github_url(self) -> str:
        return self.url

    @property
    def esc_url(self) -> str:
        return self.url + "/api/esc"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection frees its thread after this
    wbufsize = 1 << 16  # one write per answer (flushed by the base class) ...
    disable_nagle_algorithm = True  # ... sent at once: no 40 ms delayed-ACK stalls
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the default prints every request line to stderr."""

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except _Incomplete:
            self.close_connection = True  # the peer is gone or stalled; nothing to answer
            return
        except _Framing as bad:
            self._refuse(bad)
            return
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        target, base = self.path, f"http://{host}"
        if not target.startswith("/"):  # absolute form: we are someone's HTTP_PROXY
            parts = urlsplit(target)
            name = (parts.hostname or "").lower()
            if parts.scheme not in ("http", "https") or not (
                name.endswith(".localhost") or is_loopback(name)
            ):
                self._not_a_proxy(parts.netloc)
                return
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            base = f"{parts.scheme}://{parts.netloc}"
        req = EmuRequest.build(
            self.command, target, dict(self.headers.items()), body, base_url=base
        )
        try:
            delivery = self.server.emulator.deliver(req)
        except Exception as exc:  # a bug: answer 500, print its type only (never a value)
            sys.stderr.write(f"secretsync emulator: internal error ({type(exc).__name__})\n")
            delivery = Delivery(
                EmuResponse.json(500, {"message": f"emulator internal error: {type(exc).__name__}"})
            )
        if delivery.delay_s:
            time.sleep(delivery.delay_s)
        answer = delivery.response
        head = self.command == "HEAD"  # headers as for GET, never a body
        if delivery.cut == "drop":
            self.close_connection = True
            return
        if delivery.cut == "truncate" and (head or not answer.body):
            self.wfile.write(b"HTTP/1.1 " + str(answer.status).encode()[:1])
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        if answer.status not in (204, 304):
            extra = 1 + len(answer.body) // 2 if delivery.cut == "truncate" else 0
            length = answer.headers.get("Content-Length") if head else None
            self.send_header("Content-Length", length or str(len(answer.body) + extra))
        self.end_headers()
        if delivery.cut == "truncate":
            self.wfile.write(answer.body[: len(answer.body) // 2])
            self.close_connection = True
        elif not head:
            self.wfile.write(answer.body)

    def _not_a_proxy(self, netloc: str) -> None:
        message = f"the secretsync emulator is not a proxy: it does not forward to {netloc!r}"
        payload = json.dumps({"message": message}).encode()
        self.send_response(502)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _read_body(self) -> bytes:
        """The whole body as framed, or ``_Framing`` / ``_Incomplete``: never a short one."""
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        lengths = self.headers.get_all("Content-Length") or []
        if chunked and lengths:
            raise _Framing(400, "a request may not carry both Content-Length and chunked framing")
        if chunked:
            return self._read_chunked()
        if not lengths:
            return b""
        if len(set(lengths)) > 1 or not _LENGTH.fullmatch(lengths[0].strip()):
            raise _Framing(400, "Content-Length must be one decimal number of bytes")
        length = int(lengths[0])
        if length > MAX_BODY_BYTES:
            raise _Framing(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
        return self._read_exactly(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self._read_line()
            match = _CHUNK.fullmatch(line)
            if match is None:
                raise _Framing(400, "invalid chunk size in a chunked request body")
            size = int(match.group(1), 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY_BYTES:
                raise _Framing(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
            chunks.append(self._read_exactly(size))
            if self._read_line().strip():
                raise _Framing(400, "a chunk is longer than its size says")
        while self._read_line().strip():  # trailers
            pass
        return b"".join(chunks)

    def _read_line(self) -> bytes:
        try:
            line = self.rfile.readline(_CHUNK_LINE_MAX + 1)
        except OSError:  # a timeout or reset mid-body
            raise _Incomplete from None
        if not line.endswith(b"\n"):
            if len(line) > _CHUNK_LINE_MAX:
                raise _Framing(400, "invalid chunk size in a chunked request body")
            raise _Incomplete
        return line

    def _read_exactly(self, length: int) -> bytes:
        try:
            body = self.rfile.read(length) if length else b""
        except OSError:
            raise _Incomplete from None
        if len(body) < length:
            raise _Incomplete
        return body

    def _refuse(self, bad: _Framing) -> None:
        """Answer a framing error in the shape of the API the path belongs to, and close."""
        if "/api/esc" in self.path.split("?", 1)[0]:
            document = {"code": bad.status, "message": bad.message}
        else:
            document = {"message": bad.message, "documentation_url": "https://docs.github.com/rest"}
        payload = EmuResponse.json(bad.status, document)
        self.close_connection = True
        self.send_response(bad.status)
        for name, value in payload.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload.body)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The listen backlog. socketserver's default of 5 makes the kernel drop the SYN of a
    # sixth simultaneous connection, which the client then resends a whole second later:
    # a paginated listing fetched ten pages at once stalled for 1 s. Real services accept.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is no error; anything else prints its type, never a
        traceback (the base class prints one for every reset connection)."""
        kind = sys.exc_info()[0]
        if kind is not None and not issubclass(kind, (ConnectionError, TimeoutError)):
            sys.stderr.write(f"secretsync emulator: connection error ({kind.__name__})\n")

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.emulator = emulator
        super().__init__(address, _Handler)


class EmulatorServer:
    """One listening socket; ``start()`` serves on a daemon thread, ``stop()`` ends it."""

    def __init__(
        self,
        emulator: Emulator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_remote: bool = False,
    ) -> None:
        if not allow_remote and not is_loopback(host):
            raise ValueError(f"refusing to listen on non-loopback address {host!r}")
        self.emulator = emulator
        self._httpd = _Server((host, port), emulator)
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._httpd.server_address[:2]
        if isinstance(bound_host, bytes):
            bound_host = bound_host.decode("ascii")
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.url = ServedEmulator(f"http://{shown}:{bound_port}", emulator)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> ServedEmulator:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
            name="secretsync-emulator",
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()


@contextmanager
def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[ServedEmulator]:
    """Serve ``emulator`` for the ``with`` block; yields the base URL."""
    server = EmulatorServer(emulator, host, port)
    try:
        yield server.start()
    finally:
        server.stop()
