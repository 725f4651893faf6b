"""A tiny OpenAI-compatible server for unit tests: it answers /v1/chat/completions from a script (a fixed text or a
function of the request) with a `usage` block, streamed when asked, lists one model, and records the bodies it was
sent."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAIServer:
    def __init__(
        self,
        answer: str | Callable[[dict], str] = "Yes",
        *,
        model: str = "fake",
        prompt_tokens: int = 11,
        completion_tokens: int = 3,
    ):
        self.answer, self.model = answer, model
        self.prompt_tokens, self.completion_tokens = prompt_tokens, completion_tokens
        self.received: list[dict] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def outage(self, seconds: float) -> threading.Thread:
        """Stop serving (the port refuses connections) for `seconds`, then serve again on the same port, as a
        server that crashed and was restarted; from another thread, so a handler may call it."""
        port = self._server.server_address[1]

        def down_and_up() -> None:
            self._server.shutdown()
            self._server.server_close()
            time.sleep(seconds)
            self._server = _Server(("127.0.0.1", port), _handler(self))
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()

        thread = threading.Thread(target=down_and_up)
        thread.start()
        return thread

    def env(self, small: str = "small", large: str = "large") -> dict[str, str]:
        """The variables that send both roles to this server, as a user of the CLI sets them."""
        return {
            "OPENAI_BASE_URL": f"{self.url}/v1",
            "IDEALPROMPT_SMALL": f"openai:{small}",
            "IDEALPROMPT_LARGE": f"openai:{large}",
        }

    def complete(self, body: dict) -> dict:
        with self._lock:
            self.received.append(body)
        text = self.answer(body) if callable(self.answer) else self.answer
        return {
            "id": f"fake-{len(self.received)}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model"),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens,
            },
        }


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client gone before its answer (a test killed it) is no error of the server's."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler(server: FakeOpenAIServer):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self._send(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            answer = server.complete(body)
            if body.get("stream"):
                self._stream(answer)
            else:
                self._send(200, answer)

        def _stream(self, answer: dict):
            """The answer as server-sent events, a chunk per word, as OpenAI streams it."""
            text, base = answer["choices"][0]["message"]["content"], {k: answer[k] for k in ("id", "created", "model")}
            words = [w + " " for w in text.split(" ")]
            words[-1] = words[-1][:-1]
            deltas = [{"role": "assistant", "content": ""}, *({"content": w} for w in words)]
            chunks = [{"index": 0, "delta": d, "finish_reason": None} for d in deltas]
            chunks.append({"index": 0, "delta": {}, "finish_reason": "stop"})
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for choice in chunks:
                event = base | {"object": "chat.completion.chunk", "choices": [choice]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            usage = base | {"object": "chat.completion.chunk", "choices": [], "usage": answer["usage"]}
            self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())

        def _send(self, status: int, answer: dict):
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler
