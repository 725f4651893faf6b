"""A server that speaks the Ollama HTTP protocol, backed by a real embedded model (llama-cpp-python).

No real Ollama server can be installed on this project's machines (no registry ships it), so the `ollama:` route is
tested against this one: `/api/chat` (streamed as NDJSON or whole), `/api/generate`, `/api/tags`, `/api/show` and
`/api/version`, answering from the GGUF it was given. It records each request, so tests can check what the client
sent (options, formats, images).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class OllamaProtocolServer:
    def __init__(self, model_path: str, model_name: str, *, threads: int = 2, host: str = "127.0.0.1", port: int = 0):
        from llama_cpp import Llama

        # Its own llama.cpp context, as a separate server process would have.
        self.llm = Llama(model_path=model_path, n_ctx=4096, n_threads=threads, verbose=False)
        self.model_name = model_name
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()  # one llama.cpp context decodes one sequence at a time
        self._http = ThreadingHTTPServer((host, port), _handler(self))
        self.url = f"http://{host}:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def __enter__(self) -> OllamaProtocolServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._http.shutdown()
        self._http.server_close()
        self.llm.close()

    # --- the protocol ------------------------------------------------------------------------------------------
    def tags(self) -> dict:
        return {"models": [self._describe()]}

    def show(self, body: dict) -> dict:
        return {
            "modelfile": "",
            "parameters": "",
            "template": "",
            "details": self._describe()["details"],
            "model_info": {},
            "capabilities": ["completion", "tools"],
        }

    def chat(self, body: dict):
        """Yields Ollama chat messages: content pieces, then a final `done` record with the counts."""
        messages = [_from_ollama(m) for m in body.get("messages", [])]
        yield from self._complete(body, messages, lambda text: {"message": {"role": "assistant", "content": text}})

    def generate(self, body: dict):
        messages = [{"role": "user", "content": body.get("prompt", "")}]
        if body.get("system"):
            messages.insert(0, {"role": "system", "content": body["system"]})
        yield from self._complete(body, messages, lambda text: {"response": text})

    def _complete(self, body: dict, messages: list[dict], wrap):
        options = body.get("options") or {}
        request: dict[str, Any] = {
            "messages": messages,
            "temperature": options.get("temperature", 0.8),
            "max_tokens": options.get("num_predict") if options.get("num_predict", -1) > 0 else None,
            "seed": options.get("seed"),
            "repeat_penalty": options.get("repeat_penalty", 1.1),
            "stop": options.get("stop") or [],
        }
        fmt = body.get("format")
        if fmt == "json":
            request["response_format"] = {"type": "json_object"}
        elif isinstance(fmt, dict):
            request["response_format"] = {"type": "json_object", "schema": fmt}
        started, count, reason = time.perf_counter_ns(), 0, "stop"
        with self._lock:
            for part in self.llm.create_chat_completion(stream=True, **request):
                choice = part["choices"][0]
                text = choice["delta"].get("content") or ""
                reason = choice.get("finish_reason") or reason
                if text:
                    count += 1
                    yield self._record(wrap(text), done=False)
        final = wrap("") | {
            "done_reason": reason,
            "total_duration": time.perf_counter_ns() - started,
            "eval_count": count,
            "prompt_eval_count": 0,
        }
        yield self._record(final, done=True)

    def _record(self, payload: dict, done: bool) -> dict:
        return {"model": self.model_name, "created_at": datetime.now(UTC).isoformat(), "done": done} | payload

    def _describe(self) -> dict:
        return {
            "name": self.model_name,
            "model": self.model_name,
            "modified_at": datetime.now(UTC).isoformat(),
            "size": 0,
            "digest": "0" * 64,
            "details": {"format": "gguf", "family": "embedded", "parameter_size": "", "quantization_level": ""},
        }


def _from_ollama(message: dict) -> dict:
    """Ollama's message as an OpenAI-style one for llama-cpp-python. The model behind is text-only: images (base64
    beside the text) stay in the recorded request, for tests to check, and the model reads the text."""
    return {"role": message["role"], "content": message.get("content", "")}


def _handler(server: OllamaProtocolServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: tests read the recorded requests instead
            pass

        def do_GET(self):
            if self.path == "/api/tags":
                return self._json(server.tags())
            if self.path == "/api/version":
                return self._json({"version": "0.6.0"})
            if self.path == "/":
                return self._text("Ollama is running")
            self._json({"error": f"unknown path {self.path}"}, status=404)

        def do_HEAD(self):
            self.send_response(200)
            self.end_headers()

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append((self.path, body))
            if self.path == "/api/show":
                return self._json(server.show(body))
            answer = {"/api/chat": server.chat, "/api/generate": server.generate}.get(self.path)
            if answer is None:
                return self._json({"error": f"unknown path {self.path}"}, status=404)
            if body.get("model") != server.model_name:
                return self._json({"error": f"model '{body.get('model')}' not found"}, status=404)
            records = answer(body)
            if body.get("stream", True):
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                for record in records:
                    self.wfile.write(json.dumps(record).encode() + b"\n")
                    self.wfile.flush()
                return
            *pieces, final = list(records)
            key = "message" if "message" in final else "response"
            text = "".join(p["message"]["content"] if key == "message" else p["response"] for p in pieces)
            if key == "message":
                final["message"]["content"] = text
            else:
                final["response"] = text
            self._json(final)

        def _json(self, payload: dict, status: int = 200):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _text(self, text: str):
            data = text.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
