"""Texts of the tool-calling loop (`agents.consult`): how an agent is told of its tools, and what it is told back."""

# Appended to the agent's request when it has tools; {names}: the tools, {answer}: the answer's own tool.
TOOLS = """

Before you answer you may call these tools, a few times at most: {names}. When you are ready, answer by calling \
{answer}."""

# The same for an agent whose answer is a text: it calls a tool on a draft, then answers in words (HEARD).
TOOLS_THEN_TEXT = """

Before you answer, call one of these tools on a draft of your text: {names}."""

TOOL_FAILED = "The tool failed: {error}"
NO_SUCH_TOOL = "There is no tool named {name}; the tools are: {names}."
BAD_ANSWER = "That answer does not fit its schema: {error}. Call it again with every field filled in."

# The structured call after the steps: what the tools answered, as text (any route reads it).
HEARD = """What your tool calls answered:
{heard}
Now give your answer."""

HEARD_ONE = "- {call}: {result}"

# The last ask of a text agent, after its calls on a draft.
HEARD_TEXT = """What your tool calls on your draft answered:
{heard}
Now write the text, with anything they found wrong put right. Answer with the text only."""
