"""Typed records of a quick-commentary draft (智庫短評): sources, cited statements, sections."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

# Certainty of a measure as the source states it (label keys; zh-TW labels in render).
CERTAINTY = ("announced", "proposed", "signed", "in force")


@dataclass(frozen=True)
class SourceDoc:
    """A document the draft may cite: metadata, its date in the source's zone, sentences."""

    doc_id: str
    title: str
    url: str
    publisher: str
    source_id: str
    kind: str  # order | fact-sheet | statement | article | register | other
    day: date | None  # publication date in the source's own zone
    version: int
    content_hash: str
    sentences: tuple[str, ...]
    meta_lines: tuple[str, ...] = ()  # source-given metadata as text (e.g. "Effective on: ...")
    relevance: float = 0.0
    story_id: str | None = None
    country: str | None = None  # the source's country code (registry), for the zh card

    @property
    def text(self) -> str:
        """Everything this source says, as checked by the claim check."""
        return "\n".join((self.title, *self.sentences, *self.meta_lines))


@dataclass(frozen=True)
class Statement:
    """A cited sentence of the draft. `doc_ids` are the sources that must support it."""

    text: str
    doc_ids: tuple[str, ...]
    quote: bool = False  # the text is a verbatim source sentence (shown in quotes)


@dataclass(frozen=True)
class TimelineEvent:
    """A dated event drawn from a source."""

    day: date
    kind: str  # order | fact-sheet | register | statement | article | reference | effective
    statement: Statement
    certainty: str
    effective: date | None = None
    instrument: str | None = None  # EO 14256, FR 2025-05678 ... (nlp.lifecycle)
    status: str = ""  # lifecycle kind (announced, comment_requested, suspended ...); "" before it


@dataclass(frozen=True)
class Fact:
    """A key fact with its certainty and, when the source gives one, its effective date."""

    statement: Statement
    certainty: str
    effective: date | None = None
    status: str = ""  # set when the document type decides it (徵求意見, 擬議): nlp.lifecycle


@dataclass(frozen=True)
class WatchItem:
    """Something to watch: a deadline, a comment period, an effective date, a due report."""

    day: date | None
    kind: str  # effective | deadline | comments | report
    statement: Statement


@dataclass(frozen=True)
class Figure:
    """One curated exposure figure with its data source."""

    label: str
    value: str
    source: str
    released: date | None = None  # published by this date (the draft uses it only after)
    series: str = ""  # the same measure over periods (the draft takes the latest released)


@dataclass(frozen=True)
class Implication:
    """A possible effect on Taiwan's industries, from the curated mapping, with its reasoning."""

    key: str
    industries: tuple[str, ...]
    reasoning: str
    trigger: str  # what in the sources matched the mapping
    doc_ids: tuple[str, ...]
    figures: tuple[Figure, ...] = ()
    evidence: tuple[Statement, ...] = ()  # source sentences naming Taiwan or the product group


@dataclass(frozen=True)
class Reference:
    """A numbered source in 參考資料."""

    n: int
    doc_id: str
    title: str
    publisher: str
    day: date | None
    url: str


@dataclass(frozen=True)
class Removal:
    """A statement the claim check removed, and why."""

    section: str
    text: str
    reason: str


@dataclass(frozen=True)
class CheckReport:
    """Claim-check totals: statements checked, kept, and the removed ones with reasons."""

    checked: int
    removed: tuple[Removal, ...] = ()

    @property
    def kept(self) -> int:
        """Statements that passed."""
        return self.checked - len(self.removed)


@dataclass(frozen=True)
class ZhValue:
    """A slot value a Chinese line states, and the English it was read from.

    `sentence` is the source sentence (or title) holding `en`; it is empty for a value taken
    from the source's registry entry or kind (the issuing country, 白宮, 事實說明)."""

    key: str  # card slot key (country, issuer, measure, amounts, dates …) or person / count
    value: str  # as written in the Chinese line
    en: str  # the English surface, verbatim
    doc_id: str
    sentence: str = ""


@dataclass(frozen=True)
class ZhLine:
    """One line of the Chinese reading layer and the English it stands for.

    `origin`: "card" (composed from slot values, each cited), "translated" (a machine
    translation that passed the faithfulness check) or "english" (no Chinese could be composed
    or the translation failed the check: the original is the line). `originals` are the
    verbatim quotes shown under the line as 原文; `title` is the source title shown there."""

    text: str
    origin: str  # card | translated | english
    doc_ids: tuple[str, ...]
    originals: tuple[Statement, ...]
    values: tuple[ZhValue, ...] = ()
    title: str = ""
    label: str = ""  # 時間軸: the source's zh instrument type (行政命令, 事實說明, 最終規則 …)
    note: str = ""  # why a line is in English (e.g. the failed check's reason)


@dataclass(frozen=True)
class ZhReading:
    """The draft in zh-TW: one list of lines per narrative section. `timeline`, `facts` and
    `watch` hold one line per event, fact and watch item, in the draft's order."""

    summary: tuple[ZhLine, ...]
    background: tuple[ZhLine, ...]
    timeline: tuple[ZhLine, ...]
    facts: tuple[ZhLine, ...]
    reactions: tuple[ZhLine, ...] = ()
    watch: tuple[ZhLine, ...] = ()
    composed: int = 0  # lines composed from the card
    translated: int = 0  # translations that passed the check
    english: int = 0  # lines left in English
    failed: int = 0  # translations that failed the check (shown composed or in English)
    backend: str = ""  # translation backend label, "" when none is configured
    version: str = "zh-draft-1"


@dataclass(frozen=True)
class DraftInputs:
    """Everything needed to reproduce a draft."""

    query: str
    search_query: str
    filters: dict
    doc_ids: tuple[str, ...]
    doc_versions: tuple[tuple[str, int, str], ...]  # (id, version, content hash)
    story_ids: tuple[str, ...]
    writer: str
    model: str
    embedder: str


@dataclass(frozen=True)
class Draft:
    """A complete commentary draft. Sections hold statements citing documents by id;
    `references` numbers the cited documents in order of first citation."""

    title: str
    created_at: datetime
    timezone: str
    inputs: DraftInputs
    summary: tuple[Statement, ...]
    background: tuple[Statement, ...]
    timeline: tuple[TimelineEvent, ...]
    facts: tuple[Fact, ...]
    reactions: tuple[Statement, ...]
    implications: tuple[Implication, ...]
    watch: tuple[WatchItem, ...]
    references: tuple[Reference, ...]
    check: CheckReport
    notes: tuple[str, ...] = ()
    draft_id: str = ""
    version: int = 0
    exposure_sources: tuple[str, ...] = field(default=())
    zh: ZhReading | None = None  # the Chinese reading layer (None: drafts written before it)
    status: tuple[Statement, ...] = ()  # quotes of the as-of status heading 事件摘要

    def ref_numbers(self, doc_ids: tuple[str, ...]) -> tuple[int, ...]:
        """Reference numbers of some cited documents."""
        by_id = {r.doc_id: r.n for r in self.references}
        return tuple(sorted({by_id[d] for d in doc_ids if d in by_id}))

    def as_json(self) -> dict:
        """JSON-ready content (dates as ISO strings)."""
        return _jsonable(asdict(self))


def zh_from_json(content: dict) -> ZhReading | None:
    """The zh-TW layer of a stored draft's content JSON (None for drafts stored before it),
    so a draft rebuilt from the store (e.g. for .docx) keeps its Chinese lines."""
    zh = content.get("zh")
    if not zh:
        return None

    def line(d: dict) -> ZhLine:
        return ZhLine(
            text=d.get("text", ""), origin=d.get("origin", "english"),
            doc_ids=tuple(d.get("doc_ids") or ()),
            originals=tuple(Statement(o["text"], tuple(o.get("doc_ids") or ()),
                                      bool(o.get("quote"))) for o in d.get("originals") or ()),
            values=tuple(ZhValue(**v) for v in d.get("values") or ()),
            title=d.get("title", ""), label=d.get("label", ""), note=d.get("note", ""))

    sections = ("summary", "background", "timeline", "facts", "reactions", "watch")
    counts = ("composed", "translated", "english", "failed")
    return ZhReading(**{k: tuple(line(x) for x in zh.get(k) or ()) for k in sections},
                     **{k: int(zh.get(k) or 0) for k in counts},
                     backend=zh.get("backend", ""), version=zh.get("version", "zh-draft-1"))


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
