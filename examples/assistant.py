"""Chat with idealprompt's assistant: it optimises a task's prompt, writes facts in a house style and shows the
last run's scores, calling the project's graphs as tools, and streams its answers.

    python examples/assistant.py            # on the routes of your settings (the embedded models by default)

Try: "Write name[The Eagle], eatType[pub], area[riverside] in the tablenotes style",
"Optimise the prompt of examples/navigate.yaml with a budget of 60 calls", "What were the scores of the last run?"
"""

import uuid

from langchain_core.messages import AIMessageChunk, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from idealprompt import Session
from idealprompt.assistant import Assistance, build_assistant


def main() -> None:
    graph = build_assistant(InMemorySaver())  # the conversation is kept under the thread
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    context = Assistance(Session())
    print("idealprompt's assistant; an empty line ends.")
    while question := input("\nyou> ").strip():
        print("assistant> ", end="", flush=True)
        asked = {"messages": [("user", question)]}
        for message, meta in graph.stream(asked, config, context=context, stream_mode="messages"):
            if isinstance(message, ToolMessage):
                print(f"[{message.name}: done] ", end="", flush=True)
            elif isinstance(message, AIMessageChunk) and meta["langgraph_node"] in ("respond", "decide"):
                print(message.text, end="", flush=True)
        print()


if __name__ == "__main__":
    main()
