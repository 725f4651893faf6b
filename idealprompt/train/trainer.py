"""What the three training steps share: the options, the base model, the checks before hours are spent, progress,
checkpoints and resuming, and the output folder with its summary.

The base is the GGUF the embedded route serves (transformers dequantises it to float32 on load) or a local
Hugging Face folder. A dequantised GGUF is an ordinary float model, but transformers still marks it as quantized
and refuses to train it; the mark is removed.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from transformers import PrinterCallback, TrainerCallback

from idealprompt.errors import RouteError, TrainError
from idealprompt.routes import catalog
from idealprompt.train import export

# What a step's folder holds.
ADAPTER, GGUF, MODELFILE, MERGED = "adapter", "stylist.lora.gguf", "Modelfile", "merged"
SUMMARY, CHECKPOINTS = "train.json", "checkpoints"
NO_BASE_CONFIG = "Could not find a config file"  # peft, saving: a GGUF has no config.json beside it, and needs none
FREE_DISK = 1 << 30  # checkpoints of an adapter and its optimiser state are small; a merged model is not


@dataclass(frozen=True)
class Base:
    """The model the adapter is trained on: `path` a GGUF or a Hugging Face folder; `name` and `sha256` what the
    adapter records (a catalog name serves as `embedded:<name>`)."""

    path: Path
    name: str
    sha256: str = ""

    @property
    def gguf(self) -> Path | None:
        return self.path if self.path.suffix == ".gguf" else None

    @classmethod
    def of(cls, spec: str, models_dir: Path) -> Base:
        """A catalog model's name (its GGUF, joined and verified on first use), a GGUF file, or a Hugging Face
        folder (with a config.json)."""
        path = Path(spec).expanduser()
        if path.is_dir():
            if not (path / "config.json").is_file():
                raise TrainError(f"{path}: a Hugging Face model folder has a config.json; this one has none")
            return cls(path.absolute(), str(path.absolute()))
        if path.suffix == ".gguf":
            file, sha256 = catalog.local_gguf(str(path))
            return cls(file, str(file), sha256)
        try:
            model = catalog.lookup(spec)
        except RouteError as e:
            raise TrainError(f"base model {spec!r}: not a GGUF file or folder here, nor {e}") from None
        return cls(catalog.gguf_path(model, models_dir), model.name, model.sha256)

    def record(self) -> dict[str, str]:
        return {"path": str(self.path), "name": self.name, "sha256": self.sha256}

    @classmethod
    def of_record(cls, record: dict[str, str]) -> Base:
        return cls(Path(record["path"]), record["name"], record.get("sha256", ""))


@dataclass(frozen=True)
class Options:
    steps: int = 60
    batch_size: int = 4
    learning_rate: float = 2e-4
    rank: int = 16
    alpha: int = 32
    save_every: int = 20  # steps between checkpoints
    max_length: int = 512  # tokens of prompt and answer
    seed: int = 0
    resume: bool = False
    merged: bool = False  # also write the base with the adapter merged in, as a Hugging Face folder (float16)


@dataclass
class Trained:
    kind: str
    out: Path
    base: dict[str, str]  # Base.record(): the next step trains on the same base
    rows: int
    steps: int
    losses: list[float]
    seconds: float
    peak_memory_mb: float
    files: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self) -> Path:
        data = asdict(self) | {"out": str(self.out)}
        path, tmp = self.out / SUMMARY, self.out / (SUMMARY + ".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)  # the summary marks a finished step: never half of one
        return path


def load_base(base: Base):
    """(model, tokenizer) in float32 on CPU, ready for an adapter."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, extra = (base.path.parent, {"gguf_file": base.path.name}) if base.gguf else (base.path, {})
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, **extra)
        model: Any = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **extra)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise TrainError(f"{base.path}: the base model does not load in transformers: {e}") from None
    if base.gguf:  # dequantised on load: a float model, whatever the mark says
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def preflight(base: Base, out: Path) -> None:
    """Memory and disk, checked before the model loads: training needs about 3x the float32 weights (weights,
    activations, the adapter's optimiser state; measured: 9.3 GiB at most for the 0.5B model's 3.9 GB at batch 4),
    and a GGUF holds about 2 weights a byte at 4 bits."""
    if not base.path.exists():
        raise TrainError(f"{base.path}: no such base model (a GGUF file or a Hugging Face folder)")
    size = base.path.stat().st_size if base.gguf else sum(p.stat().st_size for p in base.path.glob("*.safetensors"))
    weights = size * 2 * 4 if base.gguf else size * (4 / 2)  # a HF folder's safetensors: 16-bit, most often
    needed, available = 3 * weights, _available_memory()
    if available and needed > available:
        raise TrainError(
            f"{base.path}: training this base needs about {needed / 2**30:.1f} GiB of memory, "
            f"{available / 2**30:.1f} GiB are available: close other programs or train a smaller base"
        )
    out.mkdir(parents=True, exist_ok=True)
    if (free := shutil.disk_usage(out).free) < FREE_DISK:
        raise TrainError(f"{out}: {free / 2**20:.0f} MiB free on disk; training needs at least 1 GiB")


def training_args(config_class, out: Path, options: Options, **more):
    """trl's config for either trainer: CPU, checkpoints every `save_every` steps, logs every step, no reporting
    anywhere (no tracker sees the users' data)."""
    return config_class(
        output_dir=str(out / CHECKPOINTS),
        max_steps=options.steps,
        per_device_train_batch_size=options.batch_size,
        learning_rate=options.learning_rate,
        logging_steps=1,
        save_steps=options.save_every,
        save_total_limit=2,
        save_only_model=False,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
        seed=options.seed,
        max_length=options.max_length,
        # trl turns it on by default; it trades time for memory, and a CPU has the memory for a small model's LoRA
        activation_checkpointing=False,
        **more,
    )


def train(kind: str, trainer, tokenizer, base: Base, rows: int, out: Path, options: Options) -> Trained:
    """Trains (`fit`), writes what serves the adapter (`save`) and the step's summary."""
    losses, seconds = fit(trainer, out, options, kind)
    files = save(trainer, tokenizer, base, out, merged=options.merged)
    steps = trainer.state.global_step
    trained = Trained(kind, out, base.record(), rows, steps, losses, seconds, peak_memory_mb(), files)
    trained.save()
    return trained


def fit(trainer, out: Path, options: Options, what: str) -> tuple[list[float], float]:
    """Trains with a progress bar (steps, loss, time left), from the last checkpoint under `--resume`; the losses
    logged and the seconds it took."""
    checkpoint = last_checkpoint(out) if options.resume else None
    if options.resume and checkpoint is None:
        raise TrainError(f"{out / CHECKPOINTS}: no checkpoint to resume from; train without --resume")
    callback = _ProgressBar(what)
    trainer.remove_callback(PrinterCallback)  # it prints every log's dict; the bar shows the loss
    trainer.add_callback(callback)
    start = time.monotonic()
    with callback.bar, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NO_BASE_CONFIG)
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    losses = [float(h["loss"]) for h in trainer.state.log_history if "loss" in h]
    return losses, time.monotonic() - start


def last_checkpoint(out: Path) -> Path | None:
    found = sorted((out / CHECKPOINTS).glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return found[-1] if found else None


def save(trainer, tokenizer, base: Base, out: Path, *, merged: bool = False) -> dict[str, str]:
    """The adapter, its GGUF and a Modelfile (when the base is a GGUF), and the merged model if asked, in `out`."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NO_BASE_CONFIG)
        trainer.model.save_pretrained(out / ADAPTER)
    tokenizer.save_pretrained(out / ADAPTER)
    files = {"adapter": str(out / ADAPTER)}
    if base.gguf:
        gguf = export.adapter_to_gguf(
            out / ADAPTER, base.gguf, out / GGUF, base_name=base.name, base_sha256=base.sha256
        )
        (out / MODELFILE).write_text(export.modelfile(base.gguf, gguf), encoding="utf-8")
        files |= {"gguf": str(gguf), "modelfile": str(out / MODELFILE)}
    if merged:  # last: merging folds the adapter into the weights for good
        import torch

        trainer.model.merge_and_unload().to(torch.float16).save_pretrained(out / MERGED)
        tokenizer.save_pretrained(out / MERGED)
        files["merged"] = str(out / MERGED)
    return files


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _available_memory() -> int:
    """What the system can give without swapping, page cache included (the model files just read are in it)."""
    import psutil

    return int(psutil.virtual_memory().available)


class _ProgressBar(TrainerCallback):
    """Steps, the last loss and the time left."""

    def __init__(self, what: str):
        self.bar = Progress(
            TextColumn(f"{what} [progress.description]{{task.description}}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} steps"),
            TimeRemainingColumn(),
        )
        self.task = self.bar.add_task("", total=None)

    def on_train_begin(self, args, state, control, **kwargs):
        self.bar.update(self.task, total=state.max_steps, completed=state.global_step)

    def on_step_end(self, args, state, control, **kwargs):
        self.bar.update(self.task, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.bar.update(self.task, description=f"loss {float(logs['loss']):.3f}")
