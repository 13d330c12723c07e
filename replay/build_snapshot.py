"""Build the bundled demo snapshot (``demo/snapshot/``) from the shared real corpus.

The snapshot is what the loopback mirror (``replay.mirror``) serves and what the
offline demo and the evaluation tests read. It keeps every 2025 document of the White
House archive and of the Federal Register abstracts, plus the USA TODAY second crawl
of the presidential actions (near-duplicate ground truth).

Output is byte-for-byte reproducible: records sorted by id, keys sorted, gzip level 9
with mtime 0, so rebuilding from the same corpus yields identical files and a clean
``git diff``.

Usage::

    .venv/bin/python replay/build_snapshot.py [--corpus ../shared/corpus] [--out demo/snapshot]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
DEFAULT_OUT = PROJECT_ROOT / "demo" / "snapshot"

PROVENANCE = ("repo", "repo_commit", "repo_path", "license")
# original_url is kept too: for the 120 pre-inauguration items `url` points at
# bidenwhitehouse.archives.gov and original_url is the whitehouse.gov address they had.
WHITEHOUSE_FIELDS = (
    "id", "url", "original_url", "title", "published", "modified", "category", "text",
) + PROVENANCE
FEDERAL_REGISTER_FIELDS = (
    "id", "document_number", "url", "api_url", "title", "published", "text",
) + PROVENANCE

SOURCES = {
    "whitehouse": {
        "input": "whitehouse_archive_2024_2025.jsonl.gz",
        "fields": WHITEHOUSE_FIELDS,
        "only_2025": True,
        "origin": "github.com/brian14708/wh-briefings",
        "what": "every 2025 White House document (whitehouse.gov and, before 2025-01-20, "
        "bidenwhitehouse.archives.gov); `text` is pandoc markdown_strict of the page <main>",
    },
    "federal_register": {
        "input": "federal_register_abstracts_2024_2025.jsonl.gz",
        "fields": FEDERAL_REGISTER_FIELDS,
        "only_2025": True,
        "origin": "github.com/ai-village-agents/deepseek-news",
        "what": "every 2025 Federal Register document: title and API abstract (`text`, may be "
        "empty); date-only `published`; no agency/type; 2025-05 and 2025-06 are missing "
        "upstream",
    },
    "usatoday": {
        "input": "whitehouse_presidential_actions_usatoday_2025.jsonl.gz",
        "fields": None,  # kept exactly as given: it is ground truth, not served
        "only_2025": False,
        "origin": "github.com/USATODAY/202501_presidential-actions",
        "what": "USA TODAY's second crawl of the 2025 presidential actions, all fields as "
        "given (paragraph breaks partly lost); near-duplicate ground truth",
    },
}


def read_jsonl_gz(path: Path) -> Iterator[dict]:
    """Yield one dict per line of a gzipped JSONL file.

    Args:
        path: The ``.jsonl.gz`` file.

    Yields:
        The decoded records, in file order.
    """
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def select(records: Iterable[dict], fields: tuple[str, ...] | None, only_2025: bool) -> list[dict]:
    """Filter and trim records, sorted by id for reproducible output.

    Args:
        records: Corpus records.
        fields: Keys to keep, or None to keep every key.
        only_2025: Keep only records whose ``published`` starts with ``2025``.

    Returns:
        The selected records sorted by ``id``.

    Raises:
        ValueError: If two records share an id (the sort would not be deterministic).
    """
    out = []
    for rec in records:
        if only_2025 and not str(rec.get("published") or "").startswith("2025"):
            continue
        out.append(rec if fields is None else {k: rec.get(k) for k in fields})
    out.sort(key=lambda r: r["id"])
    ids = [r["id"] for r in out]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate ids in corpus input")
    return out


def encode(records: list[dict]) -> bytes:
    """Serialise records to deterministic gzipped JSONL bytes.

    Args:
        records: Records already in their final order.

    Returns:
        gzip (level 9, mtime 0, no file name) of one sorted-key JSON object per line.
    """
    lines = (json.dumps(r, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for r in records)
    raw = ("\n".join(lines) + "\n").encode("utf-8")
    return gzip.compress(raw, compresslevel=9, mtime=0)


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes via a temporary file and rename, so a crash never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def commit_of(records: list[dict]) -> str:
    """Return the single upstream commit the records came from (they all share one)."""
    commits = sorted({r.get("repo_commit") for r in records if r.get("repo_commit")})
    return ", ".join(commits)


def readme(stats: dict[str, dict]) -> str:
    """Render the snapshot README from the per-file statistics."""
    total = sum(s["bytes"] for s in stats.values())
    rows = []
    for name, s in stats.items():
        src = SOURCES[name]
        rows.append(
            f"| `{name}.jsonl.gz` | {s['count']:,} | {s['first']} … {s['last']} | "
            f"{s['bytes']:,} | {src['origin']} @ {s['commit']} | {src['what']} |"
        )
    return "\n".join([
        "# Demo snapshot (real public-domain documents)",
        "",
        "Built by `replay/build_snapshot.py` from `../shared/corpus/` (see its README); rebuilding",
        "gives identical bytes. Served by `replay/mirror.py` (a loopback imitation of",
        "www.whitehouse.gov and www.federalregister.gov) and used by the demo and evaluation tests.",
        "",
        "Licence: US Government work, public domain (17 U.S.C. 105). Each record keeps its source",
        "`url`, its dates and its provenance (`repo`, `repo_commit`, `repo_path`, `license`).",
        "",
        "| file | docs | published | bytes | from (repo @ commit) | contents |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Total: {total:,} bytes ({total / 1_000_000:.1f} MB).",
        "",
        "Format: gzipped JSONL, one JSON object per line, keys sorted, lines sorted by `id`.",
        "White House `published`/`modified` are ISO 8601 with the source's UTC offset (`modified`",
        "may be null); Federal Register `published` is a date only.",
        "",
    ])


def build(corpus: Path, out: Path) -> dict[str, dict]:
    """Build every snapshot file and the README.

    Args:
        corpus: Directory holding the shared corpus ``.jsonl.gz`` files.
        out: Snapshot directory to (re)write.

    Returns:
        Per-file statistics: count, bytes, first/last published, upstream commit.
    """
    out.mkdir(parents=True, exist_ok=True)
    stats: dict[str, dict] = {}
    for name, src in SOURCES.items():
        records = select(read_jsonl_gz(corpus / src["input"]), src["fields"], src["only_2025"])
        data = encode(records)
        write_atomic(out / f"{name}.jsonl.gz", data)
        published = sorted(str(r.get("published") or "")[:10] for r in records)
        stats[name] = {
            "count": len(records),
            "bytes": len(data),
            "first": published[0] if published else "",
            "last": published[-1] if published else "",
            "commit": commit_of(records),
        }
    write_atomic(out / "README.md", readme(stats).encode("utf-8"))
    return stats


def main() -> None:
    """Command-line entry point: build the snapshot and print counts and sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    stats = build(args.corpus, args.out)
    for name, s in stats.items():
        print(f"{name + '.jsonl.gz':28} {s['count']:>7,} docs {s['bytes']:>12,} bytes")
    total = sum(s["bytes"] for s in stats.values())
    print(f"{'total':28} {'':>12} {total:>12,} bytes ({total / 1_000_000:.1f} MB) in {args.out}")


if __name__ == "__main__":
    main()
