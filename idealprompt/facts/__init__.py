"""The facts of a writing job: what a text must say, as key-value slots, triples, free text, or a mix.

SAG's planner and stylist write from facts, and the evaluation checks a text against them (`facts.slots` for
slots, `facts.align` and the model's claim check for triples and free text). Slots come from a mapping (a JSON or
YAML file) or from an E2E meaning representation (MR), the form the E2E NLG data gives its inputs in:
`name[Blue Spice], eatType[coffee shop], area[city centre]`. Triples are `subject | predicate | object` lines, the
form of knowledge-graph and WebNLG-style inputs (`Blue Spice | area | city centre`): facts about several entities,
which slots (one entity) cannot say. A text that is wholly neither is free text, kept as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from idealprompt.errors import FactsError
from idealprompt.userfiles import read_text, read_yaml

# One `key[value]`: a key of words (letters, digits, spaces, hyphens; no space before the bracket) and a bracketed
# value. Strict on purpose, so that prose with a bracket in it ("see [1]") is never read as slots.
_PAIR = r"\s*([^\W\d](?:[\w \-]*[\w\-])?)\[([^\[\]]*)\]\s*"
_MR = re.compile(rf"(?:{_PAIR},)*{_PAIR}")
_ONE = re.compile(_PAIR)
# One triple a line: three non-empty parts split by "|", an optional list dash before.
_TRIPLE = re.compile(r"\s*(?:-\s+)?([^|]*\S[^|]*)\|([^|]*\S[^|]*)\|([^|]*\S[^|]*)")

Triple = tuple[str, str, str]


def parse_mr(text: str, *, where: str = "facts") -> dict[str, str] | None:
    """The slots of an MR, in order, or None when `text` is not wholly one. A slot given twice or with an empty
    value is an error (`where` names the source), not free text: the writer meant slots and got one wrong."""
    if not _MR.fullmatch(text):
        return None
    slots: dict[str, str] = {}
    for key, value in _ONE.findall(text):
        if key in slots:
            raise FactsError(f"{where}: slot {key!r} is given twice")
        if not value.strip():
            raise FactsError(f"{where}: slot {key!r} has an empty value")
        slots[key] = value.strip()
    return slots


def parse_triples(text: str) -> list[Triple] | None:
    """The triples of `text`, in order, or None when some non-blank line is not `subject | predicate | object`."""
    lines = [line for line in text.splitlines() if line.strip()]
    matches = [_TRIPLE.fullmatch(line) for line in lines]
    if not lines or not all(matches):
        return None
    return [(m[1].strip(), m[2].strip(), m[3].strip()) for m in matches if m]


class Facts(BaseModel):
    """Key-value facts (`slots`, in the order given), triples and free-text facts (`text`); not all empty."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slots: dict[str, str] = {}
    triples: tuple[Triple, ...] = ()
    text: str = ""

    @model_validator(mode="after")
    def _not_empty(self) -> Facts:
        if not self.slots and not self.triples and not self.text.strip():
            raise FactsError("facts are empty: give at least one slot, a triple or some text")
        return self

    @classmethod
    def parse(cls, text: str, *, where: str = "facts") -> Facts:
        """An MR as slots, `subject | predicate | object` lines as triples, anything else as free text."""
        slots = parse_mr(text, where=where)
        if slots is not None:
            return cls(slots=slots)
        triples = parse_triples(text)
        return cls(triples=tuple(triples)) if triples else cls(text=text.strip())

    @classmethod
    def of(cls, value: Facts | Mapping | str, *, where: str = "facts") -> Facts:
        """Facts from a mapping of fact names to values (the rule of JSON and YAML facts files) or from a string
        (an MR, or free text)."""
        if isinstance(value, Facts):
            return value
        if isinstance(value, Mapping | str) and not (value.strip() if isinstance(value, str) else value):
            raise FactsError(f"{where}: no facts given")
        if isinstance(value, Mapping):
            return cls(slots=_slots(value, where=where))
        if isinstance(value, str):
            return cls.parse(value, where=where)
        raise FactsError(f"{where}: facts are a mapping of names to values or a text, not a {type(value).__name__}")

    def render(self) -> str:
        """The facts as a model reads them: "- key: value" lines, "- subject | predicate | object" lines, then the
        free text."""
        lines = [f"- {key}: {value}" for key, value in self.slots.items()]
        lines += [f"- {' | '.join(triple)}" for triple in self.triples]
        return "\n".join([*lines, self.text.strip()] if self.text.strip() else lines)


def load_facts(path: str | Path) -> Facts:
    """Facts from a file: `.json`, `.yaml` or `.yml` hold a mapping of fact names to values; any other file is
    text, read as an MR when it is one and as free text otherwise."""
    path = Path(path)
    raw = read_text(path, FactsError, "facts file")
    if not raw.strip():
        raise FactsError(f"{path}: the facts file is empty")
    if path.suffix.lower() in (".json", ".yaml", ".yml"):
        return Facts.of(_read_mapping(raw, path), where=str(path))
    return Facts.parse(raw, where=str(path))


def _read_mapping(raw: str, path: Path) -> dict:
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else read_yaml(raw)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise FactsError(f"{path}: not valid {path.suffix.lstrip('.').upper()}: {e}") from None
    if not isinstance(data, dict) or not data:
        raise FactsError(f"{path}: expected a mapping of fact names to values, got {type(data).__name__}")
    return data


def _slots(data: Mapping, *, where: str) -> dict[str, str]:
    return {str(key): _value(value, where=f"{where}: field {str(key)!r}") for key, value in data.items()}


def _value(value: object, *, where: str) -> str:
    if isinstance(value, list) and value and not any(isinstance(v, list) for v in value):
        return ", ".join(_value(v, where=where) for v in value)
    if isinstance(value, bool):  # YAML reads yes/no as booleans; E2E's familyFriendly says yes/no
        return "yes" if value else "no"
    if isinstance(value, str | int | float) and str(value).strip():
        return str(value).strip()
    got = "an empty value" if value in ("", None, []) else f"a {type(value).__name__}"
    raise FactsError(
        f"{where}: a fact is a string, a number, yes/no or a list of those, not {got} "
        "(quote it in YAML to keep it as written)"
    )
