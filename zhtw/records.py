"""Typed records of the 重點 card (what the digest, drafts and renderers read)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CARD_VERSION = "card-1"

SLOT_LABELS = {
    "country": "發布國家",
    "issuer": "發布機關",
    "instrument": "措施類型",
    "measure": "措施內容",
    "targets": "對象",
    "amounts": "稅率/金額",
    "dates": "生效日/截止日",
    "legal_basis": "法律依據",
    "status": "狀態",
}


@dataclass(frozen=True)
class CardDoc:
    """A story member as the card reads it (n: its citation number in the story)."""

    doc_id: str
    n: int
    url: str | None
    title: str
    text: str
    kind: str  # order | fact-sheet | statement | article | register | other
    country: str | None  # the source's country code (registry)
    published: date | None


@dataclass(frozen=True)
class Cite:
    """The source sentence a value was read from."""

    doc_id: str
    n: int
    url: str | None
    sentence: str


@dataclass(frozen=True)
class SlotValue:
    """One value of a slot, in zh-TW, with its citation and the English it was read from."""

    value: str
    en: str
    cite: Cite
    kind: str = ""  # targets: country | product | hs


@dataclass(frozen=True)
class Slot:
    """A filled slot: key, zh-TW label, values."""

    key: str
    label: str
    values: tuple[SlotValue, ...]


@dataclass(frozen=True)
class Card:
    """The 重點 card of a story and the zh-TW headline composed from it."""

    slots: tuple[Slot, ...]
    headline: str
    headline_cites: tuple[int, ...]
    version: str = CARD_VERSION

    def get(self, key: str) -> Slot | None:
        """The slot named `key`, if filled."""
        return next((s for s in self.slots if s.key == key), None)

    def values(self, key: str) -> list[str]:
        """The zh-TW values of a slot (empty when the slot is not filled)."""
        slot = self.get(key)
        return [v.value for v in slot.values] if slot else []
