"""The labelled validation set of the fact check (`bench/factcheck.py`), built from shared/data by code,
deterministically (seeded). No test reference that a benchmark scores is used: E2E from `devset.csv`, the E2E
cleaned set only on MRs past the first 200 of the test set (bench/style.py scores the first 100), captions from
the imagecaption **train** corpora (the dev corpora hold the test references, `notebench.data`).

Each item: facts (free text or triples), a text, and its label: `faithful`, `invented` (it states a fact the
input lacks) or `contradicted` (it states one the input says otherwise). Sources:

- `e2e-dev`: an MR stated as plain sentences is the facts (free text, as SAG's planner writes them: "The Punter
  is a pub. It serves English food."); a reference that slot matching finds complete and correct is the faithful
  text; its corruptions: an invented attribute (a sentence stating a slot the MR lacks, or an amenity outside
  E2E's slots), an added number, a changed slot value, a swapped entity (name and near exchanged, or another
  venue's name). One corruption of each label per MR, the kind drawn.
- `e2e-cleaned`: the cleaned test set's re-annotation of each reference; facts = `orig_mr` as triples; a
  reference whose annotation adds a slot is invented, one that changes a value contradicted, one with neither is
  faithful. The cleaning is automatic and noisy (data/README.md), so this source's labels are too.
- `captions`: a train caption is the facts; faithful: its first clause, or the caption in a frame ("in this
  photo"); invented: a clause of another caption appended, an added adjective, an added number or time;
  contradicted: one word swapped for its opposite (man/woman, dog/cat, red/blue, two/three, sitting/standing).

`split`: "tune" for about 30% of the facts (thresholds may be set there), "report" for the rest.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from idealprompt.errors import FactsError
from idealprompt.facts import Facts, e2e, parse_mr
from idealprompt.facts.slots import check_slots

LABELS = ("faithful", "invented", "contradicted")
SEED = 15
TUNE_SHARE = 0.3
SKIP_TEST_MRS = 200

_SENTENCES = {  # how an invented slot is said
    "eatType": "It is a {v}.",
    "food": "It serves {v} food.",
    "priceRange": "Its prices are {v}.",
    "customer rating": "It has a customer rating of {v}.",
    "area": "It is located in the {v}.",
    "familyFriendly": "It is {v}.",
    "near": "It is close to {v}.",
}
_PLAIN = {
    "food": "It serves {v} food.",
    "priceRange": "Its price range is {v}.",
    "customer rating": "Its customer rating is {v}.",
    "area": "It is in the {v} area.",
    "near": "It is near {v}.",
}
_VALUES = {
    "eatType": ("pub", "coffee shop"),
    "food": ("Chinese", "English", "French", "Indian", "Italian", "Japanese", "fast food"),
    "priceRange": ("cheap", "moderate", "high", "less than £20", "£20-25", "more than £30"),
    "customer rating": ("low", "average", "high", "1 out of 5", "3 out of 5", "5 out of 5"),
    "area": ("riverside", "city centre"),
    "familyFriendly": ("family-friendly", "not family-friendly"),
}
_AMENITIES = ("It has free Wi-Fi.", "It has an outdoor terrace.", "It offers live music.", "It has a car park.")
_NUMBERS = ("It has {n} seats.", "It opened in {y}.", "It is open until {h} pm.", "It has been run by {k} owners.")
_SWAPS = dict(
    pair.split("/")
    for pair in [
        "man/woman",
        "woman/man",
        "men/women",
        "women/men",
        "boy/girl",
        "girl/boy",
        "dog/cat",
        "cat/dog",
        "dogs/cats",
        "red/blue",
        "blue/red",
        "black/white",
        "white/black",
        "two/three",
        "three/two",
        "sitting/standing",
        "standing/sitting",
        "beach/street",
    ]
)
_ADJECTIVES = ("small", "young", "tall", "happy", "tired")
_ADDED = ("at {h} pm", "for {k} hours", "in {y}", "with {k} friends")
_CLAUSE = re.compile(r"\s(?:while|wondering|because|after|as|hoping|trying|thinking|with|and then)\s")
_FRAMES = ("in this photo , {c} .", "{c} , as the picture shows .")


@dataclass(frozen=True)
class Item:
    id: str
    source: str
    kind: str  # how the text was made
    label: str
    facts: Facts
    text: str
    split: str

    def to_json(self) -> dict:
        return asdict(self) | {"facts": self.facts.model_dump()}

    @classmethod
    def of_json(cls, row: dict) -> Item:
        return cls(**{f.name: row[f.name] for f in fields(cls)} | {"facts": Facts.model_validate(row["facts"])})


def _split(key: str) -> str:
    digest = int(hashlib.sha256(f"{SEED}:{key}".encode()).hexdigest()[:8], 16)
    return "tune" if digest / 0xFFFFFFFF < TUNE_SHARE else "report"


def _grouped(path: Path) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            groups.setdefault(row["mr"].strip(), []).append(row["ref"].strip())
    return groups


def _clean(slots: dict[str, str], ref: str) -> bool:
    found = check_slots(slots, ref)
    return not (found.contradicted or found.unsupported or found.omitted)


def e2e_dev(path: Path, rng: random.Random, mrs: int) -> list[Item]:
    items: list[Item] = []
    groups = sorted(_grouped(path).items())
    rng.shuffle(groups)
    for mr, refs in groups:
        if len({i.facts.text for i in items}) >= mrs:
            break
        slots = parse_mr(mr)
        good = [r for r in refs if slots and "name" in slots and _clean(slots, r)]
        if not slots or not good:
            continue
        facts, text = Facts(text=_plain(slots)), rng.choice(good)
        key = f"e2e-dev:{mr}"
        # One text of each label per MR (the kind of corruption drawn), so that the labels are balanced.
        invented = [("attribute", _invent(slots, text, rng)), ("number", f"{text} {_number(rng)}")]
        changed = _change(slots, text, rng)
        contradicted = [("entity", _swap_entity(slots, text, rng))] + ([("value", changed)] if changed else [])
        made = [("faithful", "paraphrase", text), ("invented", *rng.choice(invented))]
        made.append(("contradicted", *rng.choice(contradicted)))
        items += [Item(f"{key}:{kind}", "e2e-dev", kind, label, facts, t, _split(key)) for label, kind, t in made]
    return items


def _plain(slots: dict[str, str]) -> str:
    """The MR in plain sentences, one a slot."""
    said = [f"{slots['name']} is a {slots.get('eatType', 'place to eat')}."]
    for slot, value in slots.items():
        if slot == "familyFriendly":
            said.append("It is family-friendly." if value == "yes" else "It is not family-friendly.")
        elif slot in _PLAIN:
            said.append(_PLAIN[slot].format(v=value))
    return " ".join(said)


def _invent(slots: dict[str, str], text: str, rng: random.Random) -> str:
    free = [s for s in _SENTENCES if s not in slots]
    if not free or rng.random() < 0.25:
        return f"{text} {rng.choice(_AMENITIES)}"
    slot = rng.choice(free)
    value = rng.choice([n for n in e2e.NAMES if n not in slots.values()]) if slot == "near" else None
    return f"{text} {_SENTENCES[slot].format(v=value or rng.choice(_VALUES[slot]))}"


def _number(rng: random.Random) -> str:
    return rng.choice(_NUMBERS).format(
        n=rng.randint(20, 120), y=rng.randint(1950, 2020), h=rng.randint(9, 11), k=rng.randint(2, 5)
    )


def _change(slots: dict[str, str], text: str, rng: random.Random) -> str | None:
    """`text` with one stated slot value replaced by another value of that slot."""
    mentions = [m for m in check_slots(slots, text).supported if m.slot in _VALUES and m.slot != "familyFriendly"]
    if not mentions:
        return None
    m = rng.choice(mentions)
    others = [v for v in _VALUES[m.slot] if v.casefold() not in (slots[m.slot].casefold(), m.text.casefold())]
    return text[: m.span[0]] + rng.choice(others) + text[m.span[1] :]


def _swap_entity(slots: dict[str, str], text: str, rng: random.Random) -> str:
    """`text` with name and near exchanged, or with another venue's name for its name."""
    spans = {m.slot: m.span for m in check_slots(slots, text).supported if m.slot in ("name", "near")}
    if "near" in spans:
        (a, b), (c, d) = sorted(spans.values())
        return text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]
    a, b = spans["name"]
    return text[:a] + rng.choice([n for n in e2e.NAMES if n not in slots.values()]) + text[b:]


_PREDICATES = {"eatType": "type", "priceRange": "price range", "familyFriendly": "family friendly"}


def e2e_cleaned(path: Path, test: Path, rng: random.Random, per_label: int) -> list[Item]:
    scored = list(_grouped(test))[:SKIP_TEST_MRS]
    rows = []
    with path.open(encoding="utf-8", newline="") as file:
        for n, row in enumerate(csv.DictReader(file), start=2):
            if row["orig_mr"].strip() in scored:
                continue
            try:
                orig, fixed = parse_mr(row["orig_mr"]), parse_mr(row["mr"])
            except FactsError:  # the re-annotation gives some slot twice: ambiguous
                continue
            if orig and fixed:
                label = (
                    "invented"
                    if set(fixed) - set(orig)
                    else "contradicted"
                    if any(orig[k] != v for k, v in fixed.items() if k in orig)
                    else "faithful"
                )
                rows.append((n, label, orig, row["ref"].strip()))
    rng.shuffle(rows)
    items = []
    for label in LABELS:
        for n, _, orig, ref in [r for r in rows if r[1] == label][:per_label]:
            name = orig.get("name", "it")
            triples = tuple((name, _PREDICATES.get(k, k), v) for k, v in orig.items() if k != "name")
            key = f"e2e-cleaned:{n}"
            items.append(Item(key, "e2e-cleaned", "annotation", label, Facts(triples=triples), ref, _split(key)))
    return items


def captions(folder: Path, rng: random.Random, count: int) -> list[Item]:
    corpus = [
        line.strip()
        for name in ("sentiment.train.0", "sentiment.train.1")
        for line in (folder / name).read_text(encoding="utf-8", errors="replace").splitlines()
        if 6 <= len(line.split()) <= 20
    ]
    chosen = rng.sample(corpus, count)
    tails = [m.group() + c[m.end() :] for c in corpus if (m := _CLAUSE.search(c))]
    items = []
    for n, caption in enumerate(chosen):
        body = caption.rstrip(" .")
        key = f"captions:{n}"
        first = _CLAUSE.search(body)
        clause = body[: first.start()] if first and len(body[: first.start()].split()) >= 4 else None
        made = [
            ("faithful", "clause", clause + " .")
            if clause
            else ("faithful", "frame", rng.choice(_FRAMES).format(c=body))
        ]
        words = body.split()
        added = rng.choice(_ADDED).format(h=rng.randint(1, 11), k=rng.randint(2, 9), y=rng.randint(1950, 2020))
        invented = [("clause", body + rng.choice(tails).rstrip(" .") + " ."), ("number", f"{body} {added} .")]
        if "a" in words[:-1]:
            i = words.index("a")
            adjective = [*words[: i + 1], rng.choice(_ADJECTIVES), *words[i + 1 :]]
            invented.append(("attribute", " ".join(adjective) + " ."))
        made.append(("invented", *rng.choice(invented)))
        swappable = [i for i, w in enumerate(words) if w in _SWAPS]
        if swappable:
            i = rng.choice(swappable)
            made.append(("contradicted", "swap", " ".join([*words[:i], _SWAPS[words[i]], *words[i + 1 :]]) + " ."))
        items += [
            Item(f"{key}:{label}:{kind}", "captions", kind, label, Facts(text=caption), t, _split(key))
            for label, kind, t in made
        ]
    return items


def build(data: Path, *, mrs: int = 80, cleaned: int = 60, caption_count: int = 120) -> list[Item]:
    """The validation set, the same on every call with the same arguments and data."""
    rng = random.Random(SEED)
    e2e_dir = data / "e2e_nlg"
    return [
        *e2e_dev(e2e_dir / "devset.csv", rng, mrs),
        *e2e_cleaned(e2e_dir / "cleaned" / "test-fixed.csv", e2e_dir / "testset_w_refs.csv", rng, cleaned),
        *captions(data / "style_transfer_lijuncen" / "imagecaption", rng, caption_count),
    ]
