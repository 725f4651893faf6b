"""Serving a trained stylist: its LoRA adapter as a llama.cpp GGUF adapter, a Modelfile for Ollama, and a merged
Hugging Face model for other tools.

The adapter GGUF is written with the `gguf` package (llama.cpp's own Python writer), naming tensors as llama.cpp's
`convert_lora_to_gguf.py` does: the base tensor's GGUF name plus `.lora_a` / `.lora_b`, the alpha in the
metadata. That script needs the base model as a Hugging Face folder and llama.cpp's source tree; this needs
neither, since the adapter is small and its names follow from the base GGUF's architecture. The one subtlety is
theirs too: llama-architecture GGUFs store the query and key rows permuted for their rotary embedding, so those
adapters' B matrices are permuted the same way (Qwen2 stores them as Hugging Face does).

The adapter records which base it was trained on (`routes.catalog.ADAPTER_BASE`), so that
`embedded:<folder>/stylist.lora.gguf` loads that base with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from idealprompt.errors import TrainError
from idealprompt.routes.catalog import ADAPTER_BASE, ADAPTER_BASE_SHA256


def adapter_to_gguf(adapter_dir: Path, base_gguf: Path, out: Path, *, base_name: str, base_sha256: str) -> Path:
    """The peft adapter in `adapter_dir` (adapter_config.json, adapter_model.safetensors) as a llama.cpp adapter."""
    import gguf
    from safetensors.numpy import load_file

    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    arch_name, fields = _base_fields(base_gguf)
    arch = next((a for a, name in gguf.MODEL_ARCH_NAMES.items() if name == arch_name), None)
    if arch is None:
        raise TrainError(f"{base_gguf}: the gguf package does not know the architecture {arch_name!r}")
    names = gguf.get_tensor_name_map(arch, int(fields["block_count"]))
    heads, kv_heads = int(fields["attention.head_count"]), int(fields.get("attention.head_count_kv", 0) or 0)

    writer = gguf.GGUFWriter(str(out), arch_name)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    writer.add_string(ADAPTER_BASE, base_name)
    writer.add_string(ADAPTER_BASE_SHA256, base_sha256)
    for key in sorted(tensors):
        if ".lora_A." not in key:
            continue
        module = key.removeprefix("base_model.model.").split(".lora_A.")[0]
        target = names.get_name(module + ".weight", try_suffixes=(".weight",))
        if target is None:
            raise TrainError(f"{adapter_dir}: no GGUF tensor of {arch_name} for the adapted module {module}")
        lora_a, lora_b = tensors[key], tensors[key.replace(".lora_A.", ".lora_B.")]
        if arch_name == "llama" and module.endswith(("q_proj", "k_proj")):
            lora_b = _permute(lora_b, heads, kv_heads if module.endswith("k_proj") and kv_heads else heads)
        writer.add_tensor(target + ".lora_a", np.ascontiguousarray(lora_a, dtype=np.float32))
        writer.add_tensor(target + ".lora_b", np.ascontiguousarray(lora_b, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def modelfile(base_gguf: Path, adapter_gguf: Path) -> str:
    """An Ollama Modelfile that serves the base with the adapter: `ollama create stylist -f Modelfile`."""
    return f"FROM {base_gguf.absolute()}\nADAPTER {adapter_gguf.absolute()}\n"


def _base_fields(path: Path) -> tuple[str, dict[str, Any]]:
    import gguf

    reader = gguf.GGUFReader(str(path))
    arch = str(reader.fields["general.architecture"].contents())
    prefix = f"{arch}."
    fields: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if key.startswith(prefix) and field.types and field.types[0] != gguf.GGUFValueType.ARRAY:
            fields[key.removeprefix(prefix)] = field.contents()
    return arch, fields


def _permute(rows: np.ndarray, heads: int, group: int) -> np.ndarray:
    """llama.cpp's `LlamaModel.permute` (convert_hf_to_gguf.py): each head's rotary halves interleaved."""
    return rows.reshape(group, 2, rows.shape[0] // group // 2, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)
