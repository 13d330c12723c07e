"""`radar search` from the command line: it says what a Chinese query was searched as, and a
one-shot search loads no torch (the query vector comes from NumPy MiniLM)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawlers.registry import load_registry
from radar.cli import app
from replay.snapshot_docs import snapshot_documents
from store.db import connect
from store.documents import upsert_document, upsert_sources
from store.fulltext import refresh_search_index

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("closes-de-minimis-exemptions-to-combat-chinas",
        "suspending-duty-free-de-minimis-treatment-for-all-countries/",
        "america-first-trade-policy/")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    """A store with a few real documents, indexed, and no read copy yet."""
    path = tmp_path_factory.mktemp("cli-search") / "radar.duckdb"
    con = connect(path)
    reg = load_registry()
    upsert_sources(con, reg.sources)
    for d in snapshot_documents(ROOT / "demo" / "snapshot", reg,
                                keep=lambda r: any(k in r["url"] for k in KEYS)):
        upsert_document(con, d)
    refresh_search_index(con)
    con.close()
    return path


def test_a_chinese_query_shows_what_it_was_searched_as(db_path, monkeypatch):
    monkeypatch.setenv("RADAR_DB_PATH", str(db_path))
    result = CliRunner().invoke(app, ["search", "小額包裹免稅", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "searched for: de minimis" in result.stdout
    assert "小額包裹免稅" in result.stdout and "de minimis" in result.stdout.lower()
    as_json = CliRunner().invoke(app, ["search", "小額包裹免稅", "--json"])
    data = json.loads(as_json.stdout)
    assert data["query"] == "de minimis" and data["typed"] == "小額包裹免稅"
    assert data["glossary"] == [{"zh": "小額包裹免稅", "en": "de minimis"}]
    assert data["documents"]


def test_an_english_query_prints_no_expansion_line(db_path, monkeypatch):
    monkeypatch.setenv("RADAR_DB_PATH", str(db_path))
    result = CliRunner().invoke(app, ["search", "de minimis", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "searched for" not in result.stdout and "wh-" in result.stdout


def test_a_one_shot_search_imports_neither_torch_nor_sentence_transformers(db_path):
    env = {**os.environ, "RADAR_DB_PATH": str(db_path), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "radar.cli", "search",
                           "de minimis", "--json"], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
               if line.startswith("import time:")}
    assert "torch" not in modules and "sentence_transformers" not in modules
    assert "spacy" not in modules
    data = json.loads(done.stdout)
    assert data["methods"][0] == "bm25" and data["documents"]
