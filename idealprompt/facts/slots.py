"""Which input slots a text states, states wrongly, or invents: deterministic slot matching for key-value facts.

The method is that of the E2E cleaning script (Dušek et al., 2019, "Semantic Noise Matters"): a table of regular
expressions per slot value (`SlotLexicon`), matched case-insensitively on whole words; where matches overlap the
longest wins ("not family-friendly" over "family-friendly"), and on a tie the one the input supports. Each match is
then compared with the input:

- supported: the input has the slot with this value, or a value that states the same thing (`compatible`:
  E2E's "cheap" and "less than £20");
- contradicted: the input has the slot with another value ("riverside" for area[city centre]);
- unsupported: the input does not have the slot at all, so the text invented the fact.

Values whose words are ordinary nouns (E2E's eatType "restaurant", which references use for every venue) only ever
support. Restaurant names (E2E's name and near) share one set of values: a name the input gives in either slot is
supported, any other known name is unsupported, never contradicted, since it could be any venue the text brings in.

Rates (over a corpus, counts summed first: `notebench.evaluate`): factuality = unsupported / stated facts,
faithfulness = contradicted / stated facts, omission = omitted / input slots.

Known limits: a pattern sees a few words, not the sentence, so "not in the city centre" still reads as city centre
and a text that describes a second venue has its facts checked against the first; a fact phrased in a way no
pattern knows is neither credited (it counts as omitted) nor flagged, and a name the lexicon does not know is not
seen (`SlotLexicon.from_records` adds a dataset's names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

from idealprompt.facts import e2e

Patterns = dict[str, dict[str, tuple[str, ...]]]  # slot -> value -> regular expressions that state it


def verbatim(value: str) -> str:
    """A pattern for a value as written: any case, spaces or hyphens between words, "e" for "é", an optional
    leading "the" (references say "the Eagle" and "Eagle" for "The Eagle")."""
    words = re.sub(r"^the\s+", "", value.strip(), flags=re.IGNORECASE).split()
    return r"(?:the\s+)?" + r"[\s-]+".join(re.escape(w) for w in words).replace("é", "[eé]")


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    """Whole words, any case; a space in a pattern stands for any run of whitespace ("less than  £20")."""
    return re.compile(r"(?<!\w)(?:" + pattern.replace(" ", r"\s+") + r")(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class SlotLexicon:
    """Patterns per slot value (matched on whole words, any case; a space stands for any run of whitespace),
    which values state the same thing, which slots share values, and which values only ever support."""

    patterns: Patterns
    compatible: dict[str, tuple[frozenset[str], ...]] = field(default_factory=dict)
    shared: dict[str, tuple[str, ...]] = field(default_factory=dict)  # pattern slot -> the input slots it serves
    generic: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, str]], *, base: SlotLexicon | None = None) -> SlotLexicon:
        """`base` (or an empty lexicon) plus a verbatim pattern for every value in `records` that it lacks: the
        names a dataset uses, so that a text naming one the input does not give is caught."""
        base = cls({}) if base is None else base
        patterns = {slot: dict(values) for slot, values in base.patterns.items()}
        added = False
        for record in records:
            for slot, value in record.items():
                values = patterns.setdefault(base.home(slot), {})
                if value.strip() and not any(v.casefold() == value.casefold() for v in values):
                    values[value], added = (verbatim(value),), True
        return replace(base, patterns=patterns) if added else base

    def home(self, slot: str) -> str:
        """The slot whose patterns hold `slot`'s values ("name" for E2E's "near")."""
        return next((home for home, slots in self.shared.items() if slot in slots), slot)

    def states(self, slot: str, said: str, given: str) -> bool:
        """Whether the value `said` states the input's value `given` of `slot`."""
        said, given = said.casefold(), given.casefold()
        return said == given or any(
            {said, given} <= {v.casefold() for v in group} for group in self.compatible.get(slot, ())
        )

    @cached_property
    def compiled(self) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
        return tuple(
            (slot, value, _compile(p))
            for slot, values in self.patterns.items()
            for value, patterns in values.items()
            for p in patterns
        )


# The E2E NLG lexicon: the table in `facts/e2e.py`, plus a verbatim pattern for each restaurant name it lists.
E2E = SlotLexicon.from_records(
    [{"name": name} for name in e2e.NAMES], base=SlotLexicon(e2e.PATTERNS, e2e.COMPATIBLE, e2e.SHARED, e2e.GENERIC)
)


@dataclass(frozen=True)
class Mention:
    """A slot value the text states: where (`span`, character offsets) and in which words (`text`)."""

    slot: str
    value: str
    span: tuple[int, int]
    text: str


@dataclass(frozen=True)
class SlotCheck:
    """What a text says of the input slots; `omitted` lists the input slots it never mentions."""

    supported: tuple[Mention, ...] = ()
    contradicted: tuple[Mention, ...] = ()
    unsupported: tuple[Mention, ...] = ()
    omitted: tuple[str, ...] = ()
    slots: int = 0  # how many input slots there were


def check_slots(slots: Mapping[str, str], text: str, lexicon: SlotLexicon = E2E) -> SlotCheck:
    """What `text` says of the input `slots`. Input values the lexicon lacks are matched verbatim."""
    lexicon = SlotLexicon.from_records([slots], base=lexicon)
    kinds: dict[str, list[Mention]] = {"supported": [], "contradicted": [], "unsupported": []}
    for match, home, value, said in _longest_matches(slots, text, lexicon):
        mention = Mention(said or home, value, match.span(), match.group())
        if said:
            kinds["supported"].append(mention)
        elif value in lexicon.generic.get(home, ()):
            continue
        elif home in slots and home not in lexicon.shared:
            kinds["contradicted"].append(mention)
        else:
            kinds["unsupported"].append(mention)
    stated = {m.slot for m in kinds["supported"] + kinds["contradicted"]}
    omitted = tuple(slot for slot in slots if slot not in stated)
    return SlotCheck(**{kind: tuple(found) for kind, found in kinds.items()}, omitted=omitted, slots=len(slots))


Match = tuple[re.Match[str], str, str, str | None]  # the match, its pattern slot and value, the input slot it states


def _longest_matches(slots: Mapping[str, str], text: str, lexicon: SlotLexicon) -> list[Match]:
    """Every pattern's matches; where they overlap, the longest, then one the input supports, then the first."""
    found: list[Match] = []
    for home, value, regex in lexicon.compiled:
        for match in regex.finditer(text):
            said = next(
                (
                    slot
                    for slot in lexicon.shared.get(home, (home,))
                    if slot in slots and lexicon.states(slot, value, slots[slot])
                ),
                None,
            )
            found.append((match, home, value, said))
    found.sort(key=lambda f: (f[0].start() - f[0].end(), f[3] is None, f[0].start()))
    taken: list[Match] = []
    for candidate in found:
        start, end = candidate[0].span()
        if all(end <= m.start() or start >= m.end() for m, *_ in taken):
            taken.append(candidate)
    return sorted(taken, key=lambda t: t[0].start())
