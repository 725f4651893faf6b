"""Labels scored by log-probability (routes.label_scores) against a fake llama.cpp context whose next-token
distribution is a table: the likeliest label wins, a label behind is never finished, a label that begins another is
scored with the turn ending, and the context's cached prefix is reused."""

import math

import numpy as np
import pytest

from idealprompt.errors import TaskError
from idealprompt.routes import Shape, shaped
from idealprompt.routes.embedded import EmbeddedChatModel
from idealprompt.routes.label_scores import score_labels
from idealprompt.tasks import Task
from idealprompt.tasks.output import OutputSpace

EOS = 0
VOCAB = {"Yes": [1], "No": [2], "Maybe": [3, 4], "Mayhem": [3, 5], "Ye": [6], "Yes please": [1, 7]}
N_VOCAB = 8


class FakeLlama:
    """Next-token probabilities by context (after the prompt), as a llama.cpp context would give its logits."""

    def __init__(self, prompt: list[int], table: dict[tuple[int, ...], dict[int, float]]):
        self.prompt, self.table = prompt, table
        self.input_ids = np.zeros(64, dtype=np.intc)
        self.n_tokens = 0
        self.evaluated: list[list[int]] = []  # the tokens of each eval, to count what was paid for
        self._ctx = self

    def tokenize(self, text: bytes, add_bos: bool, special: bool) -> list[int]:
        return VOCAB[text.decode()]

    def token_eos(self) -> int:
        return EOS

    def n_vocab(self) -> int:
        return N_VOCAB

    def eval(self, tokens):
        self.evaluated.append(list(tokens))
        self.input_ids[self.n_tokens : self.n_tokens + len(tokens)] = tokens
        self.n_tokens += len(tokens)

    def get_logits(self) -> np.ndarray:  # llama.cpp hands over a pointer; numpy's as_array takes an array as is
        after = tuple(int(t) for t in self.input_ids[len(self.prompt) : self.n_tokens])
        probabilities = np.full(N_VOCAB, 1e-9)
        for token, p in self.table.get(after, {}).items():
            probabilities[token] = p
        return np.log(probabilities)


def fake(table) -> FakeLlama:
    return FakeLlama([100, 101, 102], table)


def test_the_likeliest_label_wins_and_one_token_labels_need_one_pass():
    llm = fake({(): {1: 0.3, 2: 0.7}})
    label, scores = score_labels(llm, llm.prompt, ["Yes", "No"])
    assert label == "No" and scores == {"No": pytest.approx(math.log(0.7), abs=1e-6)}
    assert llm.evaluated == [llm.prompt]  # the prompt once; "Yes" (0.3 < 0.7 at its first token) never finished


def test_a_multi_token_label_is_scored_to_its_end_and_a_label_behind_is_cut_off():
    # Maybe and Mayhem share their first token; Mayhem's second is unlikely, so Maybe (0.6 * 0.9) beats No (0.4).
    llm = fake({(): {3: 0.6, 2: 0.4}, (3,): {4: 0.9, 5: 0.1}})
    label, scores = score_labels(llm, llm.prompt, ["Maybe", "Mayhem", "No"])
    assert label == "Maybe"
    assert scores["Maybe"] == pytest.approx(math.log(0.54), abs=1e-6)
    assert "No" not in scores and "Mayhem" not in scores  # both bounded below 0.54 before their end
    # The prompt once; then one token past it (Maybe's second), and again for Mayhem, whose partial score 0.06 ends it.
    assert llm.evaluated == [llm.prompt, [3], [3]]


def test_a_label_that_begins_another_is_scored_with_the_turn_ending_there():
    # "Yes" then end of turn: 0.9 * 0.2; "Yes please": 0.9 * 0.8. Without the ending "Yes" would always win.
    llm = fake({(): {1: 0.9, 2: 0.1}, (1,): {EOS: 0.2, 7: 0.8}})
    label, scores = score_labels(llm, llm.prompt, ["Yes", "Yes please", "No"])
    assert label == "Yes please" and scores["Yes please"] == pytest.approx(math.log(0.72), abs=1e-6)


def test_the_cached_prefix_is_reused_and_the_last_token_decoded_afresh():
    llm = fake({(): {1: 0.9, 2: 0.1}})
    score_labels(llm, llm.prompt, ["Yes", "No"])
    score_labels(llm, llm.prompt, ["Yes", "No"])  # the same prompt again: only its last token
    assert llm.evaluated == [llm.prompt, llm.prompt[-1:]]


def test_scored_answers_are_for_labels_and_reach_the_embedded_route_with_the_grammar_as_fallback():
    space = OutputSpace("label", ("Yes", "No"), "scored")
    assert space.constrained and space.scored_labels() == ("Yes", "No")
    assert OutputSpace("label", ("Yes", "No"), "constrained").scored_labels() is None
    with pytest.raises(ValueError, match="scored answers need labels"):
        OutputSpace("number", (), "scored")
    embedded = EmbeddedChatModel(model_name="m", model_path="unused.gguf", sha256="0" * 64)
    held = shaped(embedded, Shape(grammar=space.grammar(), schema=space.schema(), labels=space.scored_labels()))
    assert held.labels == ("Yes", "No") and held.grammar == space.grammar()


def test_a_number_task_cannot_be_scored():
    with pytest.raises(TaskError, match="field 'answers': scored needs answer: label"):
        Task.from_dict(
            {
                "name": "t",
                "description": "d",
                "seed_prompt": "s",
                "answer": "number",
                "answers": "scored",
                "data": {"format": "inline", "examples": [{"input": "1+1", "target": "2"}]},
                "split": {"train": 1},
            }
        )
