"""The output space as the small model is held to it: what every prompt tells it, and what each route enforces.

Three modes, chosen per task (`answers:` in the task file, `--answers` on the command line):

- `constrained`: the answer is exactly a label, or a number, nothing else. Routes enforce it where they can: a
  llama.cpp grammar (the embedded route, llama.cpp servers), a JSON schema with an enum (Ollama's `format`,
  OpenAI's structured outputs). A label then costs the 1-3 tokens that decide it, instead of 30-50 tokens of
  chatter that a parser must read (measured on the quick-start task: bench/RESULTS.md).
- `scored` (labels): nothing is decoded; the route scores every label's log-probability under the prompt and
  answers the likeliest (the embedded route: `routes.label_scores`). A route that returns no log-probabilities of
  whole labels (Ollama, OpenAI-compatible servers) holds the answer as `constrained` does instead.
- `free`: the model writes what it likes (reasoning first, if the prompt asks for it), and the parser reads the
  answer from it (`idealprompt.tasks.answers`).

Either way the evaluator ends every system message with a line that names the output space (its texts:
`idealprompt.prompts.answers`): the framework knows the labels and must not hide them from the model (a plain
seed prompt that does not name them scored 0 on a five-class task). Free-text tasks have no constraint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

Mode = Literal["constrained", "scored", "free"]
MODES: tuple[Mode, ...] = ("constrained", "scored", "free")
NUMBER_GBNF = r'root ::= "-"? [0-9]+ ("." [0-9]+)?'


@dataclass(frozen=True)
class OutputSpace:
    answer: Literal["label", "number", "text"]
    labels: tuple[str, ...] = ()
    mode: Mode = "free"  # text answers are always free

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"answers must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode == "scored" and self.answer != "label":
            raise ValueError(f"scored answers need labels, and a {self.answer} answer has none")

    @property
    def constrained(self) -> bool:
        """Held to the output space: by a grammar or schema, or (scored) by scoring the labels where routes can."""
        return self.mode in ("constrained", "scored") and self.answer in ("label", "number")

    def scored_labels(self) -> tuple[str, ...] | None:
        """The labels a route that returns log-probabilities scores instead of decoding, or None."""
        return self.labels if self.mode == "scored" else None

    def grammar(self) -> str | None:
        """A GBNF grammar that admits exactly the valid answers (llama.cpp), or None when unconstrained."""
        if not self.constrained:
            return None
        if self.answer == "number":
            return NUMBER_GBNF
        return "root ::= " + " | ".join(json.dumps(label, ensure_ascii=False) for label in self.labels)

    def schema(self) -> dict | None:
        """The same constraint as a JSON schema, for routes that take schemas (Ollama, OpenAI)."""
        if not self.constrained:
            return None
        value = {"type": "string", "enum": list(self.labels)} if self.answer == "label" else {"type": "number"}
        return {
            "type": "object",
            "properties": {"answer": value},
            "required": ["answer"],
            "additionalProperties": False,
        }


def unwrap(raw: str) -> str:
    """The answer inside a JSON answer `{"answer": ...}` (schema-constrained routes), else the text as it is."""
    text = raw.strip()
    if text.startswith("{") and text.endswith("}"):
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return raw
        if isinstance(value, dict) and "answer" in value and not isinstance(value["answer"], dict | list):
            return str(value["answer"])
    return raw
