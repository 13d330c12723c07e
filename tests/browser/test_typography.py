"""English in a zh-TW page: an apostrophe is as narrow as in English ("China’s", never the
full-width gap of "China’ s" that a CJK font draws), in the web UI's stylesheet and in the
digest's HTML (email) template; Chinese characters still come out full width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CSS = (ROOT / "web" / "static" / "app.css").read_text(encoding="utf-8")
DIGEST_TEMPLATE = (ROOT / "briefs" / "templates" / "digest.html.j2").read_text(encoding="utf-8")


def _widths(browser, head: str, body_style: str = "") -> dict[str, float]:
    """Widths, in em, of an apostrophe in an English headline, in a bare zh-TW line, in a
    lang=en quote, and of one Chinese character."""
    page = browser.new_page()
    try:
        page.set_content(f"""<!DOCTYPE html><html lang="zh-TW"><head>{head}</head>
<body style="{body_style}"><h3>美國關稅 <span id="headline">China<b id="a1">’</b>s tariffs</span></h3>
<p>中文句子<b id="a2">’</b>中文 <b id="han">中</b></p>
<blockquote lang="en">“China<b id="a3">’</b>s exporters”</blockquote></body></html>""")
        return page.evaluate("""() => Object.fromEntries(['a1', 'a2', 'a3', 'han'].map(id => {
            const el = document.getElementById(id);
            const size = parseFloat(getComputedStyle(el).fontSize);
            return [id, el.getBoundingClientRect().width / size];
        }))""")
    finally:
        page.close()


def test_the_web_ui_draws_apostrophes_in_english_at_latin_width(browser):
    w = _widths(browser, f"<style>{CSS}</style>")
    assert w["han"] > 0.9  # Chinese stays full width
    assert w["a1"] < 0.5 and w["a3"] < 0.5, w


def test_the_digest_email_draws_apostrophes_in_english_at_latin_width(browser):
    style = re.search(r'<body style="([^"]*font-family:[^"]*)"', DIGEST_TEMPLATE)[1]
    w = _widths(browser, "", style)
    assert w["han"] > 0.9 and w["a1"] < 0.5 and w["a3"] < 0.5, w


def test_the_font_stacks_name_latin_fonts_before_cjk_ones():
    stack = re.search(r":root \{[^}]*font-family: ([^;]+);", CSS, re.S)[1]
    fonts = [f.strip().strip('"') for f in stack.split(",")]
    first_cjk = min(i for i, f in enumerate(fonts) if re.search(r"TC|CJK|JhengHei|PingFang", f))
    assert first_cjk > 0 and "Arial" in fonts[:first_cjk]
