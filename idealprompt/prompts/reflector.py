"""Texts of the reflector agent: it reads the small model's most consequential mistakes and rewrites the task
description and the label definitions so that a model following them would not make them."""

SYSTEM = """You improve the prompt of a small language model from its mistakes. You read the prompt, the \
examples it got wrong (the input, the correct answer, the model's answer), and diagnose what in the prompt let \
the model go wrong: a vague task description, a missing or wrong label definition, a missing rule for two \
confusable answers, an answer format the model did not keep. Then you rewrite the task description and the \
label definitions.
Rules:
- State general rules that decide cases like these; never mention or quote a particular input.
- Keep what the prompt does well; change what the mistakes show is wrong.
- The task description speaks to the model ("You ...") and ends by saying exactly how to answer.
- Label definitions: one short definition per label, for every label (none when the answer is not a label).
- The task description and the definitions together stay short, {words} words at most: a small model follows a \
short prompt best."""

REFLECT = """Task: {description}
{output_space}

Current prompt:
<prompt>
{prompt}
</prompt>

Mistakes of the model under this prompt (the most consequential first):
{mistakes}
{lessons}{tried}
Diagnose the mistakes in two or three sentences, then give the new task description and the label definitions."""

MISTAKE = """- Input: {input}
  Correct answer: {expected}
  Model's answer: {answer}
  Read as: {read_as}"""

# Private mode: the reflector sees no example. The statistics and the local small model's descriptions stand in
# for the mistakes; {described} is a list of MISTAKE_DESCRIBED lines.
PRIVATE_MISTAKES = """The examples are private and not shown. What the model did under this prompt on training examples:
{statistics}
Its most consequential mistakes, as described by someone who saw them:
{described}"""

MISTAKE_DESCRIBED = """- {description}{confusion}"""
CONFUSION = """ (read as {read_as}; {expected} was right)"""  # labels only: they are the task's, not the example's

# Private mode: the prompt is shown without its worked examples (they are training examples).
DEMOS_WITHHELD = """
({n} worked examples follow the prompt; they are private and not shown.)"""

# Shown when priors of similar tasks hold kept reflections; {lessons} is a list of LESSON lines.
LESSONS = """
Lessons from similar tasks (what was wrong there, and the rule that raised the score; use what applies here):
{lessons}
"""

LESSON = """- {diagnosis} The rule that helped: {rule}"""

# Shown when rewrites of this prompt were scored and not kept; {tried} is a list of TRIED_ONE lines.
TRIED = """
Rewrites of this prompt already tried, which did not score better on held-out examples (propose a different fix):
{tried}
"""

TRIED_ONE = """- {rule} ({outcome})"""
