"""Interface strings of digests: zh-TW (default) and English."""

from __future__ import annotations

from radar.errors import ConfigError

STRINGS: dict[str, dict[str, str]] = {
    "zh-TW": {
        "title": "政策雷達晨報",
        "window": "涵蓋時段",
        "tz_note": "台北時間",
        "profile": "分析組別",
        "new": "新",
        "developing": "發展中 — 第 {day} 天",
        "sources": "來源",
        "tags": "標籤",
        "entities": "相關機構、國家與產品",
        "official": "主要官方文件",
        "score": "重要性",
        "why": "評分依據",
        "coverage": "來源涵蓋說明",
        "failed": "抓取失敗",
        "silent": "本時段無新文件",
        "all_ok": "所有來源皆正常更新。",
        "no_news": "本時段沒有新的新聞或政策文件。",
        "other": "其他",
        "date_unknown": "日期不明",
        "stories": "則報導",
        "generated": "產生時間",
        "part.authority": "來源權威",
        "part.sources": "來源數",
        "part.topic": "主題優先",
        "part.watchlist": "關注詞",
        "part.novelty": "新穎度",
        "part.recency": "時效",
    },
    "en": {
        "title": "Policy Radar morning digest",
        "window": "Window",
        "tz_note": "Taipei time",
        "profile": "Desk",
        "new": "new",
        "developing": "developing — day {day}",
        "sources": "Sources",
        "tags": "Tags",
        "entities": "Agencies, countries and products",
        "official": "Primary official document",
        "score": "Importance",
        "why": "Why",
        "coverage": "Coverage",
        "failed": "Failed to fetch",
        "silent": "No new documents in this window",
        "all_ok": "Every source updated normally.",
        "no_news": "No new news or policy documents in this window.",
        "other": "Other",
        "date_unknown": "date unknown",
        "stories": "stories",
        "generated": "Generated",
        "part.authority": "authority",
        "part.sources": "sources",
        "part.topic": "topic",
        "part.watchlist": "watchlist",
        "part.novelty": "novelty",
        "part.recency": "recency",
    },
}


def strings(lang: str) -> dict[str, str]:
    """The interface strings of a language.

    Raises:
        ConfigError: the language is not supported.
    """
    try:
        return STRINGS[lang]
    except KeyError:
        raise ConfigError(f"unsupported digest language {lang!r} (use zh-TW or en)") from None


def is_chinese(lang: str) -> bool:
    """Whether labels (topics, entities) should be shown in Traditional Chinese."""
    return lang.lower().startswith("zh")
