"""Render digests as email-safe HTML, Markdown, JSON and an Atom feed (Jinja2 templates)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from briefs.i18n import is_chinese, strings
from briefs.records import Digest, digest_to_dict, safe_url
from nlp.entities import load_gazetteer

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
_WS = re.compile(r"\s+")


def md_escape(text: object) -> str:
    """Crawled text made inert in Markdown: HTML escaped, specials backslashed, one line."""
    s = _WS.sub(" ", str(text)).strip()
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def md_url(url: str | None) -> str | None:
    """A safe http(s) URL with the characters that would end a Markdown link encoded."""
    safe = safe_url(url)
    if safe is None:
        return None
    return safe.replace("(", "%28").replace(")", "%29").replace("[", "%5B").replace("]", "%5D")


def _fmt_parts(parts: dict[str, float], text: dict[str, str]) -> str:
    return " · ".join(f"{text.get('part.' + k, k)} {v:.2f}" for k, v in parts.items())


def _field(obj: object, name: str) -> object:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def evidence(card: object) -> list[tuple[int, str]]:
    """(citation number, source sentence) of every card value, each sentence once, in slot
    order; `card` is a zhtw Card or its stored JSON form."""
    seen: dict[tuple[int, str], None] = {}
    for slot in _field(card, "slots") or ():
        for v in _field(slot, "values") or ():
            cite = _field(v, "cite")
            seen.setdefault((int(_field(cite, "n")), str(_field(cite, "sentence"))), None)
    return list(seen)


def country_labels():
    """A filter: registry country code -> zh-TW label (the code when the gazetteer lacks it)."""
    gaz = load_gazetteer()

    def label(code: str | None) -> str:
        e = gaz.entries.get(f"country:{code}") or gaz.entries.get(f"org:{code}")
        return e.label_zh if e else (code or "")

    return label


@lru_cache(maxsize=2)
def _environment(autoescape: bool) -> Environment:
    """The digest templates' environment (built once per escaping mode: building it parses the
    gazetteer for the country filter)."""
    env = Environment(
        loader=PackageLoader("briefs", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2", "atom.j2"), default=False)
        if autoescape
        else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["md"] = md_escape
    env.filters["md_url"] = md_url
    env.filters["evidence"] = evidence
    env.filters["country_zh"] = country_labels()
    return env


def _context(digest: Digest) -> dict:
    text = strings(digest.lang)
    return {
        "d": digest,
        "t": text,
        "parts": lambda p: _fmt_parts(p, text),
        "n_stories": digest.headings,
        "zh": is_chinese(digest.lang),
    }


def render_html(digest: Digest) -> str:
    """Email-safe HTML (inline CSS, no scripts); every crawled string is escaped."""
    env = _environment(autoescape=True)
    return env.get_template("digest.html.j2").render(**_context(digest))


def render_markdown(digest: Digest) -> str:
    """Markdown with every crawled string escaped and only http(s) links."""
    env = _environment(autoescape=False)
    return env.get_template("digest.md.j2").render(**_context(digest))


def render_json(digest: Digest) -> str:
    """The digest as pretty JSON (UTF-8 text, ISO 8601 instants)."""
    return json.dumps(digest_to_dict(digest), ensure_ascii=False, indent=2)


def render_atom(
    entries: list[tuple[str, datetime, str, str]],
    *,
    feed_id: str,
    title: str,
    self_url: str | None = None,
    now: datetime | None = None,
) -> str:
    """An Atom 1.0 feed of digests.

    Args:
        entries: (digest id, generated_at, entry title, rendered HTML), newest first.
        feed_id: a stable URI naming the feed (e.g. "urn:policy-radar:digest:default:zh-TW").
        title: feed title.
        self_url: where the feed is served, if anywhere (must be http(s) to be linked).
        now: the feed's updated time when there are no entries.
    """
    env = _environment(autoescape=True)
    updated = max((e[1] for e in entries), default=now or datetime.now(UTC))
    return env.get_template("digests.atom.j2").render(
        feed_id=feed_id,
        title=title,
        self_url=safe_url(self_url),
        updated=updated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        entries=[
            {
                "id": f"{feed_id}:{eid}",
                "title": etitle,
                "updated": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "html": html,
            }
            for eid, when, etitle, html in entries
        ],
    )
