"""Training the small stylist (SAG, arXiv 2410.03137): the only place where weights change, and only the small
model's. Three steps, each a LoRA adapter on the stylist's base model, trained on CPU:

- `sft`: style SFT on (neutral facts -> styled text) pairs (`data`);
- `improve`: self-improvement rounds: the stylist writes k candidates per input, the style scorer and the fact
  check keep the best that pass both, and it is trained on them;
- `dpo`: content DPO: a faithful text chosen over a hallucinated one (`pairs`).

Each writes an output folder (`trainer.Trained`): the adapter (safetensors), the adapter as a llama.cpp GGUF
(`export`) that `embedded:<folder>/stylist.lora.gguf` serves on its base, a Modelfile for Ollama, and
`train.json`, the summary of what was trained on what, with its losses. Needs the `train` extra.
"""

from __future__ import annotations

import importlib.util

from idealprompt.errors import TrainError

TRAIN_EXTRA = "pip install 'idealprompt[train]'  (torch's CPU build, transformers, peft, trl)"
NEEDS = ("torch", "transformers", "peft", "trl", "datasets", "gguf", "safetensors")


def require() -> None:
    """A clear error, before anything loads, when the train extra is not installed."""
    missing = [name for name in NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        raise TrainError(f"training needs {', '.join(missing)}, which are not installed: {TRAIN_EXTRA}")
