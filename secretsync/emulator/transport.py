"""The emulator as an httpx transport: no socket, same answers, same faults.

Plug it into ``httpx.Client(transport=...)`` or ``httpx.AsyncClient(transport=...)``.
Latency sleeps (``asyncio.sleep`` on the async path, so the event loop keeps running); a
dropped connection raises ``httpx.RemoteProtocolError`` as httpx does when a server closes
without answering; a truncated answer raises the same error while the body is read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import httpx

from secretsync.emulator._http import EmuRequest

if TYPE_CHECKING:
    from secretsync.emulator._http import Delivery
    from secretsync.emulator.app import Emulator

__all__ = ["EmulatorTransport"]

_DROPPED = "Server disconnected without sending a response."
_TRUNCATED = "peer closed connection without sending complete message body"


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers httpx requests from an :class:`~secretsync.emulator.Emulator` in-process."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def __repr__(self) -> str:
        return "EmulatorTransport()"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        delivery = self.emulator.deliver(_to_emu(request, request.read()))
        if delivery.delay_s:
            time.sleep(delivery.delay_s)
        return _to_httpx(request, delivery)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        delivery = self.emulator.deliver(_to_emu(request, await request.aread()))
        if delivery.delay_s:
            await asyncio.sleep(delivery.delay_s)
        return _to_httpx(request, delivery)


def _to_emu(request: httpx.Request, body: bytes) -> EmuRequest:
    url = request.url
    return EmuRequest.build(
        request.method,
        url.raw_path.decode("ascii"),
        dict(request.headers),
        body,
        base_url=f"{url.scheme}://{url.netloc.decode('ascii')}",
    )


def _to_httpx(request: httpx.Request, delivery: Delivery) -> httpx.Response:
    if delivery.cut == "drop":
        raise httpx.RemoteProtocolError(_DROPPED, request=request)
    answer = delivery.response
    if delivery.cut == "truncate":
        return httpx.Response(
            answer.status,
            headers={**answer.headers, "Content-Length": str(len(answer.body) + 1)},
            stream=_CutStream(answer.body[: len(answer.body) // 2], request),
            request=request,
        )
    if request.method == "HEAD":  # headers as for GET, never a body
        headers = {**answer.headers, "Content-Length": str(len(answer.body))}
        return httpx.Response(
            answer.status, headers=headers, stream=httpx.ByteStream(b""), request=request
        )
    return httpx.Response(
        answer.status, headers=answer.headers, content=answer.body, request=request
    )


class _CutStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that ends early, the way a closed connection ends it."""

    def __init__(self, head: bytes, request: httpx.Request) -> None:
        self._head = head
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        if self._head:
            yield self._head
        raise httpx.RemoteProtocolError(_TRUNCATED, request=self._request)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._head:
            yield self._head
        raise httpx.RemoteProtocolError(_TRUNCATED, request=self._request)
