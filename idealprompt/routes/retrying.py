"""Bounded retries with backoff for the HTTP routes (Ollama's and OpenAI's clients, one policy for both).

A request that got no answer (the connection was refused or dropped before a response began), a 5xx status or a
429 (rate limited) is sent again, at most ATTEMPTS times in all, waiting BACKOFF seconds, then twice that, and so
on, or what a 429's Retry-After asks (up to MAX_WAIT). Then the error, or the last response, goes to the caller.
A timeout while the model is answering is not retried: the server may still be generating, and a retry would only
hold the caller for another timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx

ATTEMPTS = 3
BACKOFF = 0.5  # seconds before the second attempt; doubled for each later one
MAX_WAIT = 30.0  # seconds a Retry-After may ask for at most
RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})
UNANSWERED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError)


class RetryingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport | None = None, *, attempts: int = ATTEMPTS, backoff: float = BACKOFF):
        self.inner, self.attempts, self.backoff = inner or httpx.HTTPTransport(), attempts, backoff

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(1, self.attempts + 1):
            response = None
            try:
                response = self.inner.handle_request(request)
            except UNANSWERED:
                if attempt == self.attempts:
                    raise
            else:
                if response.status_code not in RETRIED_STATUS or attempt == self.attempts:
                    return response
                response.close()
            time.sleep(wait(response, self.backoff, attempt))
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
            response = None
            try:
                response = await self.inner.handle_async_request(request)
            except UNANSWERED:
                if attempt == self.attempts:
                    raise
            else:
                if response.status_code not in RETRIED_STATUS or attempt == self.attempts:
                    return response
                await response.aclose()
            await asyncio.sleep(wait(response, self.backoff, attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def aclose(self) -> None:
        await self.inner.aclose()


def wait(response: httpx.Response | None, backoff: float, attempt: int) -> float:
    """Seconds before the next attempt: the backoff, or longer if a 429 asks so in seconds (at most MAX_WAIT)."""
    seconds = backoff * 2 ** (attempt - 1)
    if response is not None and response.status_code == 429:
        with contextlib.suppress(ValueError):  # absent, or an HTTP date: the backoff
            seconds = max(seconds, min(float(response.headers.get("retry-after", "")), MAX_WAIT))
    return seconds
