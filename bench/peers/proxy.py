"""The counting proxy: one OpenAI-compatible address in front of the model servers that counts every request per
client, at the server, where no framework's own bookkeeping can leave a call out.

    with CountingProxy({"small-qwen": Backend("small", "http://127.0.0.1:8001", "small-qwen")}) as proxy:
        proxy.cap("trec/copro/optimize", small_calls=300)
        client = openai.OpenAI(base_url=proxy.url("trec/copro/optimize"), api_key="none")
        ...
        proxy.usage("trec/copro/")["small"].calls

A client is named by the path before `/v1/` (`/trec/copro/optimize/v1/chat/completions`); the request's `model`
picks the backend, whose own alias is sent in its place. A client past its cap on small-model requests is
answered 429, with a message that says so, and the refusal is recorded. Two fields llama.cpp's server ignores are
made to count: `max_completion_tokens` (DSPy 3.4 sends only that) is passed on as `max_tokens`, and `n` (COPRO asks
for n proposals in one request) is served by asking n times. Streaming is refused: no system here needs it, and a
streamed answer's usage would have to be read from its last chunk.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

# A request may queue behind others at a 2-core server, then generate ~1,000 tokens on the 1.5B model.
BACKEND_TIMEOUT = 1800.0


@dataclass(frozen=True)
class Backend:
    role: str  # "small" (the target model) or "large" (proposals, reflection)
    url: str  # the server's root, http://127.0.0.1:PORT
    alias: str  # the model name the server answers to


@dataclass(frozen=True)
class Request:
    client: str
    role: str
    status: int  # 429: refused at the cap, never sent
    prompt_tokens: int
    completion_tokens: int
    started: float  # time.monotonic()
    seconds: float


@dataclass
class Usage:
    """What one role spent for the clients under one prefix, as the proxy saw it."""

    calls: int = 0  # requests sent to the model (refusals excluded)
    refused: int = 0
    errors: int = 0  # sent, and answered with an error status
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0  # summed over requests, which may overlap

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class CountingProxy:
    def __init__(self, models: dict[str, Backend], *, host: str = "127.0.0.1", port: int = 0):
        self.models = models
        self.requests: list[Request] = []
        self._caps: dict[str, int] = {}
        self._sent: dict[str, int] = {}  # small-model requests let through, per client
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=BACKEND_TIMEOUT)
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self.root = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    def url(self, client: str) -> str:
        """The OpenAI base URL a client is given."""
        return f"{self.root}/{client}/v1"

    def cap(self, client: str, *, small_calls: int) -> None:
        """Refuse the client's small-model requests beyond `small_calls`."""
        with self._lock:
            self._caps[client] = small_calls

    def usage(self, prefix: str) -> dict[str, Usage]:
        """Per role, the requests of every client whose name starts with `prefix`."""
        found = {"small": Usage(), "large": Usage()}
        for r in self._matching(prefix):
            u = found.setdefault(r.role, Usage())
            if r.status == 429:
                u.refused += 1
                continue
            u.calls += 1
            u.errors += r.status >= 400
            u.prompt_tokens += r.prompt_tokens
            u.completion_tokens += r.completion_tokens
            u.seconds += r.seconds
        return found

    def busy_seconds(self, prefix: str) -> float:
        """Seconds during which at least one of these clients' requests was in flight (overlaps counted once)."""
        busy, end = 0.0, float("-inf")
        for r in sorted(self._matching(prefix), key=lambda r: r.started):
            if r.status == 429:
                continue
            start, stop = max(r.started, end), r.started + r.seconds
            busy += max(0.0, stop - start)
            end = max(end, stop)
        return busy

    def _matching(self, prefix: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.client.startswith(prefix)]

    # --- one request -------------------------------------------------------------------------------------------
    def _admit(self, client: str, backend: Backend) -> bool:
        """Count a small-model request against the client's cap; False when the cap is reached."""
        if backend.role != "small":
            return True
        with self._lock:
            if self._sent.get(client, 0) >= self._caps.get(client, float("inf")):
                self.requests.append(Request(client, backend.role, 429, 0, 0, time.monotonic(), 0.0))
                return False
            self._sent[client] = self._sent.get(client, 0) + 1
            return True

    def _forward(self, client: str, path: str, body: dict) -> tuple[int, dict]:
        backend = self.models.get(body.get("model"))
        if backend is None:
            return 404, _error(
                f"model {body.get('model')!r} is not served here; served: {', '.join(self.models)}", "model_not_found"
            )
        if body.get("stream"):
            return 400, _error("the counting proxy does not stream: ask without stream", "stream_unsupported")
        n = body.get("n") or 1
        body = {**body, "model": backend.alias, "n": 1}
        if body.get("max_tokens") is None and body.get("max_completion_tokens") is not None:
            body["max_tokens"] = body["max_completion_tokens"]
        answers = [self._one(client, backend, path, body) for _ in range(n)]
        status, first = answers[0]
        if status != 200 or n == 1:
            return status, first
        choices = [c for s, a in answers if s == 200 for c in a.get("choices", [])[:1]]
        return 200, {**first, "choices": [{**c, "index": i} for i, c in enumerate(choices)]}

    def _one(self, client: str, backend: Backend, path: str, body: dict) -> tuple[int, dict]:
        if not self._admit(client, backend):
            cap = self._caps[client]
            return 429, _error(
                f"budget exhausted: client {client!r} has made its {cap} small-model calls", "budget_exhausted"
            )
        started = time.monotonic()
        try:
            reply = self._http.post(f"{backend.url}{path}", json=body)
            status, answer = reply.status_code, reply.json()
        except (httpx.HTTPError, ValueError) as e:
            status, answer = 502, _error(f"the {backend.role} model server failed: {e}", "backend_error")
        usage = answer.get("usage") or {}
        with self._lock:
            self.requests.append(
                Request(
                    client,
                    backend.role,
                    status,
                    usage.get("prompt_tokens") or 0,
                    usage.get("completion_tokens") or 0,
                    started,
                    time.monotonic() - started,
                )
            )
        return status, answer


def _error(message: str, code: str) -> dict:
    return {"error": {"message": message, "type": code, "code": code}}


def _split(path: str) -> tuple[str, str]:
    """`/trec/copro/optimize/v1/chat/completions` -> ("trec/copro/optimize", "/v1/chat/completions")."""
    client, _, rest = path.partition("/v1/")
    return client.strip("/"), f"/v1/{rest}"


def _handler(proxy: CountingProxy):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            _client, path = _split(self.path)
            if path == "/v1/models":
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": [{"id": name, "object": "model", "owned_by": "bench"} for name in proxy.models],
                    },
                )
            else:
                self._send(404, _error(f"no such endpoint: {path}", "not_found"))

        def do_POST(self):
            client, path = _split(self.path)
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            except ValueError:
                self._send(400, _error("the request body is not JSON", "bad_request"))
                return
            self._send(*proxy._forward(client, path, body))

        def _send(self, status: int, answer: dict):
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 429:
                self.send_header("x-should-retry", "false")  # OpenAI's SDK honours it: a budget does not come back
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # one line per request would drown the progress lines
            pass

    return Handler
