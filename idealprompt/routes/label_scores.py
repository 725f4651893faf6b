"""Labels scored by log-probability in llama.cpp, nothing decoded: the answer is the label the model finds likeliest.

A constrained answer decoded through a grammar pays for the grammar at every sampled token (llama-cpp-python checks
it against the whole vocabulary: 50-60 ms a call with a 151k-token vocabulary, bench/RESULTS.md). Scoring instead
evaluates the prompt once (its cached prefix kept, as decoding does), reads every label's first token from the same
logits, and evaluates further tokens only for the labels still in the lead: a label's log-probability can only fall
as tokens are added, so a label whose partial score is already below the best complete one is never finished. On a
yes/no or one-token-per-label task that is one pass over the prompt and no decoding step at all.

The score is the sum of the label's token log-probabilities after the assistant turn opens, plus, when one label is
a prefix of another, the probability that the turn ends there. No repeat penalty, no temperature: the likeliest
label, always.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np


class Unscorable(Exception):
    """The GGUF has no chat template to render the prompt with: decode under the grammar instead."""


def prompt_tokens(llm: Any, messages: list[dict[str, Any]]) -> list[int]:
    """The tokens llama-cpp-python's chat handler would send for `messages`, up to the opened assistant turn."""
    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        raise Unscorable("the GGUF has no chat template")
    formatted = _formatter(template, _text(llm, llm.token_eos()), _text(llm, llm.token_bos()))(messages=messages)
    return llm.tokenize(formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True)


def score_labels(llm: Any, tokens: Sequence[int], labels: Sequence[str]) -> tuple[str, dict[str, float]]:
    """The likeliest of `labels` after `tokens`, and the log-probability of every label scored to its end (the
    others were cut off once behind; they are absent)."""
    spelled = {label: llm.tokenize(label.encode("utf-8"), add_bos=False, special=False) for label in labels}
    ended = {label: _needs_end(spelled[label], spelled.values()) for label in labels}
    first = _logprobs_after(llm, tokens)
    best, best_score, scores = labels[0], -math.inf, {}
    for label in sorted(labels, key=lambda lab: -first[spelled[lab][0]]):
        score = float(first[spelled[label][0]])
        if score <= best_score:
            break  # sorted by their first token's score, which bounds each label's: none after can win
        path = [*spelled[label], llm.token_eos()] if ended[label] else spelled[label]
        for i in range(1, len(path)):
            score += float(_logprobs_after(llm, [*tokens, *path[:i]])[path[i]])
            if score <= best_score:
                break
        else:
            scores[label] = score
            best, best_score = label, score
    return best, scores


def _logprobs_after(llm: Any, tokens: Sequence[int]) -> np.ndarray:
    """Log-probabilities of the next token after `tokens`, the context's cached prefix reused (as Llama.generate
    does: the KV cache past the common prefix is dropped, and at least the last token is decoded afresh)."""
    cached = 0
    for a, b in zip(llm.input_ids[: llm.n_tokens], tokens, strict=False):
        if a != b:
            break
        cached += 1
    llm.n_tokens = min(cached, len(tokens) - 1)
    llm.eval(tokens[llm.n_tokens :])
    logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
    top = logits.max()
    return logits - (top + np.log(np.exp(logits - top).sum()))


def _needs_end(spelled: list[int], others) -> bool:
    """Whether a label's tokens begin another label's: then its score must include the turn ending there."""
    return any(len(o) > len(spelled) and o[: len(spelled)] == spelled for o in others)


def _text(llm: Any, token: int) -> str:
    return llm._model.token_get_text(token) if token != -1 else ""


@functools.lru_cache(maxsize=4)
def _formatter(template: str, eos: str, bos: str):
    """The GGUF's own chat template, as llama-cpp-python renders it for a chat completion. Cached by its text, not
    by the model: a cache holding the model would keep it past the route's own release at exit."""
    from llama_cpp import llama_chat_format

    return llama_chat_format.Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
