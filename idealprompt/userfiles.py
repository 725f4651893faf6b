"""Users' files as idealprompt reads and writes them: text as UTF-8, with an error naming the file; YAML safe, with
keys kept as written, no key given twice, and no alias bomb; results written whole or not at all.

PyYAML's `safe_load` reads the keys `yes:` and `1:` as True and 1, which are equal in Python, so one value
silently replaces the other; it keeps the last of two equal keys without a word; and a few hundred bytes of
nested aliases expand to billions of nodes, which hang whatever walks them. Each of these is an error here,
a `yaml.YAMLError` with the line, so the callers' handlers name the file and line as for any other.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_NODES = 5_000_000  # the document's size with every alias expanded; a 100,000-row task file is about 1,000,000


def read_text(path: Path, error: type[Exception], what: str) -> str:
    """The UTF-8 text of `path` (a byte-order mark dropped); `error` (with the file's name) if it cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except OSError as e:
        raise error(f"{path}: cannot read the {what}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise error(f"{path}: the {what} is not UTF-8 text ({e.reason} at byte {e.start}); save it as UTF-8") from None


def write_text(path: Path, text: str, error: type[Exception], what: str) -> None:
    """`text` as the whole of `path`, or `error` with nothing changed: written beside it and renamed into place, so a
    full disk or a kill mid-write leaves the earlier file (or none), never half of one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise error(f"{path}: cannot write the {what}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise error(f"{path}: cannot write the {what}: {e.strerror}") from None


def read_yaml(text: str) -> Any:
    """The YAML document in `text`; raises yaml.YAMLError."""
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except RecursionError:
        raise yaml.YAMLError("the document is nested too deeply") from None


class _Loader(yaml.SafeLoader):
    def construct_document(self, node: Node) -> Any:
        if _expanded(node, {}, set()) > MAX_NODES:
            raise ConstructorError(
                problem=f"the document expands to more than {MAX_NODES:,} values through its aliases (*name)",
                problem_mark=node.start_mark,
            )
        return super().construct_document(node)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        written = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        self.flatten_mapping(node)  # merged keys (<<: *name) first, so that a key written here overrides one
        mapping: dict[Any, Any] = {}
        given: dict[Any, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise ConstructorError(
                    problem="a key must be text, not a list or a mapping", problem_mark=key_node.start_mark
                )
            key = key_node.value  # as written: `yes` and `1` stay apart, and apart from `true`
            if key in given and id(given[key]) in written:
                lines = f"lines {given[key].start_mark.line + 1} and {key_node.start_mark.line + 1}"
                raise ConstructorError(
                    problem=f"the key {key!r} is given twice ({lines})", problem_mark=key_node.start_mark
                )
            mapping[key], given[key] = self.construct_object(value_node, deep=deep), key_node
        return mapping


def _expanded(node: Node, sizes: dict[int, int], open_: set[int]) -> int:
    """How many nodes `node` stands for once every alias is expanded (shared nodes are counted once per use)."""
    if (known := sizes.get(id(node))) is not None:
        return known
    if id(node) in open_:  # a node that holds itself expands without end
        raise ConstructorError(problem="an alias refers to a value that contains it", problem_mark=node.start_mark)
    open_.add(id(node))
    size = 1
    if isinstance(node, SequenceNode):
        size += sum(_expanded(child, sizes, open_) for child in node.value)
    elif isinstance(node, MappingNode):
        size += sum(_expanded(k, sizes, open_) + _expanded(v, sizes, open_) for k, v in node.value)
    open_.discard(id(node))
    sizes[id(node)] = size
    return size
