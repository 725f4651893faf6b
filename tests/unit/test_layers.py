"""Each layer imports only from the layers below it (docs/architecture.md)."""

import ast
from pathlib import Path

import idealprompt

RANKS = {
    "errors": 0,
    "userfiles": 0,
    "config": 1,
    "packaged": 1,
    "prompts": 1,
    "tasks": 1,
    "facts": 1,
    "styles": 1,
    "routes": 2,
    "strategies": 2,
    "accounting": 3,
    "cache": 3,
    "runs": 4,
    "structured": 3,
    "session": 4,
    "memory": 5,
    "search": 6,
    "scoring": 7,
    "tools": 8,
    "agents": 9,
    "graphs": 10,
    "train": 10,
    "ideal": 11,
    "notebench": 11,
    "report": 12,
    "assistant": 12,
    "serve": 13,
    "sag": 11,
    "cli": 14,
}
ROOT = Path(idealprompt.__file__).parent


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("idealprompt."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("idealprompt.")}
    return names


def test_every_component_has_a_layer():
    components = {
        p.stem if p.is_file() else p.name
        for p in ROOT.iterdir()
        if not p.name.startswith("__") and (p.suffix == ".py" or p.is_dir())
    }
    assert components <= set(RANKS), f"add {components - set(RANKS)} to RANKS and docs/architecture.md"


def test_imports_point_down():
    wrong = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts == ("__init__.py",):
            continue  # the package root re-exports the public API
        own = Path(parts[0]).stem
        for target in _imports(path):
            if target != own and RANKS[target] >= RANKS[own]:
                wrong.append(f"{path.relative_to(ROOT)} imports idealprompt.{target}")
    assert wrong == []
