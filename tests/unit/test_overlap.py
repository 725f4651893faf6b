"""BLEU and ROUGE-L over per-example references: sacrebleu's documented example, ragged references, hand-computed
ROUGE-L."""

import pytest
import sacrebleu

from idealprompt.notebench.overlap import bleu_4, rouge_l

# sacrebleu's README example: hypotheses and two reference streams, 48.53 BLEU
SYS = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
STREAMS = [
    ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
    ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
]


def test_bleu_reproduces_sacrebleus_documented_example_from_per_example_references():
    per_example = [list(refs) for refs in zip(*STREAMS, strict=True)]
    assert per_example[1] == ["It was not unexpected.", "No one was surprised."]
    assert round(bleu_4(SYS, per_example), 2) == 48.53


def test_bleu_with_a_different_number_of_references_per_example():
    hyps = ["The dog bit the man.", "Yes.", "The man had just bitten him."]
    refs = [
        ["The dog bit the man.", "The dog had bit the man."],
        ["It was not unexpected at all."],  # one reference: its second stream entry is padding
        ["The man bit him first.", "The man had bitten the dog.", "He bit him."],
    ]
    padded = [[r[k] if k < len(r) else None for r in refs] for k in range(3)]
    assert bleu_4(hyps, refs) == pytest.approx(sacrebleu.corpus_bleu(hyps, padded).score)
    # Repeating an example's own reference changes neither its n-gram counts nor its closest length: same score.
    repeated = [r + [r[0]] * (3 - len(r)) for r in refs]
    assert bleu_4(hyps, refs) == pytest.approx(bleu_4(hyps, repeated))
    # Padding with "" instead would add a length-0 reference, the closest one to the 2-token "Yes." (|2-0| < |2-7|),
    # which shrinks the brevity penalty and inflates the score.
    empty = [[r[k] if k < len(r) else "" for r in refs] for k in range(3)]
    assert sacrebleu.corpus_bleu(hyps, empty).score > bleu_4(hyps, refs) + 1


def test_rouge_l_on_a_hand_computed_lcs():
    # reference "the cat sat on the mat" (6 tokens), prediction "the cat lay on the red mat" (7 tokens)
    # LCS = the cat on the mat = 5; precision 5/7, recall 5/6; F = 2PR/(P+R) = (50/42)/(65/42) = 10/13
    assert rouge_l(["the cat lay on the red mat"], [["the cat sat on the mat"]]) == pytest.approx(100 * 10 / 13)
    # stemming: "cats ... sitting" matches "cat ... sit"; case and punctuation are dropped by the tokenizer
    assert rouge_l(["The cats were sitting."], [["the cat were sit"]]) == pytest.approx(100)


def test_rouge_l_takes_the_best_reference_per_example_then_the_mean():
    preds = ["the cat lay on the red mat", "a dog barked"]
    refs = [["a dog barked", "the cat sat on the mat"], ["a dog barked"]]
    assert rouge_l(preds, refs) == pytest.approx(100 * (10 / 13 + 1) / 2)
    assert rouge_l(preds[:1], [["a dog barked"]]) == 0.0


def test_malformed_references_are_refused():
    with pytest.raises(TypeError, match="list of reference texts per example"):
        bleu_4(["a"], ["a"])
    with pytest.raises(ValueError, match="1 predictions for 2"):
        rouge_l(["a"], [["a"], ["b"]])
    with pytest.raises(ValueError, match=r"examples \[1\] have no references"):
        bleu_4(["a", "b"], [["a"], []])
