"""Importance scores: parts explain the score exactly; profiles, watchlists and novelty matter."""

from __future__ import annotations

from datetime import date

import pytest
from test_briefs_support import utc

from briefs.rank import PARTS, rank_stories, resolve_profile, watch_pattern
from config.errors import ConfigError
from config.settings import load_settings
from store.digests import MemberDoc, StoryBundle, StoryTag

END = utc(2025, 4, 2, 23)
PRIORITIES = {"trade": 1.0, "ai": 1.0, "energy": 3.0}


def _member(doc_id, source, title, text, authority=1.0, hours_before_end=2.0):
    from datetime import timedelta

    when = END - timedelta(hours=hours_before_end)
    return MemberDoc(
        doc_id=doc_id, title=title, text=text, url=f"https://x.gov/{doc_id}", source_id=source,
        source_name=source, publisher=source, country="US", authority=authority,
        published_at=when, published_precision="datetime", first_seen_at=when,
        doc_number=None, doc_type=None, language="en", in_window=True,
    )  # fmt: skip


def _story(sid, members, topic, score=0.9):
    return StoryBundle(
        sid, sid, members[0].first_seen_at, len(members), tuple(members),
        (StoryTag("topic", topic, score, len(members)),), (),
    )  # fmt: skip


STORIES = [
    _story(
        "tariffs",
        [
            _member("a", "wh", "New tariffs on Taiwan chips", "Section 232 tariffs on chips.", 1.5),
            _member("b", "usat", "Tariffs announced", "The tariff applies to semiconductors.", 0.8),
        ],
        "trade",
    ),
    _story("ai", [_member("c", "nist", "AI safety framework", "NIST releases AI guidance.")], "ai"),
    _story("oil", [_member("d", "eia", "Oil prices", "Crude fell.", 1.0, 30.0)], "energy", 0.5),
]


@pytest.mark.parametrize("profile", ["default", "trade-desk", "ai-semi-desk"])
def test_parts_sum_to_score(profile):
    ds = load_settings().digest
    ranked = rank_stories(
        STORIES, priorities=PRIORITIES, profile=resolve_profile(ds, profile),
        history={}, window_end=END, settings=ds,
    )  # fmt: skip
    assert len(ranked) == 3
    for s in ranked:
        assert set(s.parts) == set(PARTS)
        assert s.score == pytest.approx(sum(s.parts.values()), abs=1e-9)
        assert all(v >= 0 for v in s.parts.values())
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)


def test_profile_weights_and_watchlist_change_the_order():
    ds = load_settings().digest
    kw = dict(priorities=PRIORITIES, history={}, window_end=END, settings=ds)
    trade = rank_stories(STORIES, profile=resolve_profile(ds, "trade-desk"), **kw)
    ai = rank_stories(STORIES, profile=resolve_profile(ds, "ai-semi-desk"), **kw)
    assert trade[0].story_id == "tariffs"
    tariffs = trade[0]
    assert {"taiwan", "section 232", "tariff"} <= set(tariffs.watch_hits)
    ai_score = {s.story_id: s for s in ai}["ai"]
    trade_score = {s.story_id: s for s in trade}["ai"]
    assert ai_score.parts["topic"] > trade_score.parts["topic"]
    oil = {s.story_id: s for s in trade}["oil"]
    assert oil.parts["recency"] < tariffs.parts["recency"]
    assert oil.parts["watchlist"] == 0.0


def test_earlier_digests_lower_novelty():
    ds = load_settings().digest
    prof = resolve_profile(ds, "default")
    kw = dict(priorities=PRIORITIES, profile=prof, window_end=END, settings=ds)
    fresh = {s.story_id: s for s in rank_stories(STORIES, history={}, **kw)}
    seen = {
        s.story_id: s
        for s in rank_stories(STORIES, history={"tariffs": [date(2025, 4, 1), date(2025, 4, 2)]}, **kw)
    }
    assert fresh["tariffs"].parts["novelty"] == pytest.approx(ds.rank_weights["novelty"])
    assert seen["tariffs"].parts["novelty"] == pytest.approx(ds.rank_weights["novelty"] / 3)
    assert seen["tariffs"].score < fresh["tariffs"].score


def test_watch_pattern_whole_words_and_unknown_profile():
    pat = watch_pattern(["AI", "export control"])
    assert pat.findall("AI rules; new Export Control list") == ["AI", "Export Control"]
    assert pat.findall("said the chair of the maintenance board") == []
    assert watch_pattern([" "]) is None
    with pytest.raises(ConfigError, match="trade-desk"):
        resolve_profile(load_settings().digest, "no-such-desk")
