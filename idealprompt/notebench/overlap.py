"""Word-overlap scores of generated texts against human references, as the E2E NLG and SAG papers report them.

- `bleu_4`: sacrebleu's corpus BLEU with its standard settings, signature
  `nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0` (`nrefs:N` when every example has N references):
  mixed case, the 13a tokenizer, exponential smoothing, no effective order, n-grams up to 4.
- `rouge_l`: rouge-score's ROUGE-L F-measure (`RougeScorer(["rougeL"], use_stemmer=True)`; its tokenizer keeps only
  ASCII letters and digits), per example the best over its references, then the mean.

Both take the references per example (`references[i]` are the texts for `predictions[i]`, any number of them) and
answer on a 0-100 scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache


def _check(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> None:
    if isinstance(references, str) or any(isinstance(refs, str) for refs in references):
        raise TypeError("references: give a list of reference texts per example, not a string")
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} lists of references")
    if not predictions:
        raise ValueError("no examples to score")
    if empty := [i for i, refs in enumerate(references) if not refs]:
        raise ValueError(f"examples {empty[:5]} have no references")


def bleu_4(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> float:
    """Corpus BLEU-4 (0-100). sacrebleu wants reference streams (stream k holds every example's k-th reference);
    an example with fewer references is padded with None, which sacrebleu 2.6 drops (`_cache_references`). An
    empty string would not do: it counts as a reference of length 0 and can shrink the brevity penalty."""
    from sacrebleu.metrics import BLEU  # imported on first use, like the other scorers

    _check(predictions, references)
    most = max(len(refs) for refs in references)
    streams = [[refs[k] if k < len(refs) else None for refs in references] for k in range(most)]
    # sacrebleu documents None for a missing reference, but annotates the streams as strings only.
    return BLEU().corpus_score(list(predictions), streams).score  # type: ignore[arg-type]


@cache
def _rouge_scorer():
    from rouge_score import rouge_scorer  # imported on first use: it pulls in nltk and scipy (about a second)

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> float:
    """Mean over examples of the best ROUGE-L F-measure against that example's references (0-100)."""
    _check(predictions, references)
    scorer = _rouge_scorer()
    best = [
        scorer.score_multi(list(refs), pred)["rougeL"].fmeasure  # the reference with the best F-measure
        for pred, refs in zip(predictions, references, strict=True)
    ]
    return 100 * sum(best) / len(best)
