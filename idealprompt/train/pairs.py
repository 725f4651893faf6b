"""Content DPO's preference pairs: for the same request, a faithful text chosen over a hallucinated one.

Two sources, as in SAG: the stylist's own outputs (a candidate the fact check passes, chosen, over one it flags,
rejected; from a self-improvement round), and controlled corruption of a faithful text, which teaches the
commonest errors even when the stylist rarely makes them: a number changed, or a fact added (a sentence of another
text of the corpus, so the invention reads in the style).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from idealprompt.styles import Style
from idealprompt.train.data import Pair, plan_of, prompt
from idealprompt.train.improve import Round

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w.])")


def dpo_row(style: Style, neutral: str, chosen: str, rejected: str) -> dict:
    """trl's conversational preference row."""
    return {
        "prompt": prompt(style, neutral),
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
    }


def own_output_pairs(style: Style, found: Round) -> list[dict]:
    """Per input, the most stylish faithful candidate over the most stylish flagged one."""
    rows = []
    for pair, candidates in found.candidates:
        faithful = [c for c in candidates if not c.problems]
        flagged = [c for c in candidates if c.problems]
        if faithful and flagged:
            chosen, rejected = (max(group, key=lambda c: c.style) for group in (faithful, flagged))
            rows.append(dpo_row(style, pair.neutral, chosen.text, rejected.text))
    return rows


def corrupted(pair: Pair, others: Sequence[Pair], rng: random.Random) -> str:
    """`pair.text` with one error: a number changed when it has one (half the time), else a fact added."""
    numbers = list(_NUMBER.finditer(pair.text))
    if numbers and (rng.random() < 0.5 or not others):
        found = rng.choice(numbers)
        value = found.group()
        changed = value
        while changed == value:
            changed = str(max(int(float(value.replace(",", "."))) + rng.choice((-3, -2, -1, 1, 2, 3, 5, 10)), 0))
        return pair.text[: found.start()] + changed + pair.text[found.end() :]
    donor = rng.choice([o for o in others if o.text != pair.text] or list(others))
    sentences = [s for s in plan_of(donor.text) if len(s.split()) >= 4] or plan_of(donor.text)
    sentence = rng.choice(sentences)
    return f"{pair.text.rstrip()} {sentence}"


def corruption_pairs(style: Style, pairs: Sequence[Pair], *, seed: int = 0) -> list[dict]:
    """One pair per faithful text: the text chosen over its corruption."""
    rng = random.Random(seed)
    return [dpo_row(style, p.neutral, p.text, corrupted(p, [o for o in pairs if o is not p], rng)) for p in pairs]
