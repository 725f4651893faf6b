"""Style consistency: how much a text reads like a style rather than like the others it is told apart from.

The scorer is the usual style-transfer evaluation classifier, kept small: TF-IDF over 1-2-grams of words and marks
(punctuation, '#', emoji) and over character 1-4-grams, then a logistic regression, fit on the corpora of two or
more styles. A text's consistency with a style is the classifier's probability of that style; a system's is the
mean over its texts. It fits in seconds on a few thousand texts and needs no model download. Because it learns
whatever tells the corpora apart, the corpora should share their content and differ in style (the built-in
`neutral` and `tablenotes` corpora are parallel for this reason).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from idealprompt.errors import StyleError
from idealprompt.styles import Style, builtin_styles

MAX_TEXTS = 2000  # per style: more adds fitting time, not accuracy
WORDS_AND_MARKS = r"[\w']+|[^\w\s]"  # punctuation, '#' and emoji are tokens too: they carry much of a style


class StyleScorer:
    def __init__(self, corpora: Mapping[str, Sequence[str]]):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        corpora = {name: list(texts) for name, texts in corpora.items() if texts}
        if len(corpora) < 2:
            raise StyleError("the style scorer needs the texts of at least two styles to tell apart")
        texts: list[str] = []
        labels: list[str] = []
        for name, corpus in corpora.items():
            sample = random.Random(0).sample(corpus, MAX_TEXTS) if len(corpus) > MAX_TEXTS else corpus
            texts += sample
            labels += [name] * len(sample)
        features = make_union(
            TfidfVectorizer(token_pattern=WORDS_AND_MARKS, ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True),
        )
        self._model = make_pipeline(features, LogisticRegression(max_iter=2000, C=10.0))
        self._model.fit(texts, labels)
        self.styles: list[str] = [str(name) for name in self._model.classes_]

    @classmethod
    def against_builtins(cls, style: Style) -> StyleScorer:
        """A style told apart from the built-in styles (the others, when it is one of them)."""
        others = {name: s.exemplars for name, s in builtin_styles().items() if name != style.name}
        return cls({style.name: style.exemplars} | others)

    def probabilities(self, texts: Sequence[str], style: str) -> list[float]:
        if style not in self.styles:
            raise StyleError(f"the style scorer knows {', '.join(self.styles)}, not {style!r}")
        column = self.styles.index(style)
        return [float(p[column]) for p in self._model.predict_proba(list(texts))] if texts else []

    def consistency(self, texts: Sequence[str], style: str) -> float:
        """The mean probability of `style` over `texts` (0 to 1)."""
        found = self.probabilities(texts, style)
        return sum(found) / len(found) if found else 0.0

    def accuracy(self, texts: Sequence[str], style: str) -> float:
        """The share of `texts` the classifier takes for `style`."""
        if not texts:
            return 0.0
        return sum(guess == style for guess in self._model.predict(list(texts))) / len(texts)
