"""Families of same-day, same-product notices: one heading, Taiwan's notice first, the others
listed with their links; every story keeps its own entry (marked as folded)."""

from __future__ import annotations

from datetime import date

import pytest
from test_briefs_support import utc

from briefs.families import family_key, fold_families, notice_country
from briefs.records import Coverage, Digest, Section, SourceRef, StoryEntry
from briefs.render import render_html, render_markdown
from zhtw.terms import build_matcher

ACTION = ("Preliminary Affirmative Determination of Sales at Less Than Fair Value, Postponement "
          "of Final Determination, and Extension of Provisional Measures")
# the 10 April 2025 Federal Register notices, in the order a digest ranked them
COUNTRIES = ("Australia", "Brazil", "Canada", "Mexico", "the Netherlands", "Taiwan",
             "the Republic of Türkiye")


def _entry(country: str, day: str = "2025-04-10") -> StoryEntry:
    title = f"Certain Corrosion-Resistant Steel Products From {country}: {ACTION}"
    slug = country.lower().replace(" ", "-")
    url = f"https://www.federalregister.gov/documents/2025/04/10/{slug}"
    return StoryEntry(
        story_id=f"s-{slug}", headline=title, headline_url=url, summary=(),
        sources=(SourceRef(1, f"d-{slug}", title, url, "Federal Register", "US", day, True),),
        tags=(), entities=(), badge="new", day=1, official=None, score=1.0, parts={})


@pytest.fixture(scope="module")
def matcher():
    return build_matcher()


def test_a_per_country_notice_title_gives_its_family_and_country():
    title = f"Certain Corrosion-Resistant Steel Products From the Republic of Türkiye: {ACTION}"
    assert family_key(title) == ("certain corrosion-resistant steel products", ACTION.lower())
    assert notice_country(title) == "Republic of Türkiye"
    review = ("Certain Steel Nails From the Sultanate of Oman: Final Results of Antidumping Duty "
              "Administrative Review; 2022-2023")
    assert family_key(review) == family_key(review.replace("Oman", "Taiwan").replace("2022-2023", "2023-2024"))
    assert family_key("Regulating Imports with a Reciprocal Tariff") is None


def test_seven_notices_fold_under_taiwans_with_the_others_listed(matcher):
    other = StoryEntry(story_id="s-eo", headline="Extending the TikTok Enforcement Delay",
                       headline_url=None, summary=(), sources=(), tags=(), entities=(),
                       badge="new", day=1, official=None, score=2.0, parts={})
    notices = [_entry(c) for c in COUNTRIES]
    sections = (Section("trade", "貿易", (other, *notices[:3])), Section("steel", "鋼鐵", tuple(notices[3:])))
    folded = fold_families(sections, matcher, zh=True)
    shown = [st for sec in folded for st in sec.stories if not st.folded_into]
    assert [st.story_id for st in shown] == ["s-eo", "s-taiwan"]  # in the best-ranked one's place
    lead = shown[1]
    assert [f.country for f in lead.family] == ["澳洲", "巴西", "加拿大", "墨西哥", "荷蘭", "土耳其"]
    assert all(f.url and f.url.startswith("https://www.federalregister.gov/") for f in lead.family)
    # nothing merged: all eight stories are still entries of the digest, once each
    every = [st.story_id for sec in folded for st in sec.stories]
    assert sorted(every) == sorted(["s-eo", *(n.story_id for n in notices)])
    assert {st.folded_into for sec in folded for st in sec.stories if st.folded_into} == {"s-taiwan"}


def test_notices_of_other_days_or_alone_are_not_folded(matcher):
    sections = (Section("trade", "貿易", (_entry("Canada"), _entry("Mexico", "2025-04-11"))),)
    folded = fold_families(sections, matcher, zh=True)
    assert all(not st.folded_into and not st.family for st in folded[0].stories)


def _digest(sections, lang="zh-TW"):
    return Digest(id=f"2025-04-10:default:{lang}", date=date(2025, 4, 10), profile="default",
                  lang=lang, window_start=utc(2025, 4, 8, 23), window_end=utc(2025, 4, 9, 23),
                  window_label="2025-04-09 07:00 – 2025-04-10 07:00",
                  generated_at=utc(2025, 4, 9, 23, 5), sections=sections,
                  coverage=Coverage(failed=(), silent=(), total=1), n_candidates=7)


def test_the_digest_shows_one_heading_and_links_every_other_notice(matcher):
    folded = fold_families((Section("trade", "貿易", tuple(_entry(c) for c in COUNTRIES)),),
                           matcher, zh=True)
    md, html = render_markdown(_digest(folded)), render_html(_digest(folded))
    headings = [ln for ln in md.splitlines() if ln.startswith("### ")]
    assert len(headings) == 1 and "From Taiwan" in headings[0]
    assert html.count('<tr><td style="padding:10px 24px;">') == 1
    for text in (md, html):
        assert "同日同產品公告，另有 6 國" in text
        for c in ("australia", "brazil", "the-republic-of-türkiye"):
            assert f"https://www.federalregister.gov/documents/2025/04/10/{c}" in text
    assert "1 則報導" in render_markdown(_digest(folded))
    english = fold_families((Section("trade", "Trade", tuple(_entry(c) for c in COUNTRIES)),),
                            matcher, zh=False)
    assert "The same notice, same day, for 6 more countries" in render_markdown(_digest(english, "en"))
