"""The nearest-vector matrix over real store files and their published read copies: one
matrix per store (not per copy), appended rows read alone, any other change read afresh."""

import numpy as np

from store import nearest as module
from store.db import connect, open_duckdb
from store.nearest import nearest, vector_literal
from store.read_copies import snapshot_dir
from store.snapshot import latest_snapshot, publish

DIM = 8


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def add(path, rows: dict[str, np.ndarray], model: str = "m") -> None:
    con = connect(path)
    con.executemany("INSERT INTO embeddings VALUES (?, ?, ?, ?, ?::FLOAT[])",
                    [(d, model, "h-" + d, DIM, vector_literal(v)) for d, v in rows.items()])
    con.close()


def read_copy(path):
    publish(path)
    return open_duckdb(latest_snapshot(path), read_only=True)


def brute(rows: dict[str, np.ndarray], q: np.ndarray, k: int) -> list[str]:
    return sorted(rows, key=lambda d: (-float(rows[d] @ q), d))[:k]


def entries(path) -> list:
    return [k for k in module._CACHE if k[0] == str(snapshot_dir(path))]


def test_read_copies_of_one_store_share_one_matrix_and_appended_rows_are_added(tmp_path):
    path = tmp_path / "radar.duckdb"
    rows = {f"d{i:03d}": unit(i) for i in range(300)}
    add(path, rows)
    q = unit(1000)
    con = read_copy(path)
    assert [d for d, _ in nearest(con, q, "m", 5)] == brute(rows, q, 5)
    first = module._CACHE[entries(path)[0]]
    assert nearest(con, q, "m", 5) and module._CACHE[entries(path)[0]] is first
    con.close()
    more = {f"e{i:03d}": unit(500 + i) for i in range(40)}
    add(path, more)
    rows.update(more)
    con = read_copy(path)
    assert [d for d, _ in nearest(con, q, "m", 10)] == brute(rows, q, 10)
    assert len(entries(path)) == 1  # the new copy's matrix replaced the old one
    grown = module._CACHE[entries(path)[0]]
    assert len(grown.ids) == 340 and grown.stamp[0] == 340
    # into the spare rows of the first load's buffer when they suffice, else a new buffer
    # (the first matrix's rows untouched either way)
    assert np.shares_memory(grown.vectors, first.vectors) == (len(first.spare_vectors) >= 340)
    assert np.array_equal(grown.vectors[:300], first.vectors)
    con.close()
    few = {f"f{i:03d}": unit(900 + i) for i in range(3)}
    add(path, few)
    rows.update(few)
    con = read_copy(path)
    assert [d for d, _ in nearest(con, q, "m", 10)] == brute(rows, q, 10)
    third = module._CACHE[entries(path)[0]]
    assert len(third.ids) == 343 and np.shares_memory(third.vectors, grown.vectors)
    con.close()


def test_a_re_embedded_document_is_read_afresh(tmp_path):
    path = tmp_path / "radar.duckdb"
    rows = {f"d{i:03d}": unit(i) for i in range(50)}
    add(path, rows)
    q = unit(77)
    con = read_copy(path)
    best = nearest(con, q, "m", 1)[0][0]
    con.close()
    w = connect(path)  # the best one re-embedded far from q, another one near it
    w.execute("DELETE FROM embeddings WHERE doc_id IN (?, 'd000')", [best])
    w.executemany("INSERT INTO embeddings VALUES (?, 'm', 'new', ?, ?::FLOAT[])",
                  [(best, DIM, vector_literal(-q)), ("d000", DIM, vector_literal(q))])
    w.close()
    rows.update({best: -q, "d000": q})
    con = read_copy(path)
    assert [d for d, _ in nearest(con, q, "m", 3)] == brute(rows, q, 3)
    assert nearest(con, q, "m", 1)[0][0] == "d000"
    con.close()


def test_scopes_small_and_large_give_the_brute_force_answer(tmp_path):
    path = tmp_path / "radar.duckdb"
    rows = {f"d{i:03d}": unit(i) for i in range(400)}
    add(path, rows)
    q = unit(9)
    con = read_copy(path)
    for scope in ({"d001", "d200", "d399", "zz-not-stored"}, {d for d in rows if d < "d300"}):
        inside = {d: v for d, v in rows.items() if d in scope}
        assert [d for d, _ in nearest(con, q, "m", 7, scope=scope)] == brute(inside, q, 7)
    assert nearest(con, q, "m", 7, scope={"nothing"}) == []
    con.close()


def test_a_condition_is_checked_for_the_best_candidates_only(tmp_path):
    path = tmp_path / "radar.duckdb"
    rows = {f"d{i:03d}": unit(i) for i in range(400)}
    add(path, rows)
    q = unit(11)
    asked: list[int] = []

    def every_ninth(candidates: list[str]) -> set[str]:
        asked.append(len(candidates))
        return {d for d in candidates if int(d[1:]) % 9 == 0}

    con = read_copy(path)
    wanted = {d: v for d, v in rows.items() if int(d[1:]) % 9 == 0}
    assert [d for d, _ in nearest(con, q, "m", 3, keep=every_ninth)] == brute(wanted, q, 3)
    assert sum(asked) < len(rows)  # the best candidates a batch at a time, not every row
    asked.clear()  # more wanted than meet it: all are asked about once, all kept are returned
    assert [d for d, _ in nearest(con, q, "m", 60, keep=every_ninth)] == brute(wanted, q, 60)
    assert sum(asked) == len(rows)
    scope = {d for d in rows if d < "d100"}
    inside = {d: v for d, v in wanted.items() if d in scope}
    assert [d for d, _ in nearest(con, q, "m", 4, scope, keep=every_ninth)] == brute(inside, q, 4)
    con.close()


def test_a_large_table_is_searched_through_the_approximate_index(tmp_path, monkeypatch):
    monkeypatch.setattr(module, "APPROX_MIN_ROWS", 1000)  # the real threshold is 200,000
    path = tmp_path / "radar.duckdb"
    dim = 128
    rng = np.random.default_rng(5)
    topics = rng.standard_normal((30, dim))
    x = topics[rng.integers(0, 30, 1500)] + 0.35 * rng.standard_normal((1500, dim))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    rows = {f"d{i:04d}": x[i] for i in range(1500)}
    con = connect(path)
    con.executemany("INSERT INTO embeddings VALUES (?, ?, ?, ?, ?::FLOAT[])",
                    [(d, "m", "h-" + d, dim, vector_literal(v)) for d, v in rows.items()])
    con.close()
    q = x[7] + 0.05 * rng.standard_normal(dim).astype(np.float32)
    q /= np.linalg.norm(q)
    con = read_copy(path)
    got = [d for d, _ in nearest(con, q, "m", 10)]
    cached = module._CACHE[entries(path)[0]]
    assert cached.index is not None and cached.vectors.shape == (0, dim)  # no float matrix
    assert len(set(got) & set(brute(rows, q, 10))) >= 9
    scope = {d for d in rows if d < "d0300"}
    inside = {d: v for d, v in rows.items() if d in scope}
    scoped = [d for d, _ in nearest(con, q, "m", 10, scope=scope)]
    assert set(scoped) <= scope and len(set(scoped) & set(brute(inside, q, 10))) >= 9
    kept = nearest(con, q, "m", 5, keep=lambda c: {d for d in c if d.endswith("3")})
    assert len(kept) == 5 and all(d.endswith("3") for d, _ in kept)
    con.close()
    fresh = rng.standard_normal(dim).astype(np.float32)  # far from every topic
    fresh /= np.linalg.norm(fresh)
    con = connect(path)  # a day's new rows: appended to the index, found by the next query
    con.execute("INSERT INTO embeddings VALUES (?, ?, ?, ?, ?::FLOAT[])",
                ["new", "m", "h-new", dim, vector_literal(fresh)])
    con.close()
    con = read_copy(path)
    assert nearest(con, fresh, "m", 1)[0][0] == "new"
    assert module._CACHE[entries(path)[0]].index is cached.index  # grown, not rebuilt
    con.close()


def test_a_row_mask_is_asked_once_per_row_and_kept_with_the_matrix(tmp_path):
    path = tmp_path / "radar.duckdb"
    rows = {f"d{i:03d}": unit(i) for i in range(200)}
    add(path, rows)
    asked: list[int] = []

    def even(_con, ids: list[str]) -> np.ndarray:
        asked.append(len(ids))
        return np.array([int(d[1:]) % 2 == 0 for d in ids])

    q = unit(3)
    con = read_copy(path)
    evens = {d: v for d, v in rows.items() if int(d[1:]) % 2 == 0}
    odds = {d: v for d, v in rows.items() if d not in evens}
    assert [d for d, _ in nearest(con, q, "m", 5, mask=module.RowMask("even", even))] \
        == brute(evens, q, 5)
    assert [d for d, _ in nearest(con, q, "m", 5, mask=module.RowMask("even", even, True))] \
        == brute(odds, q, 5)
    assert asked == [200]  # the second query (negated) used the kept answers
    con.close()
    more = {f"d{i:03d}": unit(i) for i in range(200, 210)}
    add(path, more)
    evens.update({d: v for d, v in more.items() if int(d[1:]) % 2 == 0})
    con = read_copy(path)
    assert [d for d, _ in nearest(con, q, "m", 8, mask=module.RowMask("even", even))] \
        == brute(evens, q, 8)
    assert asked == [200, 10]  # only the appended rows
    con.close()
