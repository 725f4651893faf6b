"""Datasets for the writing benchmark: facts in, human references out.

- E2E NLG (`load_e2e`): CSV `mr,ref`, one row per reference, several rows per meaning representation (MR). An example
  is one MR (as slots) with its references, in order of first appearance.
- Your own (`load_jsonl`): JSON Lines of `facts` and `references`; `load_dataset` picks the loader by form.
- Image captions rewritten in a style (`load_captions`, `caption_corpus`), from Li et al. (2018), "Delete, Retrieve,
  Generate" (lijuncen/Sentiment-and-Style-Transfer, `data/imagecaption`): style 0 is humorous, style 1 romantic.
  `reference.0` and `reference.1` hold `factual caption<TAB>human rewrite<TAB>target style id`, 300 lines each, on
  the same 300 factual captions (`sentiment.test.0` = `sentiment.test.1`). Checked against the corpora:
  `reference.0` holds the romantic rewrites (id 1; all 300 are lines of `sentiment.dev.1`), `reference.1` the
  humorous ones (id 0; all in `sentiment.dev.0`). So the dev corpora contain the test references: take style
  exemplars from `train`. The texts are lowercased and tokenized ("the dog 's ball ."), and kept so.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from idealprompt.errors import FactsError
from idealprompt.facts import Facts, parse_mr

CAPTION_STYLES = {"humorous": "0", "romantic": "1"}  # the style ids of the files' suffixes and third column
CAPTION_DESCRIPTIONS = {
    "humorous": "A one-sentence image caption that says what the picture shows, with a joke or a funny twist.",
    "romantic": "A one-sentence image caption that says what the picture shows, with romance, love or tender feeling.",
}


@dataclass(frozen=True)
class WritingExample:
    """Facts to write from and the human texts written from them."""

    id: str
    facts: Facts
    references: list[str]


def load_e2e(path: str | Path, *, limit: int | None = None) -> list[WritingExample]:
    """The examples of an E2E CSV file (`testset_w_refs.csv`, `devset.csv`), the first `limit` MRs if given."""
    path = Path(path)
    grouped: dict[str, tuple[dict[str, str], list[str]]] = {}
    with _open(path, newline="") as file:
        reader = csv.DictReader(file)
        if not {"mr", "ref"} <= set(reader.fieldnames or ()):
            raise FactsError(f"{path}: expected a CSV with columns 'mr' and 'ref', got {reader.fieldnames}")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            mr, ref = (row["mr"] or "").strip(), (row["ref"] or "").strip()
            if mr not in grouped:
                slots = parse_mr(mr, where=where)
                if slots is None:
                    raise FactsError(
                        f"{where}: field 'mr' is not a meaning representation (key[value], key[value], ...): {mr!r}"
                    )
                grouped[mr] = (slots, [])
            if not ref:
                raise FactsError(f"{where}: field 'ref' is empty")
            grouped[mr][1].append(ref)
    if not grouped:
        raise FactsError(f"{path}: no examples")
    examples = [
        WritingExample(f"{path.stem}:{n}", Facts(slots=slots), refs)
        for n, (slots, refs) in enumerate(grouped.values(), start=1)
    ]
    return examples[:limit]


def load_captions(folder: str | Path, *, style: str, limit: int | None = None) -> list[WritingExample]:
    """The factual captions (as free-text facts) with their human rewrites in `style`, humorous or romantic."""
    folder, target = Path(folder), _style_id(style)
    grouped: dict[str, list[str]] = {}
    for name in ("reference.0", "reference.1"):  # keep the lines whose third column is the target style
        for line_number, line in _lines(folder / name):
            fields = line.split("\t")
            if len(fields) != 3 or fields[2].strip() not in CAPTION_STYLES.values():
                raise FactsError(
                    f"{folder / name}:{line_number}: expected 'caption<TAB>rewrite<TAB>style id' "
                    f"with style id 0 or 1, got {line!r}"
                )
            source, rewrite, style_id = (f.strip() for f in fields)
            if style_id == target:
                grouped.setdefault(source, []).append(rewrite)
    examples = [
        WritingExample(f"captions-{style}:{n}", Facts(text=source), rewrites)
        for n, (source, rewrites) in enumerate(grouped.items(), start=1)
    ]
    return examples[:limit]


def caption_corpus(folder: str | Path, *, style: str, split: str = "train") -> list[str]:
    """The captions written in `style` (`sentiment.<split>.<id>`), for style exemplars or a style classifier.
    Train or dev only: the test files hold the factual captions, not styled ones."""
    if split not in ("train", "dev"):
        raise FactsError(
            f"caption corpus split {split!r}: use 'train' or 'dev' (the test files are the factual captions)"
        )
    path = Path(folder) / f"sentiment.{split}.{_style_id(style)}"
    return [line.strip() for _, line in _lines(path)]


def _style_id(style: str) -> str:
    if style not in CAPTION_STYLES:
        raise FactsError(f"unknown caption style {style!r}; known: {', '.join(CAPTION_STYLES)}")
    return CAPTION_STYLES[style]


def _open(path: Path, **kwargs):
    # errors="replace": one line of the imagecaption train corpus carries a stray GBK comma (bytes a3 ac)
    try:
        return path.open(encoding="utf-8", errors="replace", **kwargs)
    except OSError as e:
        raise FactsError(f"{path}: cannot read the dataset file: {e.strerror or e}") from None


def _lines(path: Path) -> list[tuple[int, str]]:
    """The non-blank lines of a file with their 1-based numbers."""
    with _open(path) as file:
        lines = [(n, line.rstrip("\n")) for n, line in enumerate(file, start=1) if line.strip()]
    if not lines:
        raise FactsError(f"{path}: the file is empty")
    return lines


def load_jsonl(path: str | Path, *, limit: int | None = None) -> list[WritingExample]:
    """A dataset of your own: one JSON object per line, `facts` (an object of key-values, an E2E MR or free text)
    and `references` (a list of texts)."""
    path = Path(path)
    examples = []
    for number, line in _lines(path):
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            raise FactsError(f"{where}: not JSON ({e.msg})") from None
        facts, references = (data.get("facts"), data.get("references")) if isinstance(data, dict) else (None, None)
        if not isinstance(references, list) or not references or not all(isinstance(r, str) for r in references):
            raise FactsError(f"{where}: field 'references' must be a non-empty list of texts")
        if not isinstance(facts, dict | str):
            raise FactsError(f"{where}: field 'facts' must be an object of key-values or a text")
        examples.append(
            WritingExample(f"{path.stem}:{number}", Facts.of(facts, where=f"{where}: field 'facts'"), references)
        )
    return examples[:limit]


def load_dataset(path: str | Path, *, style: str | None = None, limit: int | None = None) -> list[WritingExample]:
    """By its form: an image-caption folder (with `style`), an E2E CSV, or a JSON Lines file of your own."""
    path = Path(path)
    if path.is_dir():
        return load_captions(path, style=style or "", limit=limit)
    if path.suffix == ".csv":
        return load_e2e(path, limit=limit)
    if path.suffix == ".jsonl":
        return load_jsonl(path, limit=limit)
    raise FactsError(f"{path}: a dataset is an image-caption folder, an E2E .csv or a .jsonl file")
