"""Writing styles: a name, a description a writer can follow, and a corpus of texts written in the style.

Two ship with idealprompt (`builtin/`): `neutral`, plain listings, and `tablenotes`, the house voice of a fictional
local guide's social-media notes. Their texts are parallel (the same facts, exemplar by exemplar), so each is the
other's contrast corpus for the style scorer, and together they are (neutral -> styled) pairs.

A corpus file is a `.jsonl` with a "text" field per line (and, optionally, "neutral": the same facts stated
plainly), or plain text: one text per line, or, when the file has blank lines, one text per blank-line-separated
block.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from idealprompt.errors import StyleError
from idealprompt.userfiles import read_text, read_yaml

BUILTIN = Path(__file__).with_name("builtin")
NAME = r"^[a-z0-9][a-z0-9_.-]*$"


class Style(BaseModel):
    name: str = Field(pattern=NAME, description="lower case, digits, '_', '-', '.'")
    description: str = Field(min_length=1)
    exemplars: list[str] = Field(min_length=1)
    # The same facts as each exemplar, stated plainly (empty: none known). With them, the stylist is shown
    # exemplars as worked examples (these facts -> this text), which small models follow far better.
    neutral: list[str] = Field(default_factory=list)
    prompt: str = ""  # the writer's instruction, e.g. optimised by IDEAL; empty: the default one

    @model_validator(mode="after")
    def _parallel(self) -> Style:
        if self.neutral and len(self.neutral) != len(self.exemplars):
            raise ValueError(f"neutral: {len(self.neutral)} texts for {len(self.exemplars)} exemplars")
        return self


@functools.cache
def builtin_styles() -> dict[str, Style]:
    styles = {style.name: style for style in map(load_style, sorted(BUILTIN.glob("*.yaml")))}
    # The built-in corpora are parallel: tablenotes' neutral versions are the neutral style's texts, which are
    # their own neutral versions.
    styles["tablenotes"].neutral = styles["neutral"].neutral = styles["neutral"].exemplars
    return styles


def load_style(path: Path | str) -> Style:
    """A style file: YAML with name, description, exemplars (and an optional prompt)."""
    path = Path(path)
    text = read_text(path, StyleError, "style file")
    try:
        return Style.model_validate(read_yaml(text))
    except yaml.YAMLError as e:
        raise StyleError(f"{path}: not YAML ({e})") from None
    except ValidationError as e:
        where = "; ".join(f"{'.'.join(map(str, x['loc'])) or 'the file'}: {x['msg']}" for x in e.errors())
        raise StyleError(f"{path}: {where}") from None


def read_corpus(path: Path | str) -> tuple[list[str], list[str]]:
    """The texts of a corpus file and their neutral versions (none, or one per text; see the module's docstring
    for the formats)."""
    path = Path(path)
    content = read_text(path, StyleError, "corpus")
    if path.suffix == ".jsonl":
        rows = [_jsonl_row(path, n, line) for n, line in enumerate(content.splitlines(), 1) if line.strip()]
    elif any(not line.strip() for line in content.strip().splitlines()):
        rows = [(block.strip(), "") for block in content.split("\n\n")]
    else:
        rows = [(line.strip(), "") for line in content.splitlines()]
    rows = [(text, neutral) for text, neutral in rows if text]
    if not rows:
        raise StyleError(f"{path}: no texts in the corpus")
    neutral = [n for _, n in rows]
    if any(neutral) and not all(neutral):
        raise StyleError(f'{path}: "neutral" is given for some texts only; give it for every text or for none')
    return [t for t, _ in rows], neutral if all(neutral) else []


def _jsonl_row(path: Path, number: int, line: str) -> tuple[str, str]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as e:
        raise StyleError(f"{path}:{number}: not JSON ({e.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise StyleError(f'{path}:{number}: expected an object with a string field "text"')
    if not isinstance(data.get("neutral", ""), str):
        raise StyleError(f'{path}:{number}: field "neutral" must be a string')
    return data["text"].strip(), data.get("neutral", "").strip()
