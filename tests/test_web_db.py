"""How pages reach the store: a request's cursor comes from the app's reader pool, and a
page after the UI's own write shows it even though new copies are otherwise warmed first."""

from __future__ import annotations

from types import SimpleNamespace

from config.settings import load_settings
from web.db import reader_pool, reading, writing


def test_pages_read_the_newest_copy_and_see_their_own_writes(tmp_path):
    settings = load_settings(db_path=tmp_path / "radar.duckdb")
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
        settings=settings, readers=reader_pool(settings))))
    with reading(request) as con:  # a fresh store: the first copy is made on demand
        assert con.execute("SELECT count(*) FROM watchlists").fetchone()[0] == 0
    for i in range(3):  # each write is seen by the next page, not after a warm-up
        with writing(request) as con:
            con.execute("INSERT INTO runs (id, flow, started_at, status) VALUES (?, 'x', now(), 'ok')",
                        [str(i)])
        with reading(request) as con:
            assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == i + 1
    request.app.state.readers.close()
