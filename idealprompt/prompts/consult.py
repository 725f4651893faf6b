"""Texts of the tool-calling loop (`agents.consult`): how an agent is told of its tools, and what it is told back."""

# Appended to the agent's request when it has tools; {names}: the tools, {answer}: the answer's own tool.
TOOLS = """

Before you answer you may call these tools, a few times at most: {names}. When you are ready, answer by calling \
{answer}."""

TOOL_FAILED = "The tool failed: {error}"
NO_SUCH_TOOL = "There is no tool named {name}; the tools are: {names}."
BAD_ANSWER = "That answer does not fit its schema: {error}. Call it again with every field filled in."

# The structured call after the steps: what the tools answered, as text (any route reads it).
HEARD = """What your tool calls answered:
{heard}
Now give your answer."""

HEARD_ONE = "- {call}: {result}"
