"""`langgraph dev` serves langgraph.json's graphs: a client runs the writing graph through langgraph-sdk, on the
real embedded models, with its routes and budget given as JSON in the run's context."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import UNUSED_PORT
from tests.integration.conftest import _free_port, wait_until_up

langgraph_sdk = pytest.importorskip("langgraph_sdk", reason="needs the server extra: pip install -e '.[server]'")
ROOT = Path(__file__).resolve().parents[2]
ROUTES = {"small": "embedded:qwen2.5-coder-0.5b", "large": "embedded:qwen2.5-coder-1.5b"}
FACTS = {"name": "The Eagle", "eatType": "coffee shop", "food": "Italian", "area": "riverside"}


@pytest.fixture(scope="module")
def server(real_settings, tmp_path_factory):
    """`langgraph dev` on 127.0.0.1, as the README starts it; its own process loads the models."""
    port, folder = _free_port(), tmp_path_factory.mktemp("langgraph")
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("IDEALPROMPT_") and name not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")
    }
    environment |= {
        "IDEALPROMPT_OLLAMA_HOST": UNUSED_PORT,
        "IDEALPROMPT_THREADS": "2",
        "IDEALPROMPT_MAX_TOKENS": "128",
        "IDEALPROMPT_RUNS": str(folder / "runs"),
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGSMITH_TRACING": "false",
    }
    command = [str(Path(sys.executable).parent / "langgraph"), "dev", "--no-browser", "--no-reload"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--config", str(ROOT / "langgraph.json")]
    log = folder / "server.log"
    proc = subprocess.Popen(command, cwd=folder, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(proc, f"{url}/ok", log, "langgraph dev", seconds=90)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


async def _write(url: str, context: dict) -> list:
    client = langgraph_sdk.get_client(url=url)
    thread = await client.threads.create()
    given = {"facts": FACTS, "style": "neutral"}
    modes = ["updates", "messages-tuple"]
    stream = client.runs.stream(
        thread["thread_id"], "write", input=given, context=context, stream_mode=modes, stream_subgraphs=True
    )
    return [part async for part in stream]


def test_the_server_lists_the_graphs_with_json_schemas(server):
    async def schemas():
        client = langgraph_sdk.get_client(url=server)
        found = {a["graph_id"]: a for a in await client.assistants.search()}
        chat = await client.assistants.get_schemas(found["assistant"]["assistant_id"])
        return found, await client.assistants.get_schemas(found["write"]["assistant_id"]), chat

    found, schemas, chat = asyncio.run(schemas())
    assert {"write", "optimize", "assistant"} <= set(found)
    assert {"small", "large", "small_calls", "memory"} <= set(schemas["context_schema"]["properties"])
    assert {"facts", "style"} <= set(schemas["input_schema"]["properties"])
    assert {"large", "steps"} <= set(chat["context_schema"]["properties"])
    assert "messages" in chat["input_schema"]["properties"]


def test_a_client_chats_with_the_served_assistant(server):
    async def chat() -> list:
        client = langgraph_sdk.get_client(url=server)
        thread = await client.threads.create()
        asked = {"messages": [{"role": "user", "content": "What were the scores of the last run?"}]}
        stream = client.runs.stream(
            thread["thread_id"], "assistant", input=asked, context=ROUTES, stream_mode=["updates", "messages-tuple"]
        )
        return [part async for part in stream]

    parts = asyncio.run(chat())
    assert not [p for p in parts if p.event == "error"], parts
    steps = [node for p in parts if p.event == "updates" for node in p.data]
    words = "".join(p.data[0]["content"] for p in parts if p.event.startswith("messages") and p.data[0]["content"])
    assert steps[0] == "decide" and steps[-1] in ("respond", "decide")  # an answer, streamed or in words
    assert words.strip()


def test_a_client_runs_the_writing_graph_and_sees_its_steps_and_tokens(server):
    parts = asyncio.run(_write(server, ROUTES | {"small_calls": 4}))
    assert not [p for p in parts if p.event == "error"], parts
    inner = [node for p in parts if p.event.startswith("updates|") for node in p.data]
    chunks = [p.data[0] for p in parts if p.event.startswith("messages|")]
    [done] = [p.data["write"]["result"] for p in parts if p.event == "updates" and "write" in p.data]
    assert {"plan", "write", "check"} <= set(inner)
    assert len([c for c in chunks if c["content"]]) > 5  # the stylist's tokens, as they came
    assert "qwen2.5-coder-0.5b" in {c["response_metadata"].get("model_name") for c in chunks}  # the context's route
    assert "The Eagle" in done["text"] and done["plan"] and 1 <= done["usage"]["small"]["calls"] <= 4


def test_the_budget_in_the_context_holds(server):
    parts = asyncio.run(_write(server, ROUTES | {"small_calls": 0}))
    [done] = [p.data["write"]["result"] for p in parts if p.event == "updates" and "write" in p.data]
    assert done["text"] == "" and "budget" in done["stopped"] and done["usage"]["small"]["calls"] == 0
