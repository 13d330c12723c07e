"""Loopback HTTP mirror of whitehouse.gov, federalregister.gov and the bundled foreign sites
(replay/mirror_foreign.py: 總統府, METI, EUR-Lex, the EC press corner, GOV.UK, WTO robots.txt,
Korean ministries' boards), served from the snapshot.

The demo, the tests and the benchmarks crawl this instead of the live sites: same page
shapes, same absolute URLs, no network. Each real host is served under a path prefix,
``http://127.0.0.1:PORT/<host>/<path>``; the crawler's ``host_map`` setting rewrites
``https://<host>/`` to that prefix, so every URL it stores is the real one.

The mirror replays time: it is constructed with an aware ``as_of`` and only shows what
had been published by then (a date-only Federal Register item counts as published at
00:00 America/New_York). Moving ``as_of`` forward with :meth:`Mirror.set_as_of` makes
new items appear in listings, feeds, sitemaps and API results, as a scheduled crawl
would see them.

Run standalone::

    python -m replay.mirror --snapshot demo/snapshot --as-of 2025-04-03T07:00:00+08:00 --port 8765
"""

from __future__ import annotations

import argparse
import gzip
import json
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from replay.mirror_fedreg import FederalRegisterSite
from replay.mirror_foreign import foreign_response, foreign_site_for
from replay.mirror_http import (
    HTML,
    RSS,
    TEXT,
    XML,
    MirrorHandler,
    MirrorServer,
    Response,
    not_found,
    ok,
)
from replay.mirror_pi import PI_HOST, PublicInspection, fedreg_route
from replay.mirror_whitehouse import (
    FEED_SIZE,
    PAGE_SIZE,
    WhiteHouseSite,
    article_html,
    feed_xml,
    listing_html,
    robots_txt,
    sitemap_index_xml,
    sitemap_name,
    sitemap_xml,
)

NEW_YORK = ZoneInfo("America/New_York")
FR_HOST = "www.federalregister.gov"

_cache_lock = threading.Lock()
_snapshots: dict[Path, tuple[list[dict], list[dict]]] = {}
_sites: dict[Path, tuple[WhiteHouseSite, FederalRegisterSite]] = {}


def _read_jsonl_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_snapshot(snapshot_dir: Path) -> tuple[list[dict], list[dict]]:
    """Read the bundled snapshot once per process.

    Args:
        snapshot_dir: Directory with ``whitehouse.jsonl.gz`` and ``federal_register.jsonl.gz``.

    Returns:
        ``(whitehouse_docs, federal_register_docs)``, each sorted by id. The lists are
        shared between callers: treat them as read-only.
    """
    key = Path(snapshot_dir).resolve()
    with _cache_lock:
        if key not in _snapshots:
            _snapshots[key] = (
                _read_jsonl_gz(key / "whitehouse.jsonl.gz"),
                _read_jsonl_gz(key / "federal_register.jsonl.gz"),
            )
        return _snapshots[key]


def sites_for(snapshot_dir: Path) -> tuple[WhiteHouseSite, FederalRegisterSite]:
    """The White House and Federal Register sites over a snapshot, built once per process
    (they are read-only); the extraction benchmark renders pages from them."""
    wh_docs, fr_docs = load_snapshot(snapshot_dir)
    key = Path(snapshot_dir).resolve()
    with _cache_lock:
        if key not in _sites:
            _sites[key] = (WhiteHouseSite(wh_docs), FederalRegisterSite(fr_docs))
        return _sites[key]


def _require_aware(as_of: datetime) -> datetime:
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError(f"as_of must be timezone-aware, got {as_of!r}")
    return as_of


class Mirror:
    """Loopback imitation of the real sites, showing the snapshot as of a given instant.

    Attributes:
        request_log: ``(method, path, status)`` of every request served, in order.
    """

    def __init__(self, snapshot_dir: Path, as_of: datetime, host: str = "127.0.0.1", port: int = 0):
        """Index the snapshot (once per process) and bind the listening socket.

        Args:
            snapshot_dir: The snapshot directory (``demo/snapshot``).
            as_of: Replay instant; must be timezone-aware.
            host: Interface to bind.
            port: TCP port; 0 picks a free one (see :attr:`base_url`).

        Raises:
            ValueError: If ``as_of`` is naive.
            OSError: If the address cannot be bound.
        """
        self._as_of = _require_aware(as_of)
        self.snapshot_dir = Path(snapshot_dir)
        self._wh, self._fr = sites_for(self.snapshot_dir)
        self._pi = PublicInspection(self._fr)
        self._foreign = foreign_site_for(self.snapshot_dir)
        self.request_log: list[tuple[str, str, int]] = []
        self._log_lock = threading.Lock()
        self._server = MirrorServer((host, port), MirrorHandler)
        self._server.router = self
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Mirror:
        """Serve in a daemon thread.

        Returns:
            ``self``, so that ``mirror = Mirror(...).start()`` works.
        """
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                name=f"mirror-{self._server.server_port}", daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (safe to call twice)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Mirror:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Root URL of the mirror, e.g. ``http://127.0.0.1:43210``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def host_map(self) -> dict[str, str]:
        """Real host -> mirror prefix, for the crawler's ``host_map`` setting."""
        hosts = (*self._wh.hosts, FR_HOST, PI_HOST, *self._foreign.hosts)
        return {h: f"{self.base_url}/{h}" for h in hosts}

    @property
    def as_of(self) -> datetime:
        """The current replay instant."""
        return self._as_of

    def set_as_of(self, as_of: datetime) -> None:
        """Move the replay clock (forward or back); later requests see the site as of then.

        Raises:
            ValueError: If ``as_of`` is naive.
        """
        self._as_of = _require_aware(as_of)

    def record(self, method: str, path: str, status: int) -> None:
        """Note a served request in :attr:`request_log`."""
        with self._log_lock:
            self.request_log.append((method, path, status))

    # ------------------------------------------------------------ routing

    def route(self, raw_path: str) -> Response:
        """Map ``/<host>/<path>?<query>`` to a response, as of the current replay instant."""
        split = urlsplit(raw_path)
        host, _, rest = split.path.lstrip("/").partition("/")
        host, rest = unquote(host).lower(), "/" + rest
        as_of = self._as_of  # read once: a concurrent set_as_of must not split a response
        if host in self._wh.hosts:
            return self._whitehouse(host, unquote(rest), as_of)
        if host in (FR_HOST, PI_HOST):
            return self._fedreg(host, rest, split.query, as_of)
        if host in self._foreign.hosts:
            return foreign_response(self._foreign, host, unquote(rest), unquote(split.query), as_of)
        return not_found()

    def _whitehouse(self, host: str, path: str, as_of: datetime) -> Response:
        site = self._wh
        if path == "/robots.txt":
            return ok(robots_txt(host), TEXT)
        if path in ("/sitemap.xml", "/sitemap_index.xml"):
            by_leaf = {s: site.section_items(host, s, as_of) or [] for s in site.leaf_sections(host)}
            newest = [it.modified_at(as_of) for items in by_leaf.values() for it in items]
            return ok(sitemap_index_xml(host, by_leaf, as_of), XML, max(newest, default=None))
        if path.endswith("-sitemap.xml"):
            for leaf in site.leaf_sections(host):
                if path == "/" + sitemap_name(leaf):
                    items = site.section_items(host, leaf, as_of) or []
                    last = max((it.modified_at(as_of) for it in items), default=None)
                    return ok(sitemap_xml(items, as_of), XML, last)
            return not_found()

        segs = [p for p in path.split("/") if p]
        if segs and segs[-1] == "feed":
            section = "/".join(segs[:-1]) or None
            items = site.section_items(host, section, as_of)
            if items is None:
                return not_found()
            last = max((it.modified_at(as_of) for it in items[:FEED_SIZE]), default=None)
            return ok(feed_xml(host, section, items, as_of), RSS, last)

        page = 1
        if len(segs) >= 3 and segs[-2] == "page" and segs[-1].isdigit():
            page, segs = int(segs[-1]), segs[:-2]
        items = site.section_items(host, "/".join(segs), as_of) if segs else None
        if items is not None:
            html = listing_html(host, "/".join(segs), items, page, site.sections(host))
            if html is None:
                return not_found()
            start = (page - 1) * PAGE_SIZE
            last = max((it.modified_at(as_of) for it in items[start:start + PAGE_SIZE]), default=None)
            return ok(html, HTML, last)

        item = site.article(host, path, as_of)
        if item is None:
            return not_found()
        modified = item.modified_at(as_of)
        return ok(article_html(item, modified, tuple(site.sections(host))), HTML, modified)

    def _fedreg(self, host: str, path: str, query: str, as_of: datetime) -> Response:
        found = fedreg_route(self._fr, self._pi, host, path, query, as_of)
        if found is None:
            return not_found()
        status, body, content_type = found
        return Response(status, body, content_type)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: serve the mirror until interrupted."""
    parser = argparse.ArgumentParser(description="Serve the snapshot as a loopback mirror.")
    parser.add_argument("--snapshot", type=Path, default=Path("demo/snapshot"))
    parser.add_argument("--as-of", required=True, type=datetime.fromisoformat,
                        help="aware ISO 8601 instant, e.g. 2025-04-03T07:00:00+08:00")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    mirror = Mirror(args.snapshot, args.as_of, host=args.host, port=args.port).start()
    print(f"mirror of {args.snapshot} as of {args.as_of.isoformat()} at {mirror.base_url} "
          f"(ready in {time.perf_counter() - started:.2f} s)", flush=True)
    for real, local in mirror.host_map().items():
        print(f"  https://{real}/ -> {local}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        mirror.stop()


if __name__ == "__main__":
    main()
