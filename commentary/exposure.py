"""Implications for Taiwan: the shipped mapping (instruments, topics, product groups -> Taiwan's
industries, with reasoning) applied to what the draft cites, sized with the shipped figures."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import yaml

from commentary.matching import condense
from commentary.records import Figure, Implication, SourceDoc, Statement
from config.errors import ConfigError

DATA_SOURCES = {
    "mof": "財政部《海關進出口貿易初步統計》（數值取自2025年8月發布之表；政府資料開放授權條款第1版）",
    "ic": "關務署海關統計：積體電路（HS 8542）出口國別（政府開放資料）",
    "census": "U.S. Census Bureau, trade in goods with Taiwan (public domain)",
}
_TAIWAN = re.compile(r"\b(Taiwan|Taiwanese|Chinese Taipei)\b")


@dataclass(frozen=True)
class Mapping:
    """One curated mapping entry (see commentary/curated/taiwan_exposure.yaml)."""

    key: str
    label: str
    any_terms: tuple[str, ...]
    and_any: tuple[str, ...]
    industries: tuple[str, ...]
    reasoning: str
    figures: tuple[str, ...]


def _pattern(term: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(p) for p in term.split())
    flags = 0 if any(w.isupper() and len(w) > 1 for w in term.split()) else re.IGNORECASE
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", flags)


@lru_cache(maxsize=1)
def load_mappings() -> tuple[Mapping, ...]:
    """The shipped mapping file.

    Raises:
        ConfigError: malformed file or entry.
    """
    text = resources.files("commentary").joinpath("curated/taiwan_exposure.yaml").read_text("utf-8")
    try:
        data = yaml.safe_load(text)
        return tuple(Mapping(str(m["key"]), str(m["label"]), tuple(m["any"]),
                             tuple(m.get("and_any") or ()), tuple(m["industries"]),
                             " ".join(str(m["reasoning"]).split()), tuple(m.get("figures") or ()))
                     for m in data["mappings"])
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(f"commentary/curated/taiwan_exposure.yaml: {exc}") from exc


@lru_cache(maxsize=1)
def load_figures() -> dict[str, Figure]:
    """The shipped figures, formatted in zh-TW (億美元, share, y/y), with their data source and
    the date each was published by (``released``)."""
    text = resources.files("commentary").joinpath("curated/taiwan_figures.csv").read_text("utf-8")
    out = {}
    for r in csv.DictReader(io.StringIO(text)):
        value = float(r["value_usd_million"]) / 100.0  # US$ million -> 億美元
        parts = [f"{value:,.1f} 億美元"]
        if r["share_pct"]:
            parts.append(f"占 {float(r['share_pct']):.1f}%")
        if r["yoy_pct"]:
            parts.append(f"年增 {float(r['yoy_pct']):+.1f}%")
        label = f"{r['period']} {r['label_zh']}"
        released = date.fromisoformat(r["released"]) if r.get("released") else None
        source = DATA_SOURCES.get(r["source"], r["source"])
        if released is not None:
            source += f"；{r['period']}數據於 {released.isoformat()} 前已公布"
        out[r["key"]] = Figure(label, "，".join(parts), source, released,
                               r.get("series") or r["key"])
    return out


def figures_as_of(keys: Sequence[str], as_of: date | None) -> tuple[Figure, ...]:
    """The figures a mapping names, as known on `as_of`: a figure published by then is kept;
    one published later is replaced by the latest figure of its series published by then (a
    Jan–Aug figure released in September is never shown in an April draft: Jan–Feb is), or
    left out when its series had nothing published. Without a date, the figures as named."""
    figures = load_figures()
    named = [figures[k] for k in keys if k in figures]
    if as_of is None:
        return tuple(named)
    out: dict[str, Figure] = {}
    for fig in named:
        known = [f for f in figures.values() if f.series == fig.series
                 and f.released is not None and f.released <= as_of]
        if fig in known:
            out.setdefault(fig.label, fig)
        elif known:
            best = max(known, key=lambda f: f.released)
            out.setdefault(best.label, best)
    return tuple(out.values())


def _matched(patterns: Sequence[re.Pattern[str]], text: str) -> list[str]:
    return [m.group(0) for p in patterns if (m := p.search(text))]


def implications(cited: Sequence[Statement], sources: dict[str, SourceDoc],
                 max_items: int, as_of: date | None = None) -> list[Implication]:
    """Mappings triggered by what the draft cites (statement texts and cited titles).

    Each implication names the trigger terms and the documents they came from, the industries,
    the curated reasoning and figures, and source sentences that name Taiwan (the caller
    claim-checks them).
    Ranked by how many cited documents trigger it.
    """
    texts: dict[str, list[str]] = {}
    for st in cited:
        for d in st.doc_ids:
            texts.setdefault(d, []).append(st.text)
    for d in texts:
        if d in sources:
            texts[d].append(sources[d].title)
    found: list[tuple[int, Implication]] = []
    for m in load_mappings():
        first = [_pattern(t) for t in m.any_terms]
        second = [_pattern(t) for t in m.and_any]
        terms: dict[str, None] = {}
        docs: list[str] = []
        for doc_id, parts in texts.items():
            joined = " ".join(parts)
            a = _matched(first, joined)
            b = _matched(second, joined) if second else []
            if a and (b or not second):
                docs.append(doc_id)
                terms.update(dict.fromkeys(a + b))
        if not docs:
            continue
        evidence = _taiwan_sentences(docs, sources)
        found.append((len(docs), Implication(
            key=m.key, industries=m.industries, reasoning=m.reasoning,
            trigger="、".join(f"「{t}」" for t in list(terms)[:4]), doc_ids=tuple(docs),
            figures=figures_as_of(m.figures, as_of), evidence=evidence,
        )))
    found.sort(key=lambda x: -x[0])
    return [imp for _, imp in found[:max_items]]


def _taiwan_sentences(doc_ids: Sequence[str], sources: dict[str, SourceDoc],
                      limit: int = 2) -> tuple[Statement, ...]:
    out = []
    for d in doc_ids:
        doc = sources.get(d)
        if doc is None:
            continue
        for s in doc.sentences:
            if _TAIWAN.search(s):
                out.append(Statement(condense(s), (d,), quote=True))
                break
    return tuple(out[:limit])


def mapping_label(key: str) -> str:
    """zh-TW label of a mapping key (the key itself when unknown)."""
    return next((m.label for m in load_mappings() if m.key == key), key)
