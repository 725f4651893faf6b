"""Content DPO: the style-SFT adapter trained further on preference pairs (`pairs`), a faithful text over a
hallucinated one. trl keeps a frozen copy of the starting adapter as the reference model, so the DPO adapter is
one adapter that serves like the SFT one."""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset
from peft import PeftModel
from trl import DPOConfig, DPOTrainer

from idealprompt.train.trainer import Base, Options, Trained, load_base, preflight, train, training_args

BETA = 0.1  # trl's default: how far the adapter may move from the reference


def dpo(base: Base, rows: list[dict], out: Path, start: Path, options: Options) -> Trained:
    """Trains the adapter in `start` on preference `rows` ({"prompt", "chosen", "rejected"}) and writes it to `out`."""
    preflight(base, out)
    model, tokenizer = load_base(base)
    model = PeftModel.from_pretrained(model, str(start), is_trainable=True)
    trainer = DPOTrainer(
        model=model,
        args=training_args(DPOConfig, out, options, beta=BETA),
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )
    return train("dpo", trainer, tokenizer, base, len(rows), out, options)
