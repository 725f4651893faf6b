"""Data formats: one data source (a file, a folder, or examples inline in the task file) -> rows of examples.

Each row keeps where it came from (`file:line`, or `file: [index]` in JSON), so that a bad value found later
(a target that is not a label, a target that is not a number) is reported at its line.

| format | reads |
|---|---|
| `jsonl` | one JSON object per line; `input`/`target` name its fields |
| `json` | a JSON list of objects; `input`/`target` name their fields |
| `csv`, `tsv` | a table with a header row; `input`/`target` name its columns |
| `inline` | `examples:` in the task file, a list of objects; `input`/`target` name their fields |
| `bbh` | BIG-Bench Hard: `{"examples": [{"input", "target"}]}` |
| `gsm8k` | GSM8K JSONL `{question, answer}`; the target: the number after the answer's `####`; the solution: the rest |
| `evoprompt` | EvoPrompt TSV without header: `text<TAB>label_id` (`label_names` maps ids to names) |
| `easy_vqa` | an easy-VQA folder: `questions.json` (`[[question, answer, image_id], ...]`) and `images/<id>.png` |

`input` is a field name, or a list of names joined as "name: value" lines; it defaults to "input", `target` to
"target". `label_names` maps integer label ids in the data (0, 1, ...) to names, in any format. `solution` names
a field with a worked solution (the reasoning that reaches the target), which demonstrations show when the task's
answers are free.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from idealprompt.errors import TaskError
from idealprompt.userfiles import read_text

FORMATS = ("jsonl", "json", "csv", "tsv", "evoprompt", "bbh", "gsm8k", "easy_vqa", "inline")
_BY_SUFFIX = {".jsonl": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv"}
_NAMED_FIELDS = ("jsonl", "json", "csv", "tsv", "inline")  # the formats whose field names the task file gives
_FIXED_FIELDS = {"bbh": ("input", "target"), "gsm8k": ("question", "answer"), "evoprompt": ("text", "label")}


@dataclass(frozen=True)
class Example:
    """One labelled input. `id` is a digest of the content, so it survives re-splitting and reordering."""

    id: str
    text: str  # the input exactly as the model sees it in the user message
    target: str  # a label name, a canonical number, or free text
    images: tuple[Path, ...] = ()  # absolute paths of image inputs
    solution: str = ""  # the data's worked solution, if it has one (not part of the id)

    @classmethod
    def new(cls, *, text: str, target: str, images: tuple[Path, ...] | list[Path] = (), solution: str = "") -> Example:
        """An example with its id computed from its content (images by their bytes, so the same file name in
        two folders is two examples)."""
        images = tuple(Path(p).resolve() for p in images)
        return cls(example_id(text, target, images), text, target, images, solution)


def example_id(text: str, target: str, images: tuple[Path, ...] = ()) -> str:
    """sha1 of (text, target[, image contents]), 12 hex digits."""
    parts = [text, target, *(_file_digest(str(p), *_stamp(p)) for p in images)]
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:12]


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=8192)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:  # keyed by stamp: a rewritten file is read again
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Row:
    """An example as read, with where it was read from, before the task checks its target."""

    text: str
    target: str
    images: tuple[Path, ...]
    where: str
    solution: str = ""


class Source(BaseModel):
    """One data source, as the task file describes it under `data` (or `data.train`, ...)."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = None
    format: str | None = None
    input: str | list[str] | None = None
    target: str | None = None
    solution: str | None = None  # the field of a worked solution, if any
    label_names: list[str] | None = None
    examples: list[dict[str, Any]] | None = None
    # An input given twice with different targets: an error naming both (error), or every copy left out (drop).
    conflicts: Literal["error", "drop"] = "error"

    @field_validator("format")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None and value not in FORMATS:
            raise ValueError(f"unknown format {value!r}; known: {', '.join(FORMATS)}")
        return value

    @field_validator("input")
    @classmethod
    def _some(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and (not value or len(set(value)) != len(value)):
            raise ValueError("must be a field name or a non-empty list of distinct field names")
        return value

    @field_validator("label_names", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return quoted_strings(value)


def quoted_strings(value: Any) -> Any:
    """Refuse YAML's unquoted yes/no/true/false (read as booleans) with the fix, rather than a type error."""
    if isinstance(value, list) and any(isinstance(v, bool) for v in value):
        raise ValueError('YAML reads unquoted yes/no/true/false as booleans: quote them, e.g. ["yes", "no"]')
    return value


def read_rows(source: Source, *, base: Path, task: str, field: str) -> list[Row]:
    """The rows of one source; `task` and `field` name the task file and the key (`data`, `data.train`) in errors."""
    fmt, path = _locate(source, base=base, task=task, field=field)
    if fmt not in _NAMED_FIELDS:
        for name in ("input", "target"):
            if getattr(source, name) is not None:
                raise TaskError(f"{task}: field '{field}.{name}': format {fmt} has fixed fields")
    if fmt == "inline":
        if source.examples is None:  # format inline given with a path instead
            raise TaskError(f"{task}: field '{field}.examples': required: a list of examples")
        records = [(f"{task}: {field}.examples[{i}]", r) for i, r in enumerate(source.examples)]
        return _rows(records, source, base=base, fmt=fmt)
    assert path is not None  # `_locate` gives a path for every format but inline
    if fmt == "easy_vqa":
        return _easy_vqa(path, task=task, field=field)
    if path.is_dir():
        raise TaskError(f"{task}: field '{field}.path': {path} is a folder; format {fmt} reads a file")
    text = _read(path)
    if fmt in ("jsonl", "gsm8k"):
        records = _jsonl(path, text)
    elif fmt in ("json", "bbh"):
        records = _json(path, text, fmt)
    elif fmt in ("csv", "tsv"):
        records = _table(path, text, fmt, _field_names(source))
    else:
        records = _evoprompt(path, text)
    return _rows(records, source, base=base, fmt=fmt)


def _locate(source: Source, *, base: Path, task: str, field: str) -> tuple[str, Path | None]:
    """The source's format (given, or inferred from the file's suffix) and its path (None for inline)."""
    if source.examples is not None:
        if source.format not in (None, "inline") or source.path is not None:
            raise TaskError(f"{task}: field '{field}.examples': only for format inline, which takes no path")
        return "inline", None
    if source.path is None:
        what = "a list of examples" if source.format == "inline" else "a path (or examples, inline)"
        raise TaskError(
            f"{task}: field '{field}.{'examples' if source.format == 'inline' else 'path'}': required: {what}"
        )
    raw = os.path.expandvars(os.path.expanduser(source.path))
    path = base / raw
    if not path.exists():
        # A path with variables is shown as written: their values may be secrets.
        if "$" in source.path:
            raise TaskError(
                f"{task}: field '{field}.path': no such file: {source.path} (relative to {base.absolute()}"
                f"; with its environment variables set as they are, it names no file)"
            )
        raise TaskError(f"{task}: field '{field}.path': no such file {path.absolute()}")
    fmt = source.format or _BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise TaskError(
            f"{task}: field '{field}.format': cannot tell the format of {path.name} from its suffix; "
            f"give one of: {', '.join(FORMATS)}"
        )
    return fmt, path


# --- reading files ----------------------------------------------------------------------------------------------
def _read(path: Path) -> str:
    return read_text(path, TaskError, "data file")  # a byte-order mark, as spreadsheets write, is dropped


def _lines(text: str) -> list[str]:
    """Lines split at newlines only: str.splitlines also splits at U+2028 and friends, valid inside JSON strings."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _jsonl(path: Path, text: str) -> list[tuple[str, Any]]:
    records = []
    for number, line in enumerate(_lines(text), start=1):
        if line.strip():
            try:
                records.append((f"{path}:{number}", json.loads(line)))
            except json.JSONDecodeError as e:
                raise TaskError(f"{path}:{number}: not JSON ({e.msg})") from None
    return records


def _json(path: Path, text: str, fmt: str) -> list[tuple[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise TaskError(f"{path}:{e.lineno}: not JSON ({e.msg})") from None
    if fmt == "bbh":
        if not isinstance(data, dict) or not isinstance(data.get("examples"), list):
            raise TaskError(f'{path}: not BIG-Bench Hard JSON: expected {{"examples": [{{"input", "target"}}, ...]}}')
        return [(f"{path}: examples[{i}]", r) for i, r in enumerate(data["examples"])]
    if isinstance(data, dict) and "examples" in data:
        raise TaskError(f"{path}: expected a JSON list of objects; this looks like BIG-Bench Hard: set format: bbh")
    if not isinstance(data, list):
        raise TaskError(f"{path}: expected a JSON list of objects, found {type(data).__name__}")
    return [(f"{path}: [{i}]", r) for i, r in enumerate(data)]


def _table(path: Path, text: str, fmt: str, needed: list[str]) -> list[tuple[str, Any]]:
    # TSV has no quoting: a lone " in a text is a character, not the start of a field spanning lines.
    dialect = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if fmt == "tsv" else {"delimiter": ","}
    reader = csv.DictReader(io.StringIO(text, newline=""), **dialect)
    try:
        columns = reader.fieldnames or []
        for name in needed:
            if name not in columns:
                hint = " (a header-less text<TAB>label file is format evoprompt)" if fmt == "tsv" else ""
                raise TaskError(f"{path}:1: no column {name!r}; the header has {columns}{hint}")
        records = []
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if None in row:
                raise TaskError(f"{where}: {len(columns) + len(row[None])} fields, but the header has {len(columns)}")
            records.append((where, {k: v for k, v in row.items() if v is not None}))
        return records
    except csv.Error as e:
        raise TaskError(f"{path}:{reader.line_num}: not {fmt.upper()} ({e})") from None


def _evoprompt(path: Path, text: str) -> list[tuple[str, Any]]:
    records = []
    for number, line in enumerate(_lines(text), start=1):
        if line.strip():
            parts = line.rsplit("\t", 1)
            if len(parts) != 2:
                raise TaskError(f"{path}:{number}: expected text<TAB>label_id")
            records.append((f"{path}:{number}", {"text": parts[0], "label": parts[1].strip()}))
    return records


def _easy_vqa(folder: Path, *, task: str, field: str) -> list[Row]:
    questions, images = folder / "questions.json", folder / "images"
    if not questions.is_file() or not images.is_dir():
        raise TaskError(
            f"{task}: field '{field}.path': {folder} is not an easy-VQA folder (questions.json and images/)"
        )
    try:
        data = json.loads(_read(questions))
    except json.JSONDecodeError as e:
        raise TaskError(f"{questions}:{e.lineno}: not JSON ({e.msg})") from None
    if not isinstance(data, list):
        raise TaskError(f"{questions}: expected a list of [question, answer, image_id]")
    present = set(os.listdir(images))
    rows = []
    for i, item in enumerate(data):
        where = f"{questions}: [{i}]"
        if not (isinstance(item, list) and len(item) == 3 and all(isinstance(v, str | int) for v in item)):
            raise TaskError(f"{where}: expected [question, answer, image_id], found {item!r}")
        question, answer, image = (str(v) for v in item)
        if f"{image}.png" not in present:
            raise TaskError(f"{where}: no image {images / f'{image}.png'}")
        check_image(images / f"{image}.png", where)
        rows.append(Row(question, answer, ((images / f"{image}.png").resolve(),), where))
    return rows


# --- records -> rows --------------------------------------------------------------------------------------------
def _field_names(source: Source) -> list[str]:
    """The input field names, then the target's."""
    inputs = [source.input] if isinstance(source.input, str) else (source.input or ["input"])
    return [*inputs, source.target or "target"]


def _rows(records: list[tuple[str, Any]], source: Source, *, base: Path, fmt: str) -> list[Row]:
    if fmt in _FIXED_FIELDS:
        inputs, target = [_FIXED_FIELDS[fmt][0]], _FIXED_FIELDS[fmt][1]
    else:
        *inputs, target = _field_names(source)
    joined = not isinstance(source.input, str) and source.input is not None
    rows = []
    for where, record in records:
        if not isinstance(record, dict):
            raise TaskError(f"{where}: expected an object with fields {[*inputs, target]}, found {record!r}")
        values = [_scalar(record, name, where) for name in inputs]
        text = "\n".join(f"{n}: {v}" for n, v in zip(inputs, values, strict=True)) if joined else values[0]
        value = _scalar(record, target, where)
        solution = _scalar(record, source.solution, where).strip() if source.solution else ""
        if fmt == "gsm8k":
            value, solution = _after_marks(value, where), _working(value)
        if source.label_names is not None:
            value = _label_name(value, source.label_names, where, target)
        images = _images(record, base, where) if fmt == "inline" else ()
        rows.append(Row(text, value, images, where, solution))
    return rows


def _scalar(record: dict, name: str, where: str) -> str:
    if name not in record:
        raise TaskError(f"{where}: missing field {name!r}")
    value = record[name]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TaskError(f"{where}: field {name!r} must be a string or a number, found {type(value).__name__}")


def _after_marks(answer: str, where: str) -> str:
    if "####" not in answer:
        raise TaskError(f"{where}: field 'answer' has no '#### <number>' at its end")
    return answer.rsplit("####", 1)[1].strip()


_CALCULATOR = re.compile(r"<<[^<>]*>>")  # GSM8K's calculator annotations: "16 - 3 = <<16-3=13>>13"


def _working(answer: str) -> str:
    """A GSM8K answer's working, before its "####", without the calculator annotations."""
    return _CALCULATOR.sub("", answer.rsplit("####", 1)[0]).strip()


def _label_name(value: str, names: list[str], where: str, field: str) -> str:
    try:
        index = int(value.strip())
    except ValueError:
        raise TaskError(
            f"{where}: field {field!r}: {value!r} is not a label id (0..{len(names) - 1}) for label_names"
        ) from None
    if not 0 <= index < len(names):
        raise TaskError(
            f"{where}: field {field!r}: label id {index} is out of range; label_names has "
            f"{len(names)} (0..{len(names) - 1})"
        )
    return names[index]


def _images(record: dict, base: Path, where: str) -> tuple[Path, ...]:
    images = record.get("images", [])
    if not isinstance(images, list) or not all(isinstance(p, str) for p in images):
        raise TaskError(f"{where}: field 'images' must be a list of paths")
    paths = tuple((base / os.path.expanduser(p)).resolve() for p in images)
    for path in paths:
        if not path.is_file():
            raise TaskError(f"{where}: field 'images': no such file {path}")
        check_image(path, f"{where}: field 'images'")
    return paths


# An image's first bytes name its format; PNG and JPEG also end on a marker, which a truncated file lacks.
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF87a": "GIF", b"GIF89a": "GIF", b"BM": "BMP"}
END_MARKERS = {"PNG": b"IEND\xaeB`\x82", "JPEG": b"\xff\xd9"}
TAIL_BYTES = 1024  # a JPEG may carry a few bytes after its end marker


def check_image(path: Path, where: str) -> None:
    """A TaskError naming `where` unless `path` looks like a whole image: not empty, of a format a vision model
    takes, not cut short. The bytes are not decoded: a server that cannot read one says so for that example."""
    size = path.stat().st_size
    if size == 0:
        raise TaskError(f"{where}: {path} is empty, not an image")
    with path.open("rb") as f:
        head = f.read(12)
        f.seek(max(0, size - TAIL_BYTES))
        tail = f.read()
    kind = next((k for sig, k in SIGNATURES.items() if head.startswith(sig)), None)
    if kind is None and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        kind = "WEBP"
    if kind is None:
        raise TaskError(f"{where}: {path} is not a PNG, JPEG, GIF, WebP or BMP image")
    if kind in END_MARKERS and END_MARKERS[kind] not in tail:
        raise TaskError(f"{where}: {path} is a cut-short {kind} (no end marker): copy it again")
