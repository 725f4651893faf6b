"""Racing: candidates are scored on growing prefixes of a split beside the leader, and dropped once clearly behind.

Scoring every candidate on every example spends most calls on prompts that are plainly worse after ten answers.
A race scores each challenger on the first `RUNGS[0]` examples, then `RUNGS[1]`, then all, and after each rung
compares it with the leader on the same examples (a paired comparison: both answered exactly these). A
challenger is clearly behind when the leader's advantage, summed over the examples, exceeds `Z` standard
deviations of that sum under "no difference" (for 0/1 scores: a sign test over the examples where they differ).
A challenger that scored exactly as the leader on every one of the first `RUNGS[-1]` examples is dropped too:
it is, in effect, the same prompt (a rewrite the small model reads as its parent), and racing it to the end
costs the rest of the split for a tie, which acceptance refuses anyway. Where only the best challenger can be
used (the first round picks one start), `keep` lets at most that many go past the last rung, the best there,
so the rest of the split is paid for the one that can win (successive halving's cut: on GSM8K and TREC both
demonstration starts stayed close to the seed, and the runner-up's last 30 dev answers were a tenth of a 300-call
budget). Survivors end with a score on the whole split, so acceptance compares like with like. The warm-up's
minibatch rewards, the initial candidates and each reflection round all go through `race`; answers already paid
for cost nothing (the evaluator's memo).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from idealprompt.errors import BudgetExhausted
from idealprompt.scoring.evaluate import Evaluation, Evaluator
from idealprompt.tasks import Example

RUNGS = (10, 20)  # examples after which a challenger may be dropped; then the whole split
Z = 1.5  # about one-sided 93%: a candidate 3 of 10 behind is dropped, one 2 of 10 behind runs on


def behind(challenger: Evaluation, leader: Evaluation, z: float = Z) -> bool:
    """Whether `challenger` is clearly worse than `leader` on the examples both were scored on."""
    gaps = _gaps(challenger, leader)
    lead, spread = sum(gaps), math.sqrt(sum(g * g for g in gaps))
    return lead > 0 and lead > z * spread


def indistinct(challenger: Evaluation, leader: Evaluation, after: int = RUNGS[-1]) -> bool:
    """Whether `challenger` scored exactly as `leader` on each of at least `after` examples both were scored on."""
    gaps = _gaps(challenger, leader)
    return len(gaps) >= after and not any(gaps)


def _gaps(challenger: Evaluation, leader: Evaluation) -> list[float]:
    theirs = {p.example.id: p.score for p in leader.predictions}
    return [theirs[p.example.id] - p.score for p in challenger.predictions if p.example.id in theirs]


@dataclass
class Race:
    results: dict[str, Evaluation] = field(default_factory=dict)  # per challenger, over the examples it got
    dropped: dict[str, int] = field(default_factory=dict)  # challenger -> examples after which it was dropped
    leader: Evaluation | None = None  # the leader over the whole split; over a prefix if the budget ran out
    stopped: str | None = None  # the budget ran out mid-race


def race(
    evaluator: Evaluator,
    leader: str,
    challengers: list[str],
    examples: list[Example],
    rungs: tuple[int, ...] = RUNGS,
    *,
    score_leader: bool = True,
    keep: int | None = None,
) -> Race:
    """Race `challengers` (prompts) against `leader` on `examples`; the leader is asked only where a challenger
    could be dropped, and on the whole split if `score_leader`; at most `keep` challengers (None: all) run past
    the last rung. Never raises on the budget (see `stopped`)."""
    sizes = [n for n in rungs if n < len(examples)] + [len(examples)]
    out, alive = Race(), [p for p in dict.fromkeys(challengers) if p != leader]
    try:
        for n in sizes:
            for prompt in alive:
                out.results[prompt] = evaluator.evaluate(prompt, examples[:n])
            if n < len(examples) and alive:
                out.leader = evaluator.evaluate(leader, examples[:n])
                out_of_it = [
                    p for p in alive if behind(out.results[p], out.leader) or indistinct(out.results[p], out.leader)
                ]
                if keep is not None and n == sizes[-2]:  # the last rung: only the best `keep` go on
                    ranked = sorted((p for p in alive if p not in out_of_it), key=lambda p: -out.results[p].score)
                    out_of_it += ranked[keep:]  # sorted() is stable: on a tie, the earlier challenger goes on
                for prompt in out_of_it:
                    out.dropped[prompt] = n
                    alive.remove(prompt)
            if not alive:
                break
        if score_leader:
            out.leader = evaluator.evaluate(leader, examples)  # the bar over the whole split: memoised, or paid once
    except BudgetExhausted as e:  # what was answered before the budget ran out still counts
        out.stopped = str(e)
        for prompt in alive:
            if (known := evaluator.known(prompt, examples)).predictions:
                out.results[prompt] = known
        if score_leader and (known := evaluator.known(leader, examples)).predictions:
            out.leader = known
    return out
