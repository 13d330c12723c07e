"""The approximate index against brute force: the best rows, their scores, a row scope, rows
past a view's end, and the dimensions it refuses."""

import numpy as np
import pytest

from store.vector_index import ApproxIndex

DIM = 128  # 32 sub-quantisers, as a 384-d model has 96


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 topics, as text embeddings group (not uniform noise)."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((40, DIM))
    x = topics[rng.integers(0, 40, n)] + 0.35 * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def exact(x: np.ndarray, q: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[int]:
    rows = np.arange(len(x)) if rows is None else rows
    scores = x[rows] @ q
    return [int(rows[i]) for i in np.argsort(-scores)[:k]]


@pytest.fixture(scope="module")
def built() -> tuple[ApproxIndex, np.ndarray]:
    x = clustered(4000)
    index = ApproxIndex(DIM)
    index.add(x[:2500])  # trains on the first block
    index.add(x[2500:])
    return index, x


def test_the_best_rows_and_their_scores_are_close_to_brute_force(built):
    index, x = built
    assert len(index) == 4000
    overlap = []
    rng = np.random.default_rng(1)
    for i in rng.integers(0, 4000, 30):  # a query near a stored text, as a search is
        q = x[i] + 0.05 * rng.standard_normal(DIM).astype(np.float32)
        q /= np.linalg.norm(q)
        rows, scores = index.search(q, 10)
        assert len(rows) == 10 and list(scores) == sorted(scores, reverse=True)
        assert np.allclose(scores, x[rows] @ q, atol=0.02)  # 8-bit components
        overlap.append(len(set(rows.tolist()) & set(exact(x, q, 10))) / 10)
    assert np.mean(overlap) >= 0.9


def test_a_scope_and_a_views_end_are_respected(built):
    index, x = built
    q = clustered(1, seed=2)[0]
    scope = np.array([3, 17, 900, 2501, 3999, 12345])  # 12345: not a row, ignored
    rows, _ = index.search(q, 10, rows=scope)
    # five rows allowed, all re-scored: the order is the exact one
    assert rows.tolist() == exact(x, q, 10, scope[:5])
    rows, _ = index.search(q, 50, below=1000)
    assert len(rows) == 50 and rows.max() < 1000
    assert len(set(rows[:10].tolist()) & set(exact(x[:1000], q, 10))) >= 8


def test_rows_added_later_are_found():
    x = clustered(3000, seed=3)
    index = ApproxIndex(DIM)
    index.add(x)
    q = clustered(1, seed=4)[0]
    index.add(np.stack([q, q]))  # two copies of the query itself
    rows, scores = index.search(q, 2)
    assert sorted(rows.tolist()) == [3000, 3001] and scores[0] > 0.98


def test_empty_and_unsuitable():
    assert ApproxIndex(8).search(np.ones(8, np.float32), 5)[0].size == 0
    with pytest.raises(ValueError, match="multiple"):
        ApproxIndex(30)
