"""Quick commentary on the real 2025 corpus: a store built from the bundled snapshot (every
document mentioning de minimis plus a fixed sample of the rest), enriched and clustered by the
real NLP pipeline. Includes the acceptance check of the de minimis timeline."""

import re
import zlib
from datetime import date
from pathlib import Path

import pytest
from docx import Document as open_docx
from typer.testing import CliRunner

from commentary.claims import CheckSettings, check_statement
from commentary.draft import write_commentary
from commentary.render import render_markdown
from commentary.sources import load_sources
from commentary.word import write_docx
from config.errors import BadInputError, NotFoundError
from crawlers.registry import load_registry
from replay.snapshot_docs import snapshot_documents
from store.db import connect
from store.documents import upsert_document, upsert_sources

pytestmark = pytest.mark.slow

SNAPSHOT = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
WH = "https://www.whitehouse.gov/presidential-actions/2025/"
FEB_AMENDMENT = WH + "02/amendment-to-duties-addressing-the-synthetic-opioid-supply-chain-in-the-peoples-republic-of-china/"
APRIL_ORDER = WH + ("04/further-amendment-to-duties-addressing-the-synthetic-opioid-supply-chain-in-"
                    "the-peoples-republic-of-china-as-applied-to-low-value-imports/")
JULY_ORDER = WH + "07/suspending-duty-free-de-minimis-treatment-for-all-countries/"


def keep(record: dict) -> bool:
    """Every record that mentions de minimis, and a fixed 1-in-40 sample of all others."""
    text = record["title"] + " " + (record.get("text") or "")
    return bool(re.search(r"de minimis", text, re.I)) or zlib.crc32(record["url"].encode()) % 40 == 0


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, nlp_models):
    from config.settings import NlpSettings, load_settings
    from nlp.enrich import assign_stories, enrich_documents

    root = tmp_path_factory.mktemp("corpus")
    settings = load_settings(db_path=root / "radar.duckdb", out_dir=root / "out")
    con = connect(settings.db_path)
    reg = load_registry()
    upsert_sources(con, reg.sources)
    for doc in snapshot_documents(SNAPSHOT, reg, keep):
        upsert_document(con, doc)
    assert settings.nlp == NlpSettings()  # what nlp_models loaded
    models = nlp_models
    enrich_documents(con, models, settings.nlp)
    assign_stories(con, models, settings.nlp)
    yield con, models.backend, settings
    con.close()


def url_of(con, doc_id: str) -> str:
    return con.execute("SELECT url FROM documents WHERE id = ?", [doc_id]).fetchone()[0]


def event_on(con, draft, day: date):
    return [(e, url_of(con, e.statement.doc_ids[0])) for e in draft.timeline if e.day == day]


def test_de_minimis_timeline_has_the_three_measures_cited_to_the_right_documents(corpus):
    con, backend, settings = corpus
    draft = write_commentary(con, backend, settings, "de minimis")
    feb = event_on(con, draft, date(2025, 2, 5))
    assert [u for _, u in feb] == [FEB_AMENDMENT]
    assert "de minimis" in feb[0][0].statement.text
    april = [(e, u) for e, u in event_on(con, draft, date(2025, 4, 2)) if u == APRIL_ORDER]
    assert len(april) == 1 and april[0][0].effective == date(2025, 5, 2)
    assert "May 2, 2025" in april[0][0].statement.text
    july = event_on(con, draft, date(2025, 7, 30))
    assert [u for _, u in july] == [JULY_ORDER] and july[0][0].effective == date(2025, 8, 29)
    assert all(e.certainty == "in force" for e, _ in april + july)
    days = [e.day for e in draft.timeline]
    assert days == sorted(days)
    sources = {d.doc_id: d for d in load_sources(con, draft.inputs.doc_ids)}
    for e in draft.timeline:
        assert check_statement(e.statement, sources, CheckSettings()) is None
    md = render_markdown(draft)
    Path(settings.out_dir).mkdir(parents=True, exist_ok=True)
    (Path(settings.out_dir) / "corpus-de-minimis.md").write_text(md, encoding="utf-8")
    # labels follow the lifecycle: the April order amends EO 14195 (修正), the July order is
    # in force
    assert re.search(r"\*\*2025-04-02\*\*｜行政命令｜修正（amended）(｜EO 14256)?；生效日 2025-05-02 — ", md)
    assert re.search(r"\*\*2025-07-30\*\*｜行政命令｜已生效（in force）(｜EO \d+)?；生效日 2025-08-29 — 暫停",
                     md)
    # Every event reads in Chinese, or says why not; each Chinese value is in its cited text.
    for e, line in zip(draft.timeline, draft.zh.timeline, strict=True):
        assert line.originals == (e.statement,)
        said = "\n".join((line.title, e.statement.text))
        assert all(v.en in said for v in line.values if v.sentence), line
    assert draft.zh.composed >= len(draft.zh.timeline) // 2


def test_replayed_on_the_demo_date_the_april_order_is_signed_and_may_2_is_ahead(corpus):
    con, backend, settings = corpus
    draft = write_commentary(con, backend, settings, "US ends de minimis for Chinese parcels",
                             until="2025-04-03")
    assert all(r.day is None or r.day <= date(2025, 4, 3) for r in draft.references)
    april = [e for e, u in event_on(con, draft, date(2025, 4, 2)) if u == APRIL_ORDER]
    assert april and april[0].certainty == "signed" and april[0].effective == date(2025, 5, 2)
    assert (date(2025, 5, 2), "effective") in [(w.day, w.kind) for w in draft.watch]
    assert any(i.key == "de-minimis-china" for i in draft.implications)
    assert draft.summary and all(s.doc_ids for s in draft.summary)


def test_a_chinese_query_is_carried_by_the_glossary(corpus):
    con, backend, settings = corpus
    draft = write_commentary(con, backend, settings, "美國取消中國小額包裹免稅", save=False)
    urls = {r.url for r in draft.references}
    assert APRIL_ORDER in urls
    assert any("詞彙表" in n for n in draft.notes)


def test_a_query_nothing_matches_gives_a_clear_error_and_no_draft(corpus):
    con, backend, settings = corpus
    before = con.execute("SELECT count(*) FROM drafts").fetchone()[0]
    with pytest.raises(BadInputError, match="no documents match"):
        write_commentary(con, backend, settings, "zyxwvut quasar pelican")
    assert con.execute("SELECT count(*) FROM drafts").fetchone()[0] == before


def test_a_very_long_query_is_cut_and_still_works(corpus):
    con, backend, settings = corpus
    query = "de minimis exemption for low-value shipments " + "and what it means " * 400
    draft = write_commentary(con, backend, settings, query, save=False)
    assert draft.timeline and any("查詢過長" in n for n in draft.notes)


def test_a_story_draft_cites_only_that_story_and_unknown_stories_are_refused(corpus):
    con, backend, settings = corpus
    sid = con.execute("SELECT m.story_id FROM story_members m JOIN documents d ON d.id = m.doc_id "
                      "WHERE d.url = ?", [APRIL_ORDER]).fetchone()[0]
    members = {r[0] for r in con.execute("SELECT doc_id FROM story_members WHERE story_id = ?",
                                         [sid]).fetchall()}
    draft = write_commentary(con, backend, settings, "", story_id=sid, save=False)
    assert draft.references and {r.doc_id for r in draft.references} <= members
    with pytest.raises(NotFoundError, match="does not exist"):
        write_commentary(con, backend, settings, "de minimis", story_id="s000000000000000")


def test_since_keeps_older_documents_out(corpus):
    con, backend, settings = corpus
    draft = write_commentary(con, backend, settings, "de minimis", since="2025-07-01", save=False)
    assert draft.references and all(r.day >= date(2025, 7, 1) for r in draft.references)


def test_docx_of_the_real_draft(corpus, tmp_path):
    con, backend, settings = corpus
    draft = write_commentary(con, backend, settings, "de minimis")
    doc = open_docx(str(write_docx(draft, tmp_path / "draft.docx")))
    texts = [p.text for p in doc.paragraphs]
    assert any(re.match(r"2025-07-30｜行政命令 〔已生效（in force）(｜EO \d+)?；生效日 2025-08-29〕 — 暫停",
                        t) for t in texts), [t for t in texts if t.startswith("2025-07")]
    links = {r.target_ref for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")}
    assert {APRIL_ORDER, JULY_ORDER} <= links


def test_cli_comment_and_search(corpus, tmp_path, monkeypatch):
    from radar.cli import app

    con, _, settings = corpus
    con.execute("CHECKPOINT")
    monkeypatch.setenv("RADAR_DB_PATH", str(settings.db_path))
    monkeypatch.setenv("RADAR_OUT_DIR", str(tmp_path / "out"))
    runner = CliRunner()
    md, docx = tmp_path / "draft.md", tmp_path / "draft.docx"
    res = runner.invoke(app, ["comment", "US ends de minimis for Chinese parcels", "--out", str(md),
                              "--docx", str(docx)])
    assert res.exit_code == 0, res.output
    assert md.is_file() and docx.is_file() and "## 三、時間軸" in md.read_text(encoding="utf-8")
    res = runner.invoke(app, ["search", "de minimis", "--json", "--since", "2025-07-01"])
    assert res.exit_code == 0, res.output
    assert JULY_ORDER in res.output and APRIL_ORDER not in res.output
    res = runner.invoke(app, ["comment", "zyxwvut quasar pelican"])
    assert res.exit_code == 2 and "no documents match" in res.output
    res = runner.invoke(app, ["comment", "de minimis", "--story", "s-nope"])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_prefect_flow_writes_a_draft(corpus, tmp_path):
    from flows.commentary import commentary_flow

    con, _, settings = corpus
    con.execute("CHECKPOINT")
    out = commentary_flow(query="de minimis", until="2025-08-01",
                          overrides={"db_path": str(settings.db_path),
                                     "out_dir": str(tmp_path / "out")})
    assert Path(out["markdown"]).is_file() and Path(out["docx"]).is_file()
    assert out["draft_id"].startswith("c") and out["timeline"] > 0
