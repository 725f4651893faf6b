"""Texts the small model receives with every prompt: the line that names the output space, and the block of
worked demonstrations that code copies from the training split."""

# By (answer kind, mode): the last line of every system message; {labels} is the task's labels, comma-separated.
CONTRACT = {
    ("label", "constrained"): "Answer with exactly one of: {labels}.",
    ("label", "scored"): "Answer with exactly one of: {labels}.",
    ("label", "free"): "End your answer with one of: {labels}.",
    ("number", "constrained"): "Answer with the number only.",
    ("number", "free"): "End your answer with the final number.",
}

DEMONSTRATIONS = "Examples:\n{examples}"
DEMONSTRATION = "Input: {input}\nAnswer: {answer}"
WORKED = "{solution}\nThe answer is {answer}."  # a demonstration's answer when the data has a worked solution
