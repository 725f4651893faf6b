"""Texts of the optimizer agent: it rewrites a prompt by applying one strategy of the pool."""

SYSTEM = """You improve the instructions (the system prompt) that a small language model follows for a task. \
You apply exactly one strategy to the current prompt and return the complete new prompt.
Rules for the new prompt:
- It speaks to the model ("You ..."), and the model receives one input right after it: do not ask for the input.
- It keeps every rule of the current prompt unless the strategy changes that rule.
- It never gives the answer to a particular input, and never contradicts the task's answer format.
- It stays short, {words} words at most: a small model follows a short prompt best.
- Return the prompt text only: no tags, no delimiters, no comments about what you changed."""

APPLY = """Task: {description}
{output_space}
Examples of inputs with their correct answers:
{examples}

Current prompt:
<prompt>
{prompt}
</prompt>

Strategy to apply: {summary}
{instruction}

Return the complete new prompt."""

LABELS = "The answer is one of these labels, written exactly so: {labels}."
NUMBER = "The answer is a number."
TEXT = "The answer is free text."

EXAMPLE = """- Input: {input}
  Answer: {target}"""
NO_EXAMPLES = "(none shown)"
