"""The built-in prior pack: priors learnt by optimising public tasks for the default target model, shipped in the
package (`pack/priors.jsonl`, made by bench/pack.py; `pack/pack.json` says how), so that a newcomer's first
optimisation starts warm. The default memory installs it on first use; any store with `install_builtin_priors`
or `idealprompt priors install builtin`. The tasks it was made from are never the ones it is evaluated on."""

from __future__ import annotations

import json
from importlib.resources import files

from idealprompt.memory.priors import PriorMemory
from idealprompt.memory.store import Store

PACK = files("idealprompt.memory") / "pack"
MARKER = "builtin-priors"  # a store's marker: the pack version installed there


def pack_info() -> dict:
    """The pack's manifest: version, target model, the tasks and command that made it, and when."""
    return json.loads((PACK / "pack.json").read_text())


def install_builtin_priors(priors: PriorMemory, store: Store) -> int:
    """Import the pack into a store (its ids are fixed, so a second install adds nothing); returns how many
    priors the pack holds, and marks the store with the pack's version."""
    with (PACK / "priors.jsonl").open() as f:  # importlib.resources: a file even inside a zipped package
        count = priors.import_lines(f.read().splitlines(), where="idealprompt built-in priors")
    store.mark(MARKER, str(pack_info()["version"]))
    return count


def installed(store: Store) -> bool:
    return store.marked(MARKER) is not None
