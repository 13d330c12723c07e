"""The zh-TW reading layer of a digest story: its 重點 card, a composed Chinese headline and
Chinese publisher names (zhtw/), read off the story's own members."""

from __future__ import annotations

from collections.abc import Sequence

from store.digests import MemberDoc
from zhtw.card import build_card
from zhtw.kinds import doc_kind
from zhtw.records import Card, CardDoc
from zhtw.terms import TermMatcher

# Publishers the gazetteer has no alias for.
_PUBLISHERS_ZH = {"Office of the Federal Register (NARA)": "美國聯邦公報"}


def card_docs(members: Sequence[MemberDoc], head: MemberDoc) -> list[CardDoc]:
    """The members as the card reads them, the headline document first; `n` is each
    member's citation number in the digest (its position in `members`, from 1)."""
    numbered = [
        CardDoc(doc_id=m.doc_id, n=i, url=m.url, title=m.title, text=m.text,
                kind=doc_kind(m.url, m.title), country=m.country,
                published=m.published_at.date() if m.published_at else None)
        for i, m in enumerate(members, 1)
    ]
    return sorted(numbered, key=lambda d: d.doc_id != head.doc_id)


def story_card(members: Sequence[MemberDoc], head: MemberDoc, matcher: TermMatcher,
               topics: Sequence[str]) -> Card:
    """The 重點 card of a story (lead: the headline document)."""
    return build_card(card_docs(members, head), matcher, topics=topics)


def publisher_zh(publisher: str, matcher: TermMatcher) -> str | None:
    """zh-TW name of a publisher: the gazetteer agency or organisation it names."""
    if publisher in _PUBLISHERS_ZH:
        return _PUBLISHERS_ZH[publisher]
    for m in matcher.mentions(publisher):
        if m.kind in ("agency", "org"):
            return m.zh
    return None
