"""The analyst UI in a real browser: log in, digest, story, search, quick comment with .docx
download, language switch, sources, watchlists; hostile crawled text stays inert."""

from __future__ import annotations

import zipfile

import pytest

from tests.browser.actions import login, shot

pytestmark = pytest.mark.browser


def _no_xss(page) -> None:
    assert page.evaluate("window.__xss") is None
    assert page.locator("a[href^='javascript' i]").count() == 0
    assert page.locator("script:not([src])").count() == 0


def test_login_is_required_and_a_wrong_password_is_refused(page):
    page.goto("/digest")
    assert "/login" in page.url
    login(page, password="wrong")
    assert page.locator(".alert").is_visible()
    login(page)
    assert page.url.endswith("/digest")
    assert page.locator("html").get_attribute("lang") == "zh-TW"


def test_digest_shows_stories_with_expandable_score_explanations(page):
    login(page)
    page.goto("/digest")
    assert page.locator("h1").inner_text().startswith("政策雷達晨報")
    stories = page.locator("article.story")
    assert stories.count() > 0
    why = stories.first.locator("details.why")
    assert not why.locator("table.parts").is_visible()
    why.locator("summary").click()
    assert why.locator("table.parts tr").count() >= 5
    assert "來源權威" in why.inner_text()
    shot(page, "01-digest-zh")
    page.locator("aside a", has_text="2025-04-02").first.click()
    assert "day=2025-04-02" in page.url
    _no_xss(page)
    assert not page.csp_errors


def test_story_page_has_timeline_sources_and_history(page):
    login(page)
    page.goto("/digest")
    page.locator("article.story .actions a").first.click()
    assert "/stories/" in page.url
    assert page.locator("ol.timeline li.doc").count() >= 1
    for heading in ("時間軸", "來源", "相關機構、國家與產品", "曾出現於晨報", "相關報導", "主要官方文件"):
        assert page.get_by_role("heading", name=heading).count() == 1
    assert page.locator("aside a[href*='/digest?profile=default']").count() >= 1
    assert page.locator("#draft-comment").is_visible()
    shot(page, "02-story")


def test_search_groups_results_by_story_and_filters(page):
    login(page)
    page.goto("/search")
    page.fill("input[name=q]", "tariff")
    page.locator("#search-form button").click()
    assert page.locator("section.result").count() >= 1
    assert page.locator("section.result .hit").count() >= 2
    assert "BM25" in page.locator("#search-summary").inner_text()
    marks = page.locator("section.result .snippet mark").all_inner_texts()
    # the query's words are highlighted (and its official wordings: "tariff" -> "duty")
    assert any(m.lower().startswith("tariff") for m in marks)
    shot(page, "03-search")
    page.select_option("select[name=source]", "fr-trade-technology")
    page.locator("#search-form button").click()
    metas = page.locator("section.result .hit .meta").all_inner_texts()
    assert metas and all("Federal Register" in m for m in metas)


def test_hostile_titles_text_and_urls_are_inert(page):
    login(page)
    page.goto("/search?q=tariff+notice+semiconductor")
    assert page.get_by_text("<script>window.__xss=1</script>", exact=False).count() >= 1
    _no_xss(page)
    page.goto("/search?q=chip+tariff+fact+sheet")
    _no_xss(page)
    for story in page.locator("section.result h2 a").all()[:3]:
        href = story.get_attribute("href")
        page.goto(href)
        _no_xss(page)
        page.go_back()
    page.goto("/digest?day=2025-04-02")
    _no_xss(page)
    assert not page.csp_errors
    shot(page, "04-hostile-search")


def test_quick_comment_draft_edit_versions_and_docx(page, tmp_path):
    login(page)
    page.goto("/search?q=reciprocal+tariffs")
    page.locator("section.result h2 a").first.click()
    # the request is prefilled with the story's English title (shown under the zh headline)
    title = page.locator("#story-title-en, h1#story-title[lang=en]").first.inner_text()
    page.locator("#draft-comment").click()
    assert "/comment/new" in page.url
    assert page.input_value("#comment-query") == title
    page.locator("#comment-form button").click()
    page.wait_for_selector("#draft-title, #job-failed", timeout=180_000)
    assert page.locator("#job-failed").count() == 0, page.locator("#job-failed").inner_text()
    assert page.locator("#versions li").count() >= 1
    page.goto("/comment")
    page.fill("#comment-query", "reciprocal tariff")
    page.locator("#comment-form button").click()
    page.wait_for_selector("#draft-title, #job-failed", timeout=180_000)
    assert page.locator("#job-failed").count() == 0, page.locator("#job-failed").inner_text()
    assert page.locator("#draft sup a").count() >= 1
    assert page.locator("#draft .cert").count() >= 1
    assert page.locator("ol.refs li").count() >= 1
    shot(page, "05-draft")
    page.fill("#draft-markdown", "# 編修稿\n\n- 第一點 <script>window.__xss=9</script>\n"
              "- [link](javascript:window.__xss=10)\n")
    page.fill("#draft-note", "trimmed")
    page.locator("#edit-form button").click()
    assert page.locator("#saved").is_visible()
    assert page.locator("#versions li").count() >= 2
    assert page.locator("#draft h1").inner_text() == "編修稿"
    _no_xss(page)
    with page.expect_download() as info:
        page.click("#download-docx")
    path = tmp_path / "draft.docx"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as z:
        assert "編修稿" in z.read("word/document.xml").decode("utf-8")
    page.locator("#versions a").first.click()
    with page.expect_download() as info:
        page.click("#download-docx")
    info.value.save_as(tmp_path / "v1.docx")
    with zipfile.ZipFile(tmp_path / "v1.docx") as z:
        assert "參考資料" in z.read("word/document.xml").decode("utf-8")
    with page.expect_download() as info:
        page.click("#download-md")
    assert info.value.suggested_filename.endswith(".md")


def test_language_switch_to_english_and_back(page):
    login(page)
    page.goto("/digest")
    page.click("#lang-switch")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("header nav").inner_text().startswith("Today's digest")
    assert page.locator("h1").inner_text().startswith("Policy Radar morning digest")
    page.locator("article.story details.why summary").first.click()
    shot(page, "06-digest-en")
    page.goto("/sources")
    assert page.locator("#health tbody tr").count() >= 10
    shot(page, "07-sources-en")
    page.click("#lang-switch")
    assert page.locator("html").get_attribute("lang") == "zh-TW"
    assert "來源狀態" in page.locator("h1").inner_text()
    shot(page, "09-sources")


def test_watchlists_create_edit_delete_and_hits(page):
    login(page)
    page.goto("/watch")
    page.fill("#watch-form input[name=name]", "關稅")
    page.fill("#watch-form input[name=query]", 'tariff OR "export control"')
    page.locator("#watch-form button").click()
    card = page.locator("section.watch", has_text="關稅")
    assert card.count() == 1
    assert card.locator("li a").count() >= 1
    shot(page, "08-watchlists")
    assert card.locator(".alerts").count() == 0  # no channel: hits on this page only
    card.get_by_text("編輯").click()
    page.fill("#watch-form input[name=name]", "關稅組")
    page.select_option("#watch-form select[name=channel]", "webhook")
    page.fill("#watch-form input[name=target]", "javascript:alert(1)")
    page.locator("#watch-form button").click()
    assert "http(s)" in page.locator("main").inner_text()  # refused, with the reason
    page.goto("/watch")
    page.locator("section.watch").get_by_text("編輯").click()
    page.fill("#watch-form input[name=name]", "關稅組")
    page.select_option("#watch-form select[name=channel]", "email")
    page.fill("#watch-form input[name=target]", "analyst@example.org")
    page.locator("#watch-form button").click()
    assert page.locator("section.watch h2").all_inner_texts() == ["關稅組"]
    assert "電子郵件 → analyst@example.org" in page.locator("section.watch .alerts").inner_text()
    page.once("dialog", lambda d: d.accept())
    page.locator("section.watch button", has_text="刪除").click()
    assert page.locator("section.watch").count() == 0


def test_forms_need_the_csrf_token_and_pages_carry_a_csp(page):
    login(page)
    response = page.goto("/digest")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    forged = page.request.post("/watch", form={"name": "x", "query": "tariff"})
    assert forged.status == 403
    page.goto("/watch")
    assert page.locator("section.watch").count() == 0


def test_digest_reads_in_chinese_with_the_original_one_step_away(page):
    login(page)
    page.goto("/digest")
    story = page.locator("article.story").first
    headline = story.locator("h3").first.inner_text()
    assert "【" in headline and "】" in headline  # composed zh-TW headline: 【國家・措施類型】…
    card = story.locator(".highlights")
    assert card.is_visible() and "重點" in card.inner_text()
    assert card.locator("a.cite").count() >= 1  # every slot value cites its source
    original = story.locator("details.original")
    assert not original.locator("p[lang=en]").is_visible()
    original.locator("summary").click()
    assert original.locator("p[lang=en]").is_visible()
    shot(page, "11-digest-zh-card")
    page.locator("#reading-both").click()
    assert page.locator("article.story .bilingual .col.en[lang=en]").count() >= 1
    shot(page, "12-digest-bilingual")
    page.goto("/digest")  # remembered
    assert page.locator("#reading-both[aria-pressed=true]").count() == 1
    page.locator("#reading-en").click()
    assert page.locator("article.story .highlights").count() == 0
    page.locator("#reading-zh").click()
    assert page.locator("article.story .highlights").count() >= 1
    assert not page.csp_errors


def test_a_chinese_query_finds_the_english_documents(page):
    login(page)
    page.goto("/search?q=" + "關稅")
    summary = page.locator("#search-summary").inner_text()
    assert "tariffs" in summary.lower()  # what the Chinese query was expanded to
    assert page.locator("section.result .hit").count() >= 1
    shot(page, "13-search-zh-query")
