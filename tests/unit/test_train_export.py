"""The adapter as a llama.cpp GGUF: tensor names from the base's architecture, llama's query/key rows permuted,
the base it adapts recorded and read back by the embedded route; a train command without the extra."""

import importlib.util
import json

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

from idealprompt.errors import TrainError  # noqa: E402
from idealprompt.routes import catalog  # noqa: E402
from idealprompt.train import export, require  # noqa: E402


def _base(path, arch="llama"):
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_block_count(1)
    writer.add_head_count(1)
    writer.add_head_count_kv(1)
    writer.add_tensor("token_embd.weight", np.zeros((8, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _adapter(folder, rank=2):
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"r": rank, "lora_alpha": 4}))
    rng = np.random.default_rng(0)
    tensors = {}
    for module, out in (("q_proj", 4), ("k_proj", 4), ("v_proj", 4)):
        prefix = f"base_model.model.model.layers.0.self_attn.{module}"
        tensors[f"{prefix}.lora_A.weight"] = rng.standard_normal((rank, 4)).astype(np.float32)
        tensors[f"{prefix}.lora_B.weight"] = rng.standard_normal((out, rank)).astype(np.float32)
    safetensors_numpy.save_file(tensors, str(folder / "adapter_model.safetensors"))
    return folder, tensors


def test_an_adapter_is_named_as_llama_cpp_names_it_and_knows_its_base(tmp_path):
    base = _base(tmp_path / "base.gguf")
    folder, tensors = _adapter(tmp_path / "adapter")
    out = export.adapter_to_gguf(folder, base, tmp_path / "a.gguf", base_name="smollm2-135m", base_sha256="ab" * 32)
    reader = gguf.GGUFReader(str(out))
    found = {t.name: np.array(t.data) for t in reader.tensors}
    assert set(found) == {f"blk.0.attn_{x}.weight.lora_{ab}" for x in "qkv" for ab in "ab"}
    assert reader.fields["adapter.lora.alpha"].contents() == 4.0
    assert catalog.adapter_base(out) == "smollm2-135m"
    assert catalog.adapter_base(base) is None  # a model, not an adapter
    prefix = "base_model.model.model.layers.0.self_attn"
    b = {m: tensors[f"{prefix}.{m}_proj.lora_B.weight"] for m in "qkv"}
    # v as it is; q's and k's output rows (one head of 4: halves [0, 1] and [2, 3]) interleaved, as llama.cpp
    # stores llama's rotary dimensions
    np.testing.assert_array_equal(found["blk.0.attn_v.weight.lora_b"], b["v"])
    np.testing.assert_array_equal(found["blk.0.attn_q.weight.lora_b"], b["q"][[0, 2, 1, 3]])
    np.testing.assert_array_equal(found["blk.0.attn_k.weight.lora_b"], b["k"][[0, 2, 1, 3]])
    np.testing.assert_array_equal(found["blk.0.attn_q.weight.lora_a"], tensors[f"{prefix}.q_proj.lora_A.weight"])


def test_qwen2_rows_are_kept_as_hugging_face_stores_them(tmp_path):
    base = _base(tmp_path / "base.gguf", arch="qwen2")
    folder, tensors = _adapter(tmp_path / "adapter")
    out = export.adapter_to_gguf(folder, base, tmp_path / "a.gguf", base_name="b.gguf", base_sha256="")
    found = {t.name: np.array(t.data) for t in gguf.GGUFReader(str(out)).tensors}
    key = "base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight"
    np.testing.assert_array_equal(found["blk.0.attn_k.weight.lora_b"], tensors[key])


def test_a_modelfile_serves_the_base_with_the_adapter(tmp_path):
    text = export.modelfile(tmp_path / "base.gguf", tmp_path / "run" / "stylist.lora.gguf")
    assert text.splitlines() == [f"FROM {tmp_path / 'base.gguf'}", f"ADAPTER {tmp_path / 'run' / 'stylist.lora.gguf'}"]


def test_training_without_the_extra_says_how_to_install_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "trl" else real(name, *a))
    with pytest.raises(TrainError, match=r"trl.*pip install 'idealprompt\[train\]'"):
        require()
