"""Bounded retries with backoff for HTTP routes whose client has none of its own (Ollama's).

A request that got no answer (the connection was refused or dropped before a response began) or got a 5xx status
is sent again, at most ATTEMPTS times in all, waiting BACKOFF seconds, then twice that, and so on. Then the error,
or the last response, goes to the caller. A timeout while the model is answering is not retried: the server may
still be generating, and a retry would only hold the caller for another timeout. The OpenAI client retries on its
own (`max_retries`), so its routes need none of this.
"""

from __future__ import annotations

import asyncio
import time

import httpx

ATTEMPTS = 3
BACKOFF = 0.5  # seconds before the second attempt; doubled for each later one
RETRIED_STATUS = frozenset({500, 502, 503, 504})
UNANSWERED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)


class RetryingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport | None = None, *, attempts: int = ATTEMPTS, backoff: float = BACKOFF):
        self.inner, self.attempts, self.backoff = inner or httpx.HTTPTransport(), attempts, backoff

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.inner.handle_request(request)
            except UNANSWERED:
                if attempt == self.attempts:
                    raise
            else:
                if response.status_code not in RETRIED_STATUS or attempt == self.attempts:
                    return response
                response.close()
            time.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def close(self) -> None:
        self.inner.close()


class AsyncRetryingTransport(httpx.AsyncBaseTransport):
    def __init__(
        self, inner: httpx.AsyncBaseTransport | None = None, *, attempts: int = ATTEMPTS, backoff: float = BACKOFF
    ):
        self.inner, self.attempts, self.backoff = inner or httpx.AsyncHTTPTransport(), attempts, backoff

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self.inner.handle_async_request(request)
            except UNANSWERED:
                if attempt == self.attempts:
                    raise
            else:
                if response.status_code not in RETRIED_STATUS or attempt == self.attempts:
                    return response
                await response.aclose()
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def aclose(self) -> None:
        await self.inner.aclose()
