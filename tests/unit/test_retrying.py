"""Retries for the Ollama route: what is sent again (no answer, a 5xx), what is not, and that the route uses them."""

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from idealprompt.routes import Route, make_chat_model
from idealprompt.routes.retrying import AsyncRetryingTransport, RetryingTransport


def flaky(*outcomes):
    """A mock transport answering with `outcomes` in turn: a status code, or an exception class to raise."""
    sent = []

    def handle(request: httpx.Request) -> httpx.Response:
        outcome = outcomes[min(len(sent), len(outcomes) - 1)]
        sent.append(request.content)
        if isinstance(outcome, type):
            raise outcome("no answer", request=request)
        return httpx.Response(outcome, json={"n": len(sent)})

    return handle, sent


@pytest.mark.parametrize(
    ("outcomes", "status", "attempts"),
    [
        ((503, 502, 200), 200, 3),  # transient server errors, then the answer
        ((httpx.ConnectError, 200), 200, 2),  # refused once: nothing was answered, so it is safe to ask again
        ((503,), 503, 3),  # still failing after three attempts: the last response goes to the caller
        ((400,), 400, 1),  # the request is wrong: asking again would not help
    ],
)
def test_what_is_retried_and_how_often(outcomes, status, attempts):
    handle, sent = flaky(*outcomes)
    with httpx.Client(transport=RetryingTransport(httpx.MockTransport(handle), backoff=0)) as client:
        response = client.post("http://ollama/api/chat", json={"model": "m"})
    assert response.status_code == status and len(sent) == attempts
    assert set(sent) == {b'{"model":"m"}'}  # the same body every time


def test_no_answer_three_times_raises_and_a_read_timeout_is_not_retried():
    for error, attempts in ((httpx.ConnectError, 3), (httpx.ReadTimeout, 1)):
        handle, sent = flaky(error)
        transport = RetryingTransport(httpx.MockTransport(handle), backoff=0)
        with httpx.Client(transport=transport) as client, pytest.raises(error):
            client.get("http://ollama/api/tags")
        assert len(sent) == attempts


def test_the_async_transport_retries_alike():
    handle, sent = flaky(503, httpx.ConnectError, 200)

    async def ask():
        transport = AsyncRetryingTransport(httpx.MockTransport(handle), backoff=0)
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.post("http://ollama/api/chat", json={})

    assert asyncio.run(ask()).status_code == 200 and len(sent) == 3


def test_the_ollama_route_answers_through_a_transient_error(offline_settings):
    """A real ChatOllama from the route, against a server whose first answer is a 503."""
    chats = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            chats.append(self.path)
            if len(chats) == 1:
                self.send_response(503)
                self.end_headers()
                return
            reply = {"model": "m", "message": {"role": "assistant", "content": "positive"}, "done": True}
            body = (json.dumps(reply) + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = offline_settings.model_copy(update={"ollama_host": f"http://127.0.0.1:{server.server_address[1]}"})
        answer = make_chat_model(Route("ollama:m"), settings).invoke("Review: a delight")
    finally:
        server.shutdown()
        server.server_close()
    assert answer.content == "positive" and chats == ["/api/chat", "/api/chat"]
