"""One-to-many enrichment: the same documents enriched in process and with the vectors fanned
out over Prefect's Dask task runner (a local cluster of ``--workers`` processes), timed, and
the two stores compared.

Both stores start as the same copy of ``--n`` bundled documents (benchmarks/enrich_samples.py,
``demo_sample``: White House, Federal Register and the foreign items). The in-process run is
``runners.pipeline.run_enrich`` (what `radar enrich` does). The fanned-out run is what the
enrich flow does with ``fan_out``: ``flows.enrich.fan_out_vectors`` (partition tasks on the Dask
workers, each computing the primary and the multilingual vectors of its documents into a Parquet
file), then ``run_enrich`` with those files (the writer loads them and enriches, reusing them).

Usage (project root):
    nice -n 10 .venv/bin/python benchmarks/fanout.py [--n 1000] [--workers 2] [--partition 128]

Prints JSON lines: the in-process run, the fan-out phase (documents/s overall and per worker,
worker CPU seconds), the writer phase, and the equality check of enrichments, tags, entities,
near-duplicates, stories and both vectors (max absolute difference).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.enrich_samples import demo_sample  # noqa: E402
from config.settings import load_settings  # noqa: E402
from nlp.cluster_cli import load_documents  # noqa: E402
from store.db import connect  # noqa: E402
from tests.stored_enrichment import enrichment_rows  # noqa: E402


def _cpu() -> tuple[float, float]:
    """(this process's CPU seconds, reaped children's CPU seconds)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def multilingual_rows(db: Path) -> dict:
    """doc_id -> multilingual vector of a store."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return {d: np.asarray(v, dtype=np.float32) for d, v in con.execute(
            "SELECT doc_id, vector FROM multilingual_embeddings").fetchall()}
    finally:
        con.close()


def compare(a_db: Path, b_db: Path) -> dict:
    """Which enrichment outputs of two stores are equal (vectors within 1e-5)."""
    a, b = enrichment_rows(a_db, vectors=True), enrichment_rows(b_db, vectors=True)
    out = {key: a[key] == b[key] for key in ("enrichments", "tags", "entities",
                                             "near_duplicates", "stories")}
    out["rows"] = {key: len(a[key]) for key in ("enrichments", "tags", "entities", "stories")}
    for name, va, vb in (("vectors", a["vectors"], b["vectors"]),
                         ("multilingual", multilingual_rows(a_db), multilingual_rows(b_db))):
        same_keys = va.keys() == vb.keys()
        diff = max((float(np.abs(va[k] - vb[k]).max()) for k in va if k in vb), default=0.0)
        out[name] = same_keys and diff <= 1e-5
        out[f"{name}_max_abs_diff"] = diff
    out["equal"] = all(v for k, v in out.items() if isinstance(v, bool))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="in-process vs fanned-out enrichment")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partition", type=int, default=128)
    args = ap.parse_args()

    from prefect.testing.utilities import prefect_test_harness

    from flows.enrich import fan_out_vectors
    from runners.pipeline import run_enrich

    rows = demo_sample(args.n)
    with tempfile.TemporaryDirectory() as tmp_name, prefect_test_harness(server_startup_timeout=180):
        tmp = Path(tmp_name)

        def overrides(name: str) -> dict:
            return {"db_path": str(tmp / name / "radar.duckdb"),
                    "spool_dir": str(tmp / name / "spool"),
                    "ops": {"dask_workers": args.workers, "partition_size": args.partition}}

        local, fanned = overrides("local"), overrides("fanned")
        Path(local["db_path"]).parent.mkdir(parents=True)
        con = connect(local["db_path"])
        load_documents(con, [{k: r[k] for k in ("id", "title", "text", "published_at", "url")}
                             for r in rows], tmp)
        con.close()
        Path(fanned["db_path"]).parent.mkdir(parents=True)
        shutil.copyfile(local["db_path"], fanned["db_path"])

        cpu0, t0 = _cpu(), time.perf_counter()
        counts = run_enrich(load_settings(**local))
        wall, cpu = time.perf_counter() - t0, _cpu()[0] - cpu0[0]
        print(json.dumps({"run": "in-process", "documents": len(rows), "wall_s": round(wall, 1),
                          "docs_per_s": round(len(rows) / wall, 1), "cpu_s": round(cpu, 1),
                          "enrich": counts["enrich"], "load_avg": os.getloadavg()}), flush=True)

        settings = load_settings(**fanned)
        work = Path(settings.spool_dir) / "enrich-fanout-bench"
        cpu0, t0 = _cpu(), time.perf_counter()
        files = fan_out_vectors(settings, fanned, work)
        wall = time.perf_counter() - t0
        me, kids = (b - a for a, b in zip(cpu0, _cpu(), strict=True))
        print(json.dumps({"run": "fan-out (vectors on Dask workers)", "workers": args.workers,
                          "partitions": len(files), "wall_s": round(wall, 1),
                          "docs_per_s": round(len(rows) / wall, 1),
                          "docs_per_s_per_worker": round(len(rows) / wall / args.workers, 1),
                          "worker_cpu_s": round(kids, 1), "flow_cpu_s": round(me, 1),
                          "load_avg": os.getloadavg()}), flush=True)
        cpu0, t0 = _cpu(), time.perf_counter()
        counts = run_enrich(settings, vector_files=files)
        wall, cpu = time.perf_counter() - t0, _cpu()[0] - cpu0[0]
        shutil.rmtree(work, ignore_errors=True)
        print(json.dumps({"run": "writer after fan-out", "wall_s": round(wall, 1),
                          "cpu_s": round(cpu, 1), "vectors_loaded": counts["vectors_loaded"],
                          "enrich": counts["enrich"], "load_avg": os.getloadavg()}), flush=True)
        print(json.dumps({"equal_to_in_process": compare(Path(local["db_path"]),
                                                         Path(fanned["db_path"]))}), flush=True)


if __name__ == "__main__":
    main()
