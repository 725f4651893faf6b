"""Reading a small model's raw answer against the task's output space.

Small models chatter: they restate the options, reason aloud, wrap answers in quotes, bold or code fences, and
conclude at the end. The rules below recover the intended answer when there is one and return None when there
is not, so that an unparseable answer is scored as wrong rather than guessed.

- label: (1) the whole answer, once stripped of quotes, punctuation, markdown and prefixes such as "Answer:",
  is a label (case-insensitive); else (2) the last explicit statement ("the answer is X", "Answer: X",
  "Label: X") that names a label: the first label in the sentence after it; else (3) the LAST label mentioned
  as a whole word, because small models reason first and conclude last. Longer labels win over labels inside
  them ("not_entailment" is not read as "entailment"), and "_" or "-" in a label also match a space.
  Multiple-choice labels "(A)".."(Z)" also accept "B", "B)", "option B" as the whole answer or after
  "answer is"; in running text only "(B)" or "option B" count, since a bare "A" is usually the article.
  A negated mention ("not Yes", "isn't (B)") names no label.
- number: the first number after the last "####" or "answer is"/"answer:", else the last number in the text;
  "$", thousands separators and a trailing "." are dropped; returned canonical ("18" for "18.00"). A fraction
  is its value ("3/4" is 0.75), and a comma before one or two digits is a decimal comma ("1,23" is 1.23).
- text: the stripped answer without a leading "Answer:"; None when empty.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Literal

Answer = Literal["label", "number", "text"]

_FENCE = re.compile(r"^\s*```[\w-]*\s*$", re.MULTILINE)
_PREFIX = re.compile(r"^\s*(?:(?:the\s+)?(?:final\s+|correct\s+)?(?:answer|label)\s*(?:is\s*:?|:|=)\s*)+", re.I)
_ANSWER_PREFIX = re.compile(r"^\s*answer\s*:", re.I)
_STATEMENT = re.compile(r"\b(?:answer|label)\s*(?:is\s*:?|:|=)\s*", re.I)
_EDGES = " \t\r\n\"'`*_.,;:!?()[]{}<>“”‘’"  # stripped from both ends of a whole answer
_MULTIPLE_CHOICE = re.compile(r"^\(([A-Z])\)$")
_LETTER_ALONE = re.compile(r"^(?:option|choice)?\s*\(?([a-z])\)?$", re.I)
_LETTER_FIRST = re.compile(r"^[\s*\"'`]*(?:option|choice)?\s*\(?([a-z])\)?(?!\w)", re.I)
_LETTER_MENTION = re.compile(r"\(([A-Z])\)|\b(?:option|choice)\s+\(?([A-Za-z])\)?(?!\w)", re.I)
_NUMBER = re.compile(
    r"(?<![\w.,/])-?(?:\$\s?)?(?:\d+/\d+(?![\d/])|\d+,\d{1,2}(?![\d,])|\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
)
_DECIMAL_COMMA = re.compile(r"-?\d+,\d{1,2}")
_NEGATED = re.compile(r"(?:\bnot|n't|\bnever)\s+(?:an?\s+|the\s+)?$", re.I)  # just before a mention
_NUMBER_MARK = re.compile(r"####|\banswer\s*(?:is\s*:?|:)", re.I)


def parse_answer(raw: str | None, *, answer: Answer, labels: list[str] | tuple[str, ...] = ()) -> str | None:
    """The answer in `raw` as the task writes its targets (a label name, a canonical number, a text), or None."""
    if raw is None:
        return None
    if answer == "label":
        return _parse_label(raw, list(labels))
    if answer == "number":
        return _parse_number(raw)
    if answer == "text":
        return _ANSWER_PREFIX.sub("", raw).strip() or None
    raise ValueError(f"answer must be 'label', 'number' or 'text', not {answer!r}")


def canonical_number(text: str) -> str | None:
    """A bare number ("$1,234.00", "-3", "18.") in canonical form ("1234", "-3", "18"), or None if not one."""
    cleaned = text.strip().rstrip(".").replace("$", "").strip()
    cleaned = cleaned.replace(",", ".") if _DECIMAL_COMMA.fullmatch(cleaned) else cleaned.replace(",", "")
    try:
        numerator, _, denominator = cleaned.partition("/")
        value = Decimal(numerator) / Decimal(denominator) if denominator else Decimal(cleaned)
    except (InvalidOperation, ZeroDivisionError):
        return None
    if not value.is_finite():
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


# --- labels -----------------------------------------------------------------------------------------------------
STATED_CHARS = 300  # how far after "the answer is" its label is looked for


def _parse_label(raw: str, labels: list[str]) -> str | None:
    text = _FENCE.sub("", raw).strip()
    whole = _PREFIX.sub("", text).strip(_EDGES).casefold()
    for label in labels:
        if whole == label.casefold() or whole == label.strip(_EDGES).casefold():
            return label
    letters = _letters(labels)
    if letters and (m := _LETTER_ALONE.match(whole)) and m.group(1).upper() in letters:
        return letters[m.group(1).upper()]
    for statement in reversed(list(_STATEMENT.finditer(text))):
        # The sentence of a statement, within a bound: an answer repeating "the answer is" without a full stop
        # would otherwise be read to its end once per statement.
        found = _first_label(text[statement.end() : statement.end() + STATED_CHARS], labels, letters)
        if found is not None:
            return found
    mentions = _mentions(text, labels, letters)
    return mentions[-1][1] if mentions else None


def _letters(labels: list[str]) -> dict[str, str]:
    """Multiple-choice labels by their letter: {"B": "(B)"}."""
    return {m.group(1): label for label in labels if (m := _MULTIPLE_CHOICE.match(label.strip()))}


def _label_pattern(labels: list[str], letters: dict[str, str]) -> tuple[re.Pattern | None, list[str]]:
    """One pattern for the word labels, longest first so that at any position the longest label matches
    ("not_entailment" before "entailment"), and the labels in the order of its groups."""
    distinct = {label for label in labels if label.strip() and label not in letters.values()}
    words = sorted(distinct, key=lambda w: (-len(w), w))
    if not words:
        return None, []
    alternatives = (r"[\s_-]+".join(map(re.escape, re.split(r"[\s_-]+", label.strip()))) for label in words)
    return re.compile(r"(?<!\w)(?:" + "|".join(f"({a})" for a in alternatives) + r")(?!\w)", re.I), words


def _mentions(text: str, labels: list[str], letters: dict[str, str]) -> list[tuple[int, str]]:
    """(position, label) of every label mentioned in `text` and not negated, in order."""
    pattern, words = _label_pattern(labels, letters)
    found = []
    if pattern is not None:
        for m in pattern.finditer(text):
            assert m.lastindex is not None  # every alternative is a group, so a match has one
            found.append((m.start(), words[m.lastindex - 1]))
    if letters:
        for m in _LETTER_MENTION.finditer(text):
            letter = (m.group(1) or m.group(2)).upper()
            if letter in letters:
                found.append((m.start(), letters[letter]))
    return sorted((at, label) for at, label in found if not _NEGATED.search(text[max(0, at - 16) : at]))


def _first_label(rest: str, labels: list[str], letters: dict[str, str]) -> str | None:
    """The label that an explicit statement states: the first one in its sentence, if it comes first."""
    sentence = re.split(r"(?<=[.!?])\s|\n", rest, maxsplit=1)[0]
    if letters and (m := _LETTER_FIRST.match(sentence)) and m.group(1).upper() in letters:
        return letters[m.group(1).upper()]
    mentions = _mentions(sentence, labels, letters)
    return mentions[0][1] if mentions else None


# --- numbers ----------------------------------------------------------------------------------------------------
def _parse_number(raw: str) -> str | None:
    marks = list(_NUMBER_MARK.finditer(raw))
    if marks and (first := _NUMBER.search(raw, marks[-1].end())):
        return canonical_number(first.group())
    numbers = _NUMBER.findall(raw)
    return canonical_number(numbers[-1]) if numbers else None
