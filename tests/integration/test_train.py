"""A tiny end-to-end training on SmolLM2-135M (CPU, 8 pairs, a few steps): style SFT lowers the loss, a checkpoint
resumes, the adapter's GGUF serves through the embedded route and answers as the trained model does in
transformers, and content DPO goes on from the SFT step."""

from difflib import SequenceMatcher
from pathlib import Path

import pytest

pytest.importorskip("trl")

from langchain_core.messages import convert_to_messages
from transformers import AutoModelForCausalLM

from idealprompt.routes import Route, catalog, make_chat_model
from idealprompt.styles import builtin_styles
from idealprompt.train import data
from idealprompt.train.jobs import dpo_job, served, sft_job, started_from, style_of
from idealprompt.train.trainer import Base, Options, load_base

TINY = "smollm2-135m"
_TABLENOTES = builtin_styles()["tablenotes"]
STYLE = _TABLENOTES.model_copy(update={"exemplars": _TABLENOTES.exemplars[:8], "neutral": _TABLENOTES.neutral[:8]})
OPTIONS = Options(steps=4, batch_size=2, learning_rate=3e-3, rank=8, alpha=16, save_every=2, max_length=256)


@pytest.fixture(scope="module")
def base(real_settings) -> Base:
    return Base.of(TINY, real_settings.models_dir)


@pytest.fixture(scope="module")
def sft_step(base, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sft")
    trained = sft_job(STYLE, base, out, OPTIONS)
    assert trained.steps == 4
    return out


def test_style_sft_lowers_the_loss_and_writes_what_serves_it(sft_step, base):
    trained = started_from(sft_step)
    assert trained.losses[-1] < trained.losses[0]
    assert (sft_step / "adapter" / "adapter_model.safetensors").is_file()
    assert len(data.read_rows(sft_step / "data.jsonl")) == 8
    recorded = style_of(sft_step)  # what the later steps train on when no style is named
    assert recorded.name == STYLE.name and recorded.exemplars == STYLE.exemplars and len(recorded.neutral) == 8
    assert catalog.adapter_base(served(sft_step)) == TINY
    assert (sft_step / "Modelfile").read_text().splitlines() == [f"FROM {base.path}", f"ADAPTER {served(sft_step)}"]


def test_training_resumes_from_its_last_checkpoint(sft_step, base):
    before = started_from(sft_step).losses
    trained = sft_job(STYLE, base, sft_step, Options(**{**OPTIONS.__dict__, "steps": 6, "resume": True}))
    assert trained.steps == 6
    # steps 1-4 come back from checkpoint-4 as they were logged; only 5 and 6 were trained now
    assert trained.losses[:4] == before and len(trained.losses) == 6


def test_the_adapter_serves_through_the_embedded_route_as_transformers_runs_it(sft_step, real_settings, base):
    from peft import PeftModel

    messages = data.prompt(STYLE, STYLE.neutral[0])  # a training input: where the adapter has learnt most
    route = make_chat_model(Route(f"embedded:{served(sft_step)}"), real_settings)
    served_text = route.model_copy(update={"max_tokens": 16, "repeat_penalty": 1.0}).invoke(
        convert_to_messages(messages)
    )

    model, tokenizer = load_base(base)
    model = PeftModel.from_pretrained(model, str(sft_step / "adapter"))
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt")["input_ids"]

    def greedy() -> str:
        generated = model.generate(input_ids=ids, max_new_tokens=16, do_sample=False)
        return tokenizer.decode(generated[0][ids.shape[1] :], skip_special_tokens=True).strip()

    with model.disable_adapter():
        untrained = greedy()
    trained, served_words = greedy(), served_text.text.split()
    assert trained != untrained  # the adapter changed what the model writes...
    # ...and llama.cpp serves the adapter as transformers runs it: the same text but for a near-tie or two, where
    # the GGUF's f16 weights and transformers' float32 may pick differently (seen once: "a family-friendly
    # Italian restaurant" against "a Italian restaurant", then the same words), and nearer the trained text
    # than the untrained one.
    likeness = {t: SequenceMatcher(None, served_words, t.split()).ratio() for t in (trained, untrained)}
    assert likeness[trained] >= 0.75 and likeness[trained] > likeness[untrained], (served_words, trained, untrained)


def test_content_dpo_goes_on_from_the_sft_step(sft_step, tmp_path):
    options = Options(steps=2, batch_size=2, save_every=2, max_length=256, merged=True)
    trained = dpo_job(STYLE, sft_step, tmp_path, options)
    assert trained.kind == "dpo" and trained.steps == 2
    assert trained.extra["corruption_pairs"] == 8
    assert catalog.adapter_base(served(tmp_path)) == TINY
    assert len((tmp_path / "pairs.jsonl").read_text().splitlines()) == 8
    assert style_of(tmp_path) == STYLE
    merged = AutoModelForCausalLM.from_pretrained(trained.files["merged"])  # a plain model: no adapter, no GGUF
    assert not any("lora" in name for name, _ in merged.named_parameters())
