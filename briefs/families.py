"""Families of same-day notices on one product: the Federal Register's per-country trade-remedy
notices ("Certain Corrosion-Resistant Steel Products From Taiwan: Preliminary Affirmative
Determination of Sales at Less Than Fair Value, …", the same for Australia, Brazil, …).

A family takes one place in the digest: its lead entry (Taiwan's notice when there is one,
else the best-ranked) with the others listed under it, each with its link. The stories are not
merged: every notice keeps its own story, digest item and entry (marked `folded_into`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from briefs.records import FamilyMember, Section, StoryEntry
from zhtw.terms import TermMatcher

# "<product> From [the] <country>: <what the notice does>"; the country part is short (no colon)
_NOTICE = re.compile(r"^(?P<product>.{6,160}?)\s+[Ff]rom\s+(?:the\s+)?(?P<country>[^:;]{2,60}?)"
                     r"\s*:\s*(?P<action>.{6,})$")
# a review period or a correction does not make another kind of notice
_PERIOD = re.compile(r"[;,]?\s*(?:\d{4}\s*[-–]\s*\d{4}|\d{4}|correction)\s*$", re.I)
TAIWAN = "country:TW"
MAX_FAMILY = 20  # members one family may take in (chosen beyond the section's count)


def family_key(title: str) -> tuple[str, str] | None:
    """(product, action) of a per-country notice title, lower case; None for other titles."""
    m = _NOTICE.match(" ".join(title.split()))
    if m is None:
        return None
    action = _PERIOD.sub("", m.group("action")).strip().lower()
    return m.group("product").strip().lower(), action


def notice_country(title: str) -> str | None:
    """The country a per-country notice title names ("the Republic of Türkiye")."""
    m = _NOTICE.match(" ".join(title.split()))
    return m.group("country").strip() if m else None


def _day(entry: StoryEntry) -> str:
    return next((s.time_local[:10] for s in entry.sources if s.time_local), "")


def _country(entry: StoryEntry, matcher: TermMatcher, zh: bool) -> tuple[str, bool]:
    """(label of the notice's country, whether it is Taiwan)."""
    name = notice_country(entry.headline) or ""
    found = next((m for m in matcher.mentions(name) if m.kind == "country"), None)
    label = found.zh if zh and found is not None else name
    return label, found is not None and found.entity_id == TAIWAN


def fold_families(sections: tuple[Section, ...], matcher: TermMatcher, zh: bool
                  ) -> tuple[Section, ...]:
    """The sections with every family of two or more same-day notices folded under its lead.

    The lead takes the place of the family's best-ranked entry (in that entry's section), the
    others follow it in rank order, marked `folded_into`, wherever they stood before.
    """
    groups: dict[tuple[str, str, str], list[StoryEntry]] = {}
    for sec in sections:
        for st in sec.stories:
            key = family_key(st.headline)
            if key is not None:
                groups.setdefault((*key, _day(st)), []).append(st)
    placed: dict[str, list[StoryEntry]] = {}  # best-ranked member -> the family's entries
    folded: set[str] = set()
    for members in groups.values():
        if len(members) < 2:
            continue
        labels = {st.story_id: _country(st, matcher, zh) for st in members}
        lead = next((st for st in members if labels[st.story_id][1]), members[0])
        others = [st for st in members if st is not lead]
        family = tuple(FamilyMember(st.story_id, labels[st.story_id][0], st.headline,
                                    st.headline_url) for st in others)
        placed[members[0].story_id] = [replace(lead, family=family), *(
            replace(st, folded_into=lead.story_id) for st in others)]
        folded.update(st.story_id for st in members)
    out = []
    for sec in sections:
        stories: list[StoryEntry] = []
        for st in sec.stories:
            if st.story_id in placed:
                stories.extend(placed[st.story_id])
            elif st.story_id not in folded:
                stories.append(st)
        out.append(replace(sec, stories=tuple(stories)))
    return tuple(out)
