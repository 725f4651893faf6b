"""Style SFT: a LoRA adapter on the stylist's base, trained on chat rows (`data`) with the loss on the answer only
(trl's prompt-completion form). Self-improvement rounds go on from an adapter instead of a fresh one."""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset
from peft import LoraConfig, PeftModel
from trl import SFTConfig, SFTTrainer

from idealprompt.train.trainer import Base, Options, Trained, load_base, preflight, train, training_args


def sft(base: Base, rows: list[dict], out: Path, options: Options, *, start: Path | None = None) -> Trained:
    """Trains on `rows` and writes the adapter to `out`; `start`: an adapter folder to go on training."""
    preflight(base, out)
    model, tokenizer = load_base(base)
    if start is not None:
        model = PeftModel.from_pretrained(model, str(start), is_trainable=True)
    trainer = SFTTrainer(
        model=model,
        args=training_args(SFTConfig, out, options, completion_only_loss=True),
        train_dataset=completions(rows),
        processing_class=tokenizer,
        peft_config=None if start is not None else lora(options),
    )
    return train("sft", trainer, tokenizer, base, len(rows), out, options)


def completions(rows: list[dict]) -> Dataset:
    """Chat rows as trl's prompt-completion rows: the loss falls on the answer alone."""
    return Dataset.from_list([{"prompt": r["messages"][:-1], "completion": r["messages"][-1:]} for r in rows])


def lora(options: Options) -> LoraConfig:
    # Every linear layer: a style lives in word choice (the MLPs) as much as in attention.
    return LoraConfig(
        r=options.rank, lora_alpha=options.alpha, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM"
    )
