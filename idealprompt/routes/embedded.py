"""`embedded:` route: a real small model running in this process with llama-cpp-python, as a LangChain chat model.

One llama.cpp context per GGUF and settings is loaded once per process and shared; calls to it are serialised by
a lock (a context decodes one sequence at a time). llama.cpp keeps the KV cache of the previous prompt, so calls
that share a long instruction prefix only evaluate what differs.
"""

from __future__ import annotations

import atexit
import functools
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool

if TYPE_CHECKING:
    from llama_cpp.llama_types import (
        ChatCompletionMessageToolCall,
        CreateChatCompletionResponse,
        CreateChatCompletionStreamResponse,
    )

# Tool calls come back as real tool_calls only through this llama-cpp-python handler (measured, ENVIRONMENT.md),
# for a model whose own chat template does not show it tools, and for "auto".
TOOL_CHAT_FORMAT = "chatml-function-calling"


class _Loaded:
    def __init__(self, path: str, lora_path: str | None, n_ctx: int, n_threads: int):
        from llama_cpp import Llama  # imported here: the other routes must not pay for loading llama.cpp

        self.llm = Llama(
            model_path=path,
            lora_path=lora_path,
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            verbose=False,
        )
        self.lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def _load(path: str, lora_path: str | None, n_ctx: int, n_threads: int) -> _Loaded:
    return _Loaded(path, lora_path, n_ctx, n_threads)


@atexit.register
def _close_all() -> None:
    # Free the models while the interpreter still works; llama.cpp's finalizers fail noisily at shutdown.
    _load.cache_clear()


class EmbeddedChatModel(BaseChatModel):
    """A GGUF model in llama-cpp-python behind LangChain's chat model interface."""

    model_name: str
    model_path: str
    sha256: str  # part of the cache key: a replayed answer belongs to these exact weights (and adapter's)
    lora_path: str | None = None  # a LoRA adapter GGUF applied on the model (a trained stylist: `train`)
    n_ctx: int = 4096
    n_threads: int = 2
    temperature: float = 0.0
    max_tokens: int = 512
    repeat_penalty: float = 1.1
    seed: int = 0
    grammar: str | None = None  # GBNF every answer must match (an output space); None: free
    labels: tuple[str, ...] | None = None  # answer the likeliest of these, scored, not decoded (routes.label_scores)

    @property
    def _llm_type(self) -> str:
        return "idealprompt-embedded"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "sha256": self.sha256,
            "n_ctx": self.n_ctx,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "repeat_penalty": self.repeat_penalty,
            "seed": self.seed,
            "grammar": self.grammar,
            "labels": self.labels,
        }

    @property
    def loaded(self) -> _Loaded:
        return _load(self.model_path, self.lora_path, self.n_ctx, self.n_threads)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Any],
        *,
        tool_choice: str | bool | dict | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """LangChain's semantics: unset or "auto", the model decides; "none", no tool; "any" or "required", some
        tool; a tool's name (or True with a single tool, or OpenAI's dict), that one."""
        formatted = [convert_to_openai_tool(t) for t in tools]
        names = [t["function"]["name"] for t in formatted]
        if tool_choice is True or (tool_choice in ("any", "required") and len(names) == 1):
            if len(names) != 1:
                raise ValueError(f"tool_choice=True needs exactly one tool, got {len(names)}")
            tool_choice = names[0]
        if isinstance(tool_choice, dict):
            tool_choice = tool_choice["function"]["name"]
        if tool_choice in (None, False):
            tool_choice = "auto"
        if tool_choice == "any":
            tool_choice = "required"
        if tool_choice not in ("auto", "none", "required") and tool_choice not in names:
            raise ValueError(f"tool_choice {tool_choice!r} names no bound tool; the tools are {', '.join(names)}")
        choice = tool_choice if tool_choice in ("auto", "none", "required") else _forced(str(tool_choice))
        return self.bind(tools=formatted, tool_choice=choice, **kwargs)

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        request = {
            "messages": [_to_openai(m) for m in messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "repeat_penalty": self.repeat_penalty,
            "seed": self.seed,
            "stop": stop or [],
        }
        if self.grammar is not None:
            request["grammar"] = _grammar(self.grammar)
        return request | kwargs

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, **kwargs)
        loaded = self.loaded
        with loaded.lock:
            if request.get("tools"):
                answer = _answered_with_tools(loaded.llm, request)
            elif self.labels and "response_format" not in request:
                answer = _answered_by_scores(loaded.llm, request, self.labels)
            else:
                answer = loaded.llm.create_chat_completion(**request)
        # Not streamed, so one whole response (llama-cpp-python's return type covers both).
        response = cast("CreateChatCompletionResponse", answer)
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        metadata = {"model_name": self.model_name, "finish_reason": choice.get("finish_reason")}
        if (scores := cast("dict[str, Any]", choice).get("label_logprobs")) is not None:
            metadata["label_logprobs"] = scores
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata=metadata,
            usage_metadata={
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
        )
        _attach_tool_calls(message, choice["message"].get("tool_calls") or [])
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if kwargs.get("tools") or self.labels:  # answered whole (tool handler, scores): handed over as one chunk
            message = self._generate(messages, stop, run_manager, **kwargs).generations[0].message
            yield ChatGenerationChunk(message=AIMessageChunk(**message.model_dump(exclude={"type"})))
            return
        request = self._request(messages, stop, **kwargs)
        loaded = self.loaded
        with loaded.lock:
            # Streamed, so chunks (llama-cpp-python's return type covers both).
            parts = cast(
                "Iterator[CreateChatCompletionStreamResponse]",
                loaded.llm.create_chat_completion(stream=True, **request),
            )
            for part in parts:
                choice = part["choices"][0]
                content = choice["delta"].get("content")  # typed object: the delta may be the empty kind
                text = content if isinstance(content, str) else ""
                finish = choice.get("finish_reason")
                metadata = {"model_name": self.model_name, "finish_reason": finish} if finish else {}
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text, response_metadata=metadata))
                if run_manager and text:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk


def _answered_by_scores(llm: Any, request: dict[str, Any], labels: tuple[str, ...]) -> Any:
    """The likeliest label as a chat completion, with its scores; decoded under the grammar instead when
    the GGUF has no chat template to score with."""
    from idealprompt.routes import label_scores

    try:
        tokens = label_scores.prompt_tokens(llm, request["messages"])
    except label_scores.Unscorable:
        return llm.create_chat_completion(**request)
    label, scores = label_scores.score_labels(llm, tokens, labels)
    return {
        "choices": [
            {"message": {"role": "assistant", "content": label}, "finish_reason": "stop", "label_logprobs": scores}
        ],
        "usage": {"prompt_tokens": len(tokens), "completion_tokens": 0, "total_tokens": len(tokens)},
    }


def _forced(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def _answered_with_tools(llm: Any, request: dict[str, Any]) -> Any:
    """A request with tools: a required or forced call through the model's own template where it shows tools, else
    through llama-cpp-python's tool handler (for "required", which it lacks, a tool chosen first)."""
    if request.get("tool_choice") not in ("auto", "none") and _template_shows_tools(llm):
        return _called_by_template(llm, request)
    from llama_cpp import llama_chat_format

    chosen = None
    if request.get("tool_choice") == "required":
        chosen = _choose_tool(llm, request)
        request["tool_choice"] = _forced(chosen["name"])
    handler = llama_chat_format.get_chat_completion_handler(TOOL_CHAT_FORMAT)
    request["messages"] = [_tool_result_told(m) for m in request["messages"]]
    plain = {k: v for k, v in request.items() if k not in ("tools", "tool_choice")}
    answer: Any = handler(llama=llm, **request)  # not streamed: one whole response
    if chosen is not None:
        _add_usage(answer, chosen["usage"])
    message = answer["choices"][0]["message"]
    if not message.get("tool_calls") and (message.get("content") or "").startswith("functions."):
        # The handler (llama-cpp-python 0.3.36) decodes the message it chose to write under its grammar of tool
        # names, so a message comes out as "functions.NAME:". The model chose words: they are written without it.
        words = llm.create_chat_completion(**plain)
        _add_usage(words, answer.get("usage") or {})
        return words
    return answer


def _template_shows_tools(llm: Any) -> bool:
    """Whether the GGUF's own chat template renders the tools (Qwen2.5's does; SmolLM2's does not)."""
    return "tools" in (llm.metadata.get("tokenizer.chat_template") or "")


def _called_by_template(llm: Any, request: dict[str, Any]) -> Any:
    """A "required" or forced call through the model's own chat template, which shows it the tools as it was
    trained to see them; the name and the arguments come in one answer, held by a JSON schema to the tools allowed.
    Measured on the 1.5B model: the right tool for each of four requests, where picking a name first did not."""
    choice = request.pop("tool_choice")
    allowed = [
        t["function"]
        for t in request["tools"]
        if choice == "required" or t["function"]["name"] == choice["function"]["name"]
    ]
    calls = [
        {
            "type": "object",
            "properties": {"name": {"const": f["name"]}, "arguments": f.get("parameters") or {"type": "object"}},
            "required": ["name", "arguments"],
        }
        for f in allowed
    ]
    schema = json.dumps(calls[0] if len(calls) == 1 else {"oneOf": calls})
    answer = llm.create_chat_completion(**request, grammar=_schema_grammar(schema))
    choice_made = answer["choices"][0]
    text = choice_made["message"].get("content") or ""
    try:
        called = json.loads(text)
        name, arguments = called["name"], json.dumps(called["arguments"])
    except (json.JSONDecodeError, KeyError, TypeError):  # cut at the token limit: an invalid call, said so
        name, arguments = (allowed[0]["name"] if len(allowed) == 1 else ""), text
    call_id = f"call_{uuid.uuid4().hex[:12]}"
    choice_made["message"] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}],
    }
    choice_made["finish_reason"] = "tool_calls"
    return answer


def _choose_tool(llm: Any, request: dict[str, Any]) -> dict[str, Any]:
    """Which tool a "required" call makes: the model picks a name among the tools, held to them by a grammar, from
    the conversation and the tools' descriptions; the handler then calls that tool."""
    tools = request["tools"]
    listing = "\n".join(f"- {t['function']['name']}: {t['function'].get('description', '')}" for t in tools)
    names = " | ".join(json.dumps(t["function"]["name"]) for t in tools)
    ask = {"role": "system", "content": f"Call one of these tools next:\n{listing}\nAnswer with its name only."}
    answer = llm.create_chat_completion(
        messages=[*request["messages"], ask],
        grammar=_grammar(f"root ::= {names}"),
        temperature=0.0,
        max_tokens=32,
        seed=request.get("seed", 0),
    )
    return {"name": answer["choices"][0]["message"]["content"].strip(), "usage": answer.get("usage") or {}}


def _add_usage(answer: Any, usage: dict[str, int]) -> None:
    total = answer.setdefault("usage", {})
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        total[key] = total.get(key, 0) + usage.get(key, 0)


@functools.lru_cache(maxsize=16)
def _schema_grammar(schema: str):
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema, verbose=False)


@functools.lru_cache(maxsize=64)
def _grammar(gbnf: str):
    """A compiled grammar; compiling costs milliseconds, and an evaluation asks with the same one hundreds of times."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(gbnf, verbose=False)


def _attach_tool_calls(message: AIMessage, raw_calls: Sequence[ChatCompletionMessageToolCall]) -> None:
    for raw in raw_calls:
        name, arguments = raw["function"]["name"], raw["function"].get("arguments") or "{}"
        call_id = raw.get("id") or f"call_{uuid.uuid4().hex[:12]}"
        try:
            message.tool_calls.append(tool_call(name=name, args=json.loads(arguments), id=call_id))
        except json.JSONDecodeError as e:
            message.invalid_tool_calls.append(invalid_tool_call(name=name, args=arguments, id=call_id, error=str(e)))


def _tool_result_told(message: dict[str, Any]) -> dict[str, Any]:
    """The tool handler's template has no tool role (it drops such messages): a tool's result is told as a user's."""
    if message["role"] != "tool":
        return message
    called = message.get("name") or message["tool_call_id"]
    return {"role": "user", "content": f"{called} returned:\n{message['content']}"}


def _to_openai(message: BaseMessage) -> dict[str, Any]:
    """A LangChain message as the OpenAI-style dict that llama-cpp-python's chat handlers take."""
    if isinstance(message, SystemMessage):
        return {"role": "system", "content": message.content}
    if isinstance(message, HumanMessage):
        return {"role": "user", "content": message.content}
    if isinstance(message, ToolMessage):
        told = {"role": "tool", "content": message.text, "tool_call_id": message.tool_call_id}
        return told | ({"name": message.name} if message.name else {})
    if isinstance(message, AIMessage):
        out: dict[str, Any] = {"role": "assistant", "content": message.text}
        if message.tool_calls:
            out["tool_calls"] = [
                {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": json.dumps(c["args"])}}
                for c in message.tool_calls
            ]
        return out
    raise TypeError(f"embedded route cannot send a {type(message).__name__}")
