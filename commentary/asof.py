"""What a draft can know on its reference date: how far back (and forward) its store reaches,
said in the draft, with a warning when the store ends before the as-of date; and the rates a
measure's acts set, each marked in force, superseded or still ahead on that date."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from zoneinfo import ZoneInfo

import duckdb

from commentary.matching import condense
from commentary.records import SourceDoc, Statement, TimelineEvent, ZhLine
from commentary.render import STATUS_ZH
from nlp.dates import date_mentions


@dataclass(frozen=True)
class Reach:
    """The span of the store's documents (dates in the draft's zone) and their number."""

    first: date | None
    last: date | None
    documents: int


def store_reach(con: duckdb.DuckDBPyConnection, tz: str) -> Reach:
    """The earliest and latest document dates in the store (published, else first seen)."""
    row = con.execute(
        "SELECT min(coalesce(published_at, first_seen_at)), max(coalesce(published_at, "
        "first_seen_at)), count(*) FROM documents").fetchone()
    first, last, n = row if row else (None, None, 0)
    zone = ZoneInfo(tz)
    return Reach(first.astimezone(zone).date() if first else None,
                 last.astimezone(zone).date() if last else None, int(n or 0))


def reach_notes(reach: Reach | None, as_of: date) -> tuple[str, ...]:
    """The draft's notes on its store: the span it reaches, and a warning when the store ends
    before the reference date (later amendments, pauses or revocations are not in the draft)
    or begins after it."""
    if reach is None:
        return ()
    if not reach.documents or reach.first is None or reach.last is None:
        return ("資料範圍：資料庫中沒有文件。",)
    notes = [f"資料範圍：本資料庫收錄 {reach.first.isoformat()} 至 {reach.last.isoformat()} 之文件"
             f"（共 {reach.documents:,} 篇）；本稿僅依其中 {as_of.isoformat()} 以前發布者撰寫。"]
    if reach.last < as_of:
        gap = (as_of - reach.last).days
        notes.append(f"⚠ 注意：資料庫最新文件為 {reach.last.isoformat()}，早於基準日 "
                     f"{as_of.isoformat()}（相差 {gap} 天）；其後之修正、暫緩、撤銷或新措施未納入，"
                     "所述現況可能已改變，定稿前請查核最新來源。")
    if reach.first > as_of:
        notes.append(f"⚠ 注意：資料庫最早文件為 {reach.first.isoformat()}，晚於基準日 "
                     f"{as_of.isoformat()}；本稿沒有基準日當時的來源。")
    return tuple(notes)


# A rate change in one clause of an order: "increase the ad valorem rate ... from 30 percent to
# 90 percent", "from 25 dollars to 75 dollars", "retain in effect the ... duty of 100 dollars",
# and the first setting of a postal duty ("30 percent of the value of the postal item",
# "25 dollars per postal item").
_FROM_TO = re.compile(r"\bfrom (\d+(?:\.\d+)?) (percent|dollars) to (\d+(?:\.\d+)?) (?:percent|dollars)\b")
_RETAIN = re.compile(r"\bretain in effect the [^;]{0,80}?duty of (\d+(?:\.\d+)?) (dollars|percent)\b")
_SET = re.compile(r"(?<![\w$.])(\d+(?:\.\d+)?) (percent of the value of the postal item|dollars "
                  r"per postal item)")
_CLAUSE = re.compile(r";\s*(?:and\s+)?")
_UP = re.compile(r"\b(increas\w*|rais\w*)\b", re.IGNORECASE)
_DOWN = re.compile(r"\b(decreas\w*|reduc\w*|lower\w*)\b", re.IGNORECASE)


@dataclass(frozen=True)
class RateStep:
    """One rate an act sets, with the day it applies from and the clause that says so."""

    day: date
    series: str  # 貨值 (ad valorem) | 每件 (per item)
    value: str  # as the line states it: 54%, 100 美元
    verb: str  # 訂為 | 調升為 | 調降為 | 維持
    clause: str  # verbatim
    doc_id: str
    published: date
    day_sentence: str = ""  # the sentence stating `day` when the clause does not


_POSTAL = re.compile(r"\bpostal\b", re.IGNORECASE)


def _value(number: str, unit: str) -> tuple[str, str]:
    """(series, value): ad valorem or per item."""
    n = number.rstrip("0").rstrip(".") if "." in number else number
    return ("貨值", f"{n}%") if unit.startswith("percent") else ("每件", f"{n} 美元")


def _clause_day(clause: str, doc: SourceDoc, default: date) -> date:
    days = [m.day for m in date_mentions(clause, doc.day) if m.role == "effective"
            and (doc.day is None or m.day >= doc.day)]
    return days[0] if days else default


def _stating(doc: SourceDoc, day: date, clause: str) -> str:
    """The sentence of the document that states `day` as a date it takes effect ("" when
    the clause itself states it or the day is the publication day)."""
    if clause and (day == doc.day or any(m.day == day for m in date_mentions(clause, doc.day))):
        return ""
    stating = [s for s in doc.sentences
               if any(m.day == day and m.role == "effective" for m in date_mentions(s, doc.day))]
    # the order's own wording first ("Effective with respect to goods entered ..."), not a
    # recital of what another government announced for that day
    stating.sort(key=lambda s: (not re.search(r"^\(?\w?\)?\s*Effective|entered for consumption",
                                              s), "announced" in s))
    return stating[0] if stating else ""


def rate_steps(doc: SourceDoc, effective: date | None, qualifies) -> list[RateStep]:
    """The rates one act sets, from the clauses `qualifies(clause)` accepts."""
    out: list[RateStep] = []
    start = effective if effective and doc.day and effective >= doc.day else doc.day
    if start is None or doc.day is None:
        return out
    for sentence in doc.sentences:
        for clause in _CLAUSE.split(sentence):
            if not qualifies(clause, doc.doc_id):
                continue
            found = []
            for m in _FROM_TO.finditer(clause):
                up = float(m.group(3)) > float(m.group(1))
                found.append((m.group(3), m.group(2), "調升為" if up else "調降為"))
            for m in _RETAIN.finditer(clause):
                found.append((m.group(1), m.group(2), "維持"))
            if not found and not (_UP.search(clause) or _DOWN.search(clause)):
                found = [(m.group(1), m.group(2), "訂為") for m in _SET.finditer(clause)]
            for number, unit, verb in found:
                series, value = _value(number, unit)
                at = clause.find(number)
                day = start if verb == "維持" else _clause_day(
                    clause[at:] if verb == "訂為" else clause, doc, start)
                out.append(RateStep(day, series, value, verb, clause.strip(), doc.doc_id,
                                    doc.day, _stating(doc, day, clause)))
    return out


def rates_in_force(steps: Sequence[RateStep], as_of: date) -> dict[RateStep, str]:
    """Each step's standing on `as_of`: 現行 (the rate of its series in force: of the latest
    act whose rate applies by then), 尚未生效 (set by the latest act, applying later), or
    已被取代 (superseded by a later act, or by a later rate of the same act)."""
    state: dict[RateStep, str] = {}
    for series in {s.series for s in steps}:
        mine = [s for s in steps if s.series == series]
        latest = max(s.published for s in mine)
        applied = [s for s in mine if s.day <= as_of]
        current = max(applied, key=lambda s: (s.published, s.day)) if applied else None
        for s in mine:
            if s is current:
                state[s] = "現行"
            elif s.day > as_of and s.published == latest:
                state[s] = "尚未生效"
            else:
                state[s] = "已被取代"
    return state


@dataclass(frozen=True)
class AsOfStatus:
    """Where the measure stands on the draft's date: its latest event by then, what is still
    ahead, and every rate its acts set with its standing (現行 / 已被取代 / 尚未生效)."""

    as_of: date
    recent: tuple[TimelineEvent, ...]  # the latest acts by then, newest first (at most 2)
    ahead: tuple[tuple[date, Statement], ...]  # effective dates still ahead, with the quote
    rates: tuple[tuple[RateStep, str], ...]

    @property
    def latest(self) -> TimelineEvent | None:
        """The newest act by the draft's date."""
        return self.recent[0] if self.recent else None

    def statements(self) -> list[Statement]:
        """The verbatim quotes the status lines stand on (claim-checked like any other)."""
        out = [e.statement for e in self.recent]
        out += [st for _, st in self.ahead]
        out += [Statement(condense(c), (d,), quote=True) for c, d in self.clauses()]
        return list(dict.fromkeys(out))

    def keeping(self, passed: set[Statement], timeline: Sequence[TimelineEvent]) -> AsOfStatus:
        """Only what stands on quotes that passed the claim check (and acts still in the
        timeline); a rate whose clause or day sentence failed is left out."""
        def ok(text: str, doc_id: str) -> bool:
            return Statement(condense(text), (doc_id,), quote=True) in passed

        return AsOfStatus(
            self.as_of, tuple(e for e in self.recent if e.statement in passed and e in timeline),
            tuple((d, st) for d, st in self.ahead if st in passed),
            tuple((r, v) for r, v in self.rates if ok(r.clause, r.doc_id)
                  and (not r.day_sentence or ok(r.day_sentence, r.doc_id))))

    def clauses(self, doc_id: str | None = None) -> list[tuple[str, str]]:
        """(clause or the sentence stating its day, doc id) of the rates (of one document),
        in order, each once."""
        out = []
        for s, _ in self.rates:
            if doc_id is None or s.doc_id == doc_id:
                out += [(s.clause, s.doc_id)] + ([(s.day_sentence, s.doc_id)]
                                                 if s.day_sentence else [])
        return list(dict.fromkeys(out))


def as_of_status(timeline: Sequence[TimelineEvent], sources: dict[str, SourceDoc],
                 effective: dict[str, date | None], as_of: date, qualifies,
                 about=None) -> AsOfStatus:
    """The measure's standing on `as_of` from its timeline (events cited by documents
    published by then): its two newest acts on the topic (the quote is `about` the query, or
    the act sets rates) first,
    the effective dates still ahead, and the rates its acts set (clauses `qualifies`
    accepts)."""
    steps: list[RateStep] = []
    for e in timeline:
        doc = sources.get(e.statement.doc_ids[0])
        if e.kind == "order" and e.status != "effective" and doc is not None \
                and doc.day is not None and doc.day <= as_of:
            steps += [x for x in rate_steps(doc, effective.get(doc.doc_id), qualifies)
                      if x not in steps]
    rated = {s.doc_id for s in steps}

    def on_topic(e: TimelineEvent) -> bool:
        return bool(about and about(e.statement.text)) or e.statement.doc_ids[0] in rated

    done = [e for e in timeline if e.day <= as_of and e.status and e.status != "effective"]
    recent = tuple(sorted(done, key=lambda e: (on_topic(e), e.day), reverse=True)[:2])
    ahead: dict[date, Statement] = {}
    for e in sorted(timeline, key=lambda e: e.day):
        doc = sources.get(e.statement.doc_ids[0])
        day = e.day if e.status == "effective" else e.effective
        if doc is None or day is None or day <= as_of or day in ahead or len(ahead) >= 2 \
                or _cancelled(e, steps):
            continue
        said = e.statement.text if e.status == "effective" else _stating(doc, day, "")
        if said:
            ahead[day] = Statement(condense(said), (doc.doc_id,), quote=True)
    state = rates_in_force(steps, as_of)
    rates = tuple((s, state[s]) for s in sorted(steps, key=lambda s: (s.published, s.day)))
    return AsOfStatus(as_of, recent, tuple(ahead.items()), rates)


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def status_lines(status: AsOfStatus, zh_events: Sequence[tuple[ZhLine | None, str]] = ()
                 ) -> tuple[ZhLine, ...]:
    """The 事件摘要's head in zh-TW: 基準日現況 (the latest acts, their status labels, what is
    still ahead) and the rates, earlier ones marked 已被取代 (「4月9日起調升為貨值 120%〔已被取代〕；
    2025-05-12 命令：5月14日起調降為貨值 54%〔現行〕」), each line over its verbatim quotes.

    Args:
        status: the measure's standing on the draft's date.
        zh_events: for each of `status.recent`, its zh timeline line (or None) and form label.
    """
    out: list[ZhLine] = []
    if status.recent:
        parts = []
        for i, e in enumerate(status.recent):
            zh, label = zh_events[i] if i < len(zh_events) else (None, "")
            what = zh.text if zh is not None and zh.origin != "english" else ""
            parts.append(f"{e.day.isoformat()} {label or '文件'}〔{STATUS_ZH.get(e.status, e.status)}〕"
                         + (f"：{what}" if what else ""))
        text = "基準日現況：最新進展為 " + "；前一進展為 ".join(parts)
        if status.ahead:
            text += "；尚未生效：" + "、".join(f"{d.isoformat()} 起生效" for d, _ in status.ahead)
        quotes = tuple(dict.fromkeys((*(e.statement for e in status.recent),
                                      *(st for _, st in status.ahead))))
        ids = tuple(dict.fromkeys(d for q in quotes for d in q.doc_ids))
        out.append(ZhLine(text + "。", "card", ids, quotes, label="現況"))
    now = [(s, v) for s, v in status.rates if v == "現行"]
    if now:
        said = "、".join(dict.fromkeys(f"{s.series} {s.value}" for s, _ in now))
        acts = "、".join(dict.fromkeys(f"{s.published.isoformat()} 命令" for s, _ in now))
        ids = tuple(dict.fromkeys(s.doc_id for s, _ in now))
        quotes = tuple(dict.fromkeys(Statement(condense(c), (d,), quote=True)
                                     for s, _ in now for c, d in status.clauses(s.doc_id)
                                     if c in (s.clause, s.day_sentence)))
        # the duty on parcels is not the tariff on goods: say so when the clauses are postal
        postal = any(_POSTAL.search(s.clause) for s, _ in status.rates)
        where = "（郵寄物品）" if postal else ""
        out.append(ZhLine(f"現行稅率{where}：{said}（{acts}）。", "card", ids, quotes,
                          label="稅率"))
    docs = list(dict.fromkeys(s.doc_id for s, _ in status.rates))
    for doc_id in docs:
        steps = [(s, standing) for s, standing in status.rates if s.doc_id == doc_id]
        said = "、".join(dict.fromkeys(f"{_md(s.day)}起{s.verb}{s.series} {s.value}〔{standing}〕"
                                       for s, standing in steps))
        head = "歷次稅率（以基準日計；後令取代前令）：" if doc_id == docs[0] else "歷次稅率："
        quotes = tuple(Statement(condense(c), (d,), quote=True)
                       for c, d in status.clauses(doc_id))
        out.append(ZhLine(f"{head}{steps[0][0].published.isoformat()} 命令：{said}。", "card",
                          (doc_id,), quotes, label="稅率"))
    return tuple(out)


def _cancelled(e: TimelineEvent, steps: Sequence[RateStep]) -> bool:
    """Whether an effective date is of rates (its quote states them) that a later act
    replaced before that day."""
    if e.status != "effective":
        return False
    mine = [s for s in steps if s.doc_id == e.statement.doc_ids[0] and s.day == e.day
            and re.search(rf"(?<![\d.]){re.escape(s.value.split()[0].rstrip('%'))} "
                          r"(?:percent|dollars)", e.statement.text)]
    return bool(mine) and all(
        any(o.series == s.series and s.published < o.published < e.day for o in steps)
        for s in mine)


def cancelled_effects(timeline: Sequence[TimelineEvent], status: AsOfStatus
                      ) -> tuple[TimelineEvent, ...]:
    """The timeline with each effective date whose rates a later act replaced before that
    day marked ``superseded`` (the $200 per item scheduled by the 4/9 order for June 1 never
    applied: the 5/12 order kept $100)."""
    steps = [s for s, _ in status.rates]
    return tuple(replace(e, status="superseded", certainty="signed") if _cancelled(e, steps)
                 else e for e in timeline)
