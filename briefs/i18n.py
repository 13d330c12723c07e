"""Interface strings of digests: zh-TW (default) and English."""

from __future__ import annotations

from config.errors import ConfigError

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
        "tw_response": "我國回應",
        "score": "重要性",
        "why": "評分依據",
        "coverage": "來源涵蓋說明",
        "failed": "抓取失敗",
        "silent": "已抓取、本時段無新文件",
        "never_crawled": "從未抓取（未排程，或示範鏡像未提供）：{n} 個來源",
        "all_ok": "所有來源皆正常更新。",
        "no_news": "本時段沒有新的新聞或政策文件。",
        "other": "其他",
        "routine": "另有 {n} 則例行公告未列入",
        "family": "同日同產品公告，另有 {n} 國",
        "date_unknown": "日期不明",
        "stories": "則報導",
        "generated": "產生時間",
        "part.authority": "來源權威",
        "part.sources": "來源數",
        "part.topic": "主題優先",
        "part.watchlist": "關注詞",
        "part.novelty": "新穎度",
        "part.recency": "時效",
        "highlights": "重點",
        "original": "原文",
        "original_summary": "英文原文摘要",
        "evidence": "依據之原文句",
        "unchecked": "未通過核對",
        "translation": "句子翻譯：{backend}；通過核對 {kept} 句，未通過 {dropped} 句（改列英文原文）",
        "no_translation": "重點卡由來源句逐項擷取（未啟用句子翻譯）；英文原文見各則「原文」。",
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
        "tw_response": "Taiwan's response (我國回應)",
        "score": "Importance",
        "why": "Why",
        "coverage": "Coverage",
        "failed": "Failed to fetch",
        "silent": "Crawled, no new documents in this window",
        "never_crawled": "Never crawled (not scheduled, or not served by the demo mirror): {n} sources",
        "all_ok": "Every source updated normally.",
        "no_news": "No new news or policy documents in this window.",
        "other": "Other",
        "routine": "{n} more routine notices not listed",
        "family": "The same notice, same day, for {n} more countries",
        "date_unknown": "date unknown",
        "stories": "stories",
        "generated": "Generated",
        "part.authority": "authority",
        "part.sources": "sources",
        "part.topic": "topic",
        "part.watchlist": "watchlist",
        "part.novelty": "novelty",
        "part.recency": "recency",
        "highlights": "Key points",
        "original": "Original",
        "original_summary": "Original summary",
        "evidence": "Source sentences",
        "unchecked": "failed the check",
        "translation": "Sentence translation: {backend}; {kept} passed the check, {dropped} failed (English shown)",
        "no_translation": "Key points are read off the source sentences (no sentence translation configured).",
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
