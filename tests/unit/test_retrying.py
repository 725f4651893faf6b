"""Retries for the HTTP routes: what is sent again (no answer, a 5xx, a 429), what is not, that the Ollama and OpenAI
routes use them, and a whole optimisation through a server that goes down mid-run and comes back."""

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import openai
import pytest
import yaml
from typer.testing import CliRunner

from idealprompt.cli import app
from idealprompt.routes import Route, make_chat_model
from idealprompt.routes.retrying import MAX_WAIT, AsyncRetryingTransport, RetryingTransport, wait
from tests.fake_openai_server import FakeOpenAIServer
from tests.unit.test_privacy import REVIEWS
from tests.unit.test_privacy import answer as reviews_answer

LABELS = ["positive", "negative"]


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
        ((429, 200), 200, 2),  # rate limited: asked again after the wait
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


def test_a_429_waits_as_long_as_it_asks_within_a_bound():
    assert wait(None, 0.5, 1) == 0.5 and wait(httpx.Response(503), 0.5, 3) == 2.0  # the backoff doubles
    assert wait(httpx.Response(429, headers={"Retry-After": "4"}), 0.5, 1) == 4.0
    assert wait(httpx.Response(429, headers={"Retry-After": "86400"}), 0.5, 1) == MAX_WAIT
    assert wait(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}), 0.5, 1) == 0.5


def test_an_openai_server_that_never_answers_holds_a_call_for_one_timeout(offline_settings):
    """The OpenAI client's own retries asked three times, each for a whole timeout; ours do not retry a timeout."""
    arrived = []

    class Silent(BaseHTTPRequestHandler):
        def do_POST(self):
            arrived.append(self.path)
            time.sleep(3)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Silent)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings = offline_settings.model_copy(update={"openai_base_url": url, "timeout": 0.5})
    started = time.perf_counter()
    try:
        with pytest.raises(openai.APITimeoutError):
            make_chat_model(Route("openai:m"), settings).invoke("Review: a delight")
    finally:
        server.shutdown()
        server.server_close()
    assert arrived == ["/v1/chat/completions"] and time.perf_counter() - started < 2.5


def test_an_optimisation_rides_out_a_server_restart(offline_settings, tmp_path):
    """The server goes down for 0.8 s during the run and comes back on its port: the run ends as one without the
    outage did, no example scored 0 for the lost requests."""
    examples = [{"input": r, "target": y} for r, y in REVIEWS.items()]
    task = {"name": "t", "description": "Classify film reviews.", "seed_prompt": "Classify.", "labels": LABELS}
    task |= {"data": {"format": "inline", "examples": examples}, "split": {"train": 6, "dev": 4, "test": 2}}
    (tmp_path / "task.yaml").write_text(yaml.safe_dump(task))
    results = []
    for down_at in (None, 8):
        outages = []

        def answer(body, down_at=down_at, outages=outages):
            if down_at is not None and len(server.received) == down_at and not outages:
                outages.append(server.outage(0.8))
            return reviews_answer(body)

        with FakeOpenAIServer(answer) as server:
            out = tmp_path / f"out-{down_at}"
            args = ["optimize", str(tmp_path / "task.yaml"), "--budget", "60", "--no-memory", "--out", str(out)]
            ran = CliRunner().invoke(app, args, env=server.env())
            for thread in outages:
                thread.join()
        assert ran.exit_code == 0, ran.output
        result = json.loads((out / "result.json").read_text())
        results.append({k: result[k] for k in ("prompt", "seed", "optimized", "stopped")})
    assert outages, "the outage happened"
    assert results[0] == results[1] and results[1]["optimized"]["dev"] == 1.0
