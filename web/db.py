"""How the UI reaches the store: reads from the newest published read copy (never blocked by
a writing flow), and short writes (drafts, watchlists) through the writers' queue.

The app keeps one `store.reader_pool.ReaderPool` (``app.state.readers``): a connection per
read copy, a cursor per request, and a newly published copy warmed in the background before
pages use it (`store.reader_warmup`), except after the UI's own writes, which the next page
must show.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from fastapi import Request

from config.settings import Settings
from store import snapshot
from store.reader_pool import ReaderPool
from store.reader_warmup import warm_read_copy


def reader_pool(settings: Settings) -> ReaderPool:
    """The app's pool of read-copy connections, warming each new copy before use."""
    return ReaderPool(settings.db_path, warm=warm_read_copy)


@contextmanager
def reading(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the newest (warmed) read copy of the store, for one request.

    Raises:
        TransientError: no read copy could be opened.
    """
    with request.app.state.readers.reading() as con:
        yield con


@contextmanager
def writing(request: Request, wait_s: float = 20.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection for one short change, queued behind other writers; a read copy
    is published afterwards and the next page reads it (so it shows the change).

    Raises:
        TransientError: another writer held the store for `wait_s`.
    """
    state = request.app.state
    with snapshot.writing(state.settings.db_path, "web UI", wait_s=wait_s) as con:
        yield con
    state.readers.fresh()
