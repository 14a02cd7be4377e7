"""A transport that watches how many requests a client has in flight at once.

Concurrency is asserted, never inferred from wall-clock time: the probe wraps the emulator's
real transport (which holds each answer for the injected latency with ``asyncio.sleep``) and
records the most requests it saw waiting together.
"""

from __future__ import annotations

import httpx


class InFlightProbe(httpx.AsyncBaseTransport):
    """Counts requests between arrival and answer; ``peak`` is the most seen at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.in_flight = 0
        self.peak = 0
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()
