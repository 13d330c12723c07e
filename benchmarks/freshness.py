"""Freshness end to end: a new item on a mirrored feed -> document, story, watchlist alert.

Starts the loopback mirror (in this process, so it can move the replay clock) and `radar serve`
(Prefect server, process work pool and worker; a throw-away store, state and Prefect home under
``--work``), gives the crawl-feeds deployment an interval schedule of ``--poll`` seconds (every
other schedule off), lets the first poll take in the feed's backlog, then reveals the next
``--items`` White House articles one at a time, every ``--spacing`` seconds (the mirror's
``as_of`` moves to the article's publication instant, so it appears in /articles/feed/ as a new
item would). Every article has a watchlist entry (all words of its title, webhook to a receiver
in this process). Per item it records the seconds from the reveal to:

* document: the article is in the newest read copy (`documents`, by URL);
* story: it is a story member there;
* alert: the item's watchlist entry's webhook arrived here (alerts/notify.py POST) after the
  reveal. An entry whose words an older article (of the backlog or revealed earlier) already
  matched fires for that one before the reveal (once per story, ever); such an item is counted
  as ``alert_before_reveal`` and left out of the alert figures.

The read copy is polled every second, so document and story include the read-copy publication
after each writing stage. Target (issue 18): each within poll interval + 60 s.

Usage (project root):
    nice -n 10 .venv/bin/python benchmarks/freshness.py [--items 24] [--poll 60] [--spacing 25]

Prints one JSON line per item and a summary line (min / median / p95 / max, and how many met the
target); docs/performance.md ("Freshness") records them with the load.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replay.mirror import Mirror  # noqa: E402

SNAPSHOT = ROOT / "demo" / "snapshot"
FEED_HOST = "www.whitehouse.gov"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def articles(after: datetime, n: int) -> list[dict]:
    """The next n White House articles (the /articles/ feed) published after ``after``."""
    with gzip.open(SNAPSHOT / "whitehouse.jsonl.gz", "rt", encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh]
    arts = [d for d in docs if f"//{FEED_HOST}/articles/" in d["url"]
            and datetime.fromisoformat(d["published"]) > after]
    arts.sort(key=lambda d: d["published"])
    return arts[:n]


def watch_query(title: str) -> str:
    """Every word of three letters or more in the title (all must appear), at most eight."""
    words = list(dict.fromkeys(w.lower() for w in re.findall(r"[A-Za-z0-9']{3,}", title)))
    return " ".join(w.replace("'", "") for w in words[:8] if w.replace("'", ""))


class Hooks:
    """Webhook receiver: arrival times of the alerts per watchlist entry (an alert names the
    story's earliest matching document, which may be an older one than the new item)."""

    def __init__(self) -> None:
        self.arrived: dict[str, list[float]] = {}
        self.bodies: list[dict] = []
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                hooks.arrived.setdefault(body.get("watch", ""), []).append(time.time())
                hooks.bodies.append(body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"


def write_config(work: Path, mirror: Mirror, hooks: Hooks, items: list[dict], port: int) -> Path:
    """radar.toml for the run: throw-away paths, the mirror's WH host only, one watch per item."""
    base = mirror.host_map()[FEED_HOST]
    lines = [
        f'db_path = "{work / "radar.duckdb"}"', f'spool_dir = "{work / "spool"}"',
        f'out_dir = "{work / "out"}"', "",
        "[serve]", f"port = {port}", "web = false", "schedules = false",
        f'state_dir = "{work / "serve"}"', "start_timeout_s = 240.0", "",
        "[crawl]", "per_host_delay_s = 0.0", f'host_map = {{ "{FEED_HOST}" = "{base}" }}', "",
        "[alerts]", "lookback_hours = 48.0", "",
    ]
    for i, item in enumerate(items):
        lines += ["[[alerts.watch]]", f'id = "fresh-{i:02d}"',
                  f"query = {json.dumps(watch_query(item['title']))}",
                  'channel = "webhook"', f'target = "{hooks.url}"', ""]
    path = work / "radar.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def schedule_polls(api: str, poll_s: float) -> None:
    """Give crawl/crawl-feeds an active interval schedule of ``poll_s`` seconds."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.schedules import IntervalSchedule
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as c:
        dep = c.read_deployment_by_name("crawl/crawl-feeds")
        c.create_deployment_schedules(dep.id, [(IntervalSchedule(
            interval=timedelta(seconds=poll_s)), True)])


def observe(db_path: Path, urls: list[str]) -> tuple[set[str], set[str]]:
    """URLs among ``urls`` that the newest read copy holds as documents / story members."""
    from store.snapshot import reading

    marks = ",".join("?" * len(urls))
    with reading(db_path) as con:
        docs = {r[0] for r in con.execute(
            f"SELECT url FROM documents WHERE url IN ({marks})", urls).fetchall()}  # noqa: S608
        story = {r[0] for r in con.execute(
            "SELECT d.url FROM documents d JOIN story_members m ON m.doc_id = d.id "  # noqa: S608
            f"WHERE d.url IN ({marks})", urls).fetchall()}
    return docs, story


def settled(db_path: Path) -> bool:
    """The first poll's backlog is in: documents exist and every one is a story member."""
    from store.snapshot import reading

    try:
        with reading(db_path) as con:
            n, members = con.execute(
                "SELECT count(*), count(m.doc_id) FROM documents d "
                "LEFT JOIN story_members m ON m.doc_id = d.id").fetchone()
    except Exception:
        return False
    return n > 0 and n == members


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=24)
    ap.add_argument("--poll", type=float, default=60.0, help="crawl-feeds interval, seconds")
    ap.add_argument("--spacing", type=float, default=25.0, help="seconds between reveals")
    ap.add_argument("--start", default="2025-06-01T00:00:00-04:00",
                    help="replay instant of the backlog; items are the articles after it")
    ap.add_argument("--work", type=Path, default=Path("/tmp/radar-freshness"))
    ap.add_argument("--settle-timeout", type=float, default=900.0)
    args = ap.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    start = datetime.fromisoformat(args.start)
    items = articles(start, args.items)
    mirror = Mirror(SNAPSHOT, start).start()
    hooks = Hooks()
    port = free_port()
    config = write_config(args.work, mirror, hooks, items, port)
    env = dict(os.environ, RADAR_CONFIG=str(config), PREFECT_HOME=str(args.work / "prefect"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", RADAR_HOME=str(ROOT))
    os.environ.update({k: env[k] for k in ("RADAR_CONFIG", "PREFECT_HOME")})
    log = open(args.work / "serve.out", "ab")  # noqa: SIM115 - lives as long as serve
    serve = subprocess.Popen([sys.executable, "-m", "radar.cli", "serve"], cwd=ROOT, env=env,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    t_begin = time.time()
    try:
        state_file = args.work / "serve" / "serve.json"
        while not (state_file.exists() and json.loads(state_file.read_text()).get("ready")):
            if serve.poll() is not None or time.time() - t_begin > 600:
                raise SystemExit(f"radar serve did not start; see {args.work / 'serve.out'}")
            time.sleep(1)
        api = json.loads(state_file.read_text())["api_url"]
        schedule_polls(api, args.poll)
        print(json.dumps({"serve_ready_s": round(time.time() - t_begin, 1), "poll_s": args.poll,
                          "items": len(items), "load_avg": os.getloadavg()}), flush=True)
        t0 = time.time()
        db = args.work / "radar.duckdb"
        while not settled(db):
            if time.time() - t0 > args.settle_timeout:
                raise SystemExit("the first poll's backlog did not settle in time")
            time.sleep(2)
        print(json.dumps({"backlog_settled_s": round(time.time() - t0, 1)}), flush=True)
        results = run_items(mirror, hooks, db, items, args)
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
        mirror.stop()
        hooks.server.shutdown()
    summarise(results, args.poll)


def run_items(mirror: Mirror, hooks: Hooks, db: Path, items: list[dict], args) -> list[dict]:
    """Reveal items one by one and watch for each one's document, story and alert."""
    revealed: dict[str, float] = {}
    seen: dict[str, dict[str, float]] = {it["url"]: {} for it in items}
    urls = [it["url"] for it in items]
    watch_of = {it["url"]: f"fresh-{i:02d}" for i, it in enumerate(items)}
    deadline_after = args.poll + 60.0 + 300.0  # give up on an item well past the target
    nxt = 0
    while True:
        now = time.time()
        if nxt < len(items) and (nxt == 0 or now - revealed[items[nxt - 1]["url"]] >= args.spacing):
            item = items[nxt]
            mirror.set_as_of(datetime.fromisoformat(item["published"]) + timedelta(seconds=1))
            revealed[item["url"]] = time.time()
            nxt += 1
        try:
            docs, story = observe(db, urls)
        except Exception:  # a read copy replaced while opening: try again next second
            docs, story = set(), set()
        now = time.time()
        for url in revealed:
            alerts = hooks.arrived.get(watch_of[url], [])
            after = [t for t in alerts if t >= revealed[url]]
            if len(after) < len(alerts):
                seen[url]["alert_before_reveal"] = True
            for key, found in (("document", url in docs), ("story", url in story),
                               ("alert", bool(after))):
                if found and key not in seen[url]:
                    at = after[0] if key == "alert" else now
                    seen[url][key] = round(at - revealed[url], 1)
        done = all(item_done(seen[u], time.time() - revealed[u], deadline_after)
                   for u in revealed)
        if nxt == len(items) and done:
            break
        time.sleep(1)
    out = []
    for it in items:
        row = {"url": it["url"], "published": it["published"], **seen[it["url"]]}
        out.append(row)
        print(json.dumps(row), flush=True)
    return out


def item_done(seen: dict, age_s: float, give_up_s: float) -> bool:
    """All three steps seen; or the story seen 30 s ago (alerts run right after the enrichment
    that made it) when the entry had fired before the reveal; or given up on."""
    if {"document", "story", "alert"} <= set(seen) or age_s > give_up_s:
        return True
    return bool(seen.get("alert_before_reveal")) and "story" in seen and age_s - seen["story"] > 30


def p95(vals: list[float]) -> float:
    """95th percentile of sorted values (nearest rank)."""
    return vals[max(0, -(-95 * len(vals) // 100) - 1)]


def summarise(results: list[dict], poll_s: float) -> None:
    """min / median / p95 / max per step, and how many items met poll + 60 s for the alert."""
    target = poll_s + 60.0
    summary = {"items": len(results), "target_s": target, "load_avg": os.getloadavg(),
               "alert_before_reveal": sum(bool(r.get("alert_before_reveal")) for r in results)}
    for key in ("document", "story", "alert"):
        # an entry that fired before the reveal has no alert of the item's own to time (a
        # later one is for yet another article with those words)
        vals = sorted(r[key] for r in results if key in r
                      and not (key == "alert" and r.get("alert_before_reveal")))
        summary[key] = ({"n": len(vals), "min": vals[0], "median": statistics.median(vals),
                         "p95": p95(vals), "max": vals[-1],
                         "within_target": sum(v <= target for v in vals)}
                        if vals else {"n": 0})
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
