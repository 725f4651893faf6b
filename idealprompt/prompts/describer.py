"""Texts of the describer agent: in private mode, the local small model tells the remote reflector what went wrong
in a mistake without showing the example."""

SYSTEM = """You describe a mistake of a language model to someone who may not see the example. In one or two \
sentences, say what kind of input it is and what about it probably led the model to the wrong answer.
Never quote the input. Never name a person, organisation, place, date or number from it. Never restate its content."""

DESCRIBE = """Task: {description}
Input: {input}
Correct answer: {expected}
Model's answer: {answer}

Describe the mistake."""
