"""Writing styles: a name, a description a writer can follow, and a corpus of texts written in the style.

Two ship with idealprompt (`builtin/`): `neutral`, plain listings, and `tablenotes`, the house voice of a fictional
local guide's social-media notes. Their texts are parallel (the same facts, exemplar by exemplar), so each is the
other's contrast corpus for the style scorer, and together they are (neutral -> styled) pairs.

A corpus file is a `.jsonl` with a "text" field per line, or plain text: one text per line, or, when the file
has blank lines, one text per blank-line-separated block.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from idealprompt.errors import StyleError

BUILTIN = Path(__file__).with_name("builtin")
NAME = r"^[a-z0-9][a-z0-9_.-]*$"


class Style(BaseModel):
    name: str = Field(pattern=NAME, description="lower case, digits, '_', '-', '.'")
    description: str = Field(min_length=1)
    exemplars: list[str] = Field(min_length=1)
    prompt: str = ""  # the writer's instruction, e.g. optimised by IDEAL; empty: the default one


@functools.cache
def builtin_styles() -> dict[str, Style]:
    styles = (load_style(path) for path in sorted(BUILTIN.glob("*.yaml")))
    return {style.name: style for style in styles}


def load_style(path: Path | str) -> Style:
    """A style file: YAML with name, description, exemplars (and an optional prompt)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
        return Style.model_validate(data)
    except OSError as e:
        raise StyleError(f"cannot read {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise StyleError(f"{path}: not YAML ({e})") from None
    except ValidationError as e:
        where = "; ".join(f"{'.'.join(map(str, x['loc'])) or 'the file'}: {x['msg']}" for x in e.errors())
        raise StyleError(f"{path}: {where}") from None


def read_corpus(path: Path | str) -> list[str]:
    """The texts of a corpus file (see the module's docstring for the formats)."""
    path = Path(path)
    try:
        content = path.read_text()
    except OSError as e:
        raise StyleError(f"cannot read {path}: {e.strerror}") from None
    if path.suffix == ".jsonl":
        texts = [_jsonl_text(path, number, line) for number, line in enumerate(content.splitlines(), 1) if line.strip()]
    elif any(not line.strip() for line in content.strip().splitlines()):
        texts = [block.strip() for block in content.split("\n\n")]
    else:
        texts = content.splitlines()
    texts = [t.strip() for t in texts if t.strip()]
    if not texts:
        raise StyleError(f"{path}: no texts in the corpus")
    return texts


def _jsonl_text(path: Path, number: int, line: str) -> str:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as e:
        raise StyleError(f"{path}:{number}: not JSON ({e.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise StyleError(f"{path}:{number}: expected an object with a string field \"text\"")
    return data["text"]
