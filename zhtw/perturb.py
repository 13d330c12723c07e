"""Error injection for measuring the faithfulness check (zhtw/check.py).

Each hand-written zh-TW reference of tests/dev/translations.jsonl gets, where its sentence has
such an element, one realistic translation error per type: a changed number (a digit, or the
萬/億 scale), a shifted date, a swapped country, a dropped negation, a wrong glossary term (a
known wrong rendering). The check should reject every perturbed reference and accept the
references themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from zhtw.check import check_translation, english_negations, non_negating_spans
from zhtw.glossary import Lexicon, load_lexicon
from zhtw.quantities import HS_CODE, ZH_DATE, ZH_ISO, english_quantities

ERROR_TYPES = ("number", "date", "country", "negation", "glossary")
_ZH_ARABIC = re.compile(r"(?<![A-Za-z0-9.\-])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?([萬億兆]?)")
_SCALE_SLIP = {"萬": "億", "億": "萬", "兆": "億"}
# Negation words and what a translation that lost the negation would say instead.
_NEGATION_DROP = (("不得", "得"), ("不會", "會"), ("不再", "仍"), ("並未", "已"), ("尚未", "已"),
                  ("沒有", "有"), ("無須", "須"), ("無法", "能"), ("不", ""), ("未", "已"),
                  ("無", "有"), ("非", "是"), ("沒", ""))
_SWAP_TO = ("日本", "南韓", "德國", "印度", "越南", "墨西哥", "加拿大", "英國", "法國", "中國大陸")


@dataclass(frozen=True)
class Reference:
    """One dev-set sentence: the English source and its hand-written zh-TW translation."""

    id: str
    url: str
    en: str
    zh: str
    split: str = "dev"


@dataclass(frozen=True)
class Perturbed:
    """A reference with one injected error."""

    kind: str
    zh: str
    change: str  # what was changed, for reading failures


@dataclass(frozen=True)
class Evaluation:
    """Detection per error type and false alarms on the unperturbed references."""

    references: int
    false_alarms: tuple[tuple[str, tuple[str, ...]], ...]  # (reference id, problems)
    detected: dict[str, int]
    injected: dict[str, int]
    missed: tuple[tuple[str, str, str], ...]  # (kind, reference id, change)

    @property
    def false_alarm_rate(self) -> float:
        """Share of correct references the check rejects."""
        return len(self.false_alarms) / self.references if self.references else 0.0

    def detection(self, kind: str | None = None) -> float:
        """Share of injected errors rejected (one type, or all)."""
        kinds = [kind] if kind else list(self.injected)
        found = sum(self.detected[k] for k in kinds)
        total = sum(self.injected[k] for k in kinds)
        return found / total if total else 1.0


def load_references(path: Path, split: str | None = None) -> list[Reference]:
    """Read a translations JSONL file (id, url, en, zh, split), optionally one split."""
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [Reference(r["id"], r["url"], r["en"], r["zh"], r.get("split", "dev")) for r in rows
            if split is None or r.get("split", "dev") == split]


def _date_spans(zh: str) -> list[tuple[int, int]]:
    return [m.span() for p in (ZH_ISO, ZH_DATE, HS_CODE) for m in p.finditer(zh)]


def _outside(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    return not any(s < span[1] and span[0] < e for s, e in spans)


def perturb_number(ref: Reference, seed: int) -> Perturbed | None:
    """Change one number that is not part of a date or code: a digit, or the 萬/億 scale."""
    if not english_quantities(ref.en).numbers:
        return None
    blocked = _date_spans(ref.zh)
    found = [m for m in _ZH_ARABIC.finditer(ref.zh) if _outside(m.span(), blocked)]
    if not found:
        return None
    m = found[seed % len(found)]
    whole, frac, scale = m.group(1), m.group(2), m.group(3)
    if scale and seed % 2 == 0:
        new = whole + (f".{frac}" if frac else "") + _SCALE_SLIP[scale]
    else:
        digits = [i for i, c in enumerate(whole) if c.isdigit()]
        i = digits[-1] if len(digits) == 1 or seed % 3 else digits[0]
        bumped = str((int(whole[i]) + 1) % 10) if not (i == digits[0] and whole[i] == "9") else "8"
        if i == digits[0] and bumped == "0" and len(digits) > 1:
            bumped = "2"
        new = whole[:i] + bumped + whole[i + 1:] + (f".{frac}" if frac else "") + scale
    zh = ref.zh[:m.start()] + new + ref.zh[m.end():]
    return Perturbed("number", zh, f"{m.group(0)} -> {new}") if zh != ref.zh else None


def perturb_date(ref: Reference, seed: int) -> Perturbed | None:
    """Shift one date by a day (or a month when it has no day)."""
    if not english_quantities(ref.en).dates:
        return None
    found = [m for m in ZH_DATE.finditer(ref.zh) if m.group("mon").isdigit()] + \
        list(ZH_ISO.finditer(ref.zh))
    if not found:
        return None
    m = found[seed % len(found)]
    text = m.group(0)
    if m.group("day") and m.group("day").isdigit():
        day = int(m.group("day"))
        new_day = day - 1 if day >= 28 else day + 1
        start, end = m.span("day")
        new = text[:start - m.start()] + str(new_day) + text[end - m.start():]
    else:
        month = int(m.group("mon"))
        start, end = m.span("mon")
        new = text[:start - m.start()] + str(month % 12 + 1) + text[end - m.start():]
    zh = ref.zh[:m.start()] + new + ref.zh[m.end():]
    return Perturbed("date", zh, f"{text} -> {new}")


def perturb_country(ref: Reference, seed: int, lexicon: Lexicon) -> Perturbed | None:
    """Replace the first zh form of a country the source names by another country."""
    countries = [f.term for f in lexicon.find(ref.en) if f.term.key.startswith("country:")]
    named = {t.key for t in countries}
    for term in sorted(countries, key=lambda t: t.generic):  # a specific country first
        for form in sorted(term.accepted, key=len, reverse=True):
            pos = ref.zh.find(form)
            if pos < 0 or form.isascii():
                continue
            options = [c for c in _SWAP_TO if c not in ref.zh and not any(
                c in lexicon.terms[k].accepted for k in named)]
            swap = options[seed % len(options)]
            zh = ref.zh[:pos] + swap + ref.zh[pos + len(form):]
            return Perturbed("country", zh, f"{form} -> {swap}")
    return None


def perturb_negation(ref: Reference, seed: int) -> Perturbed | None:
    """Drop one negation word of a sentence whose source is negated."""
    cues = negation_cues(ref.zh)
    if not cues or not english_negations(ref.en):
        return None
    start, word = cues[seed % len(cues)]
    replacement = dict(_NEGATION_DROP)[word]
    zh = ref.zh[:start] + replacement + ref.zh[start + len(word):]
    return Perturbed("negation", zh, f"{word} -> {replacement or '(dropped)'}")


def negation_cues(zh: str) -> list[tuple[int, str]]:
    """Positions of the negation words (not inside 不同, 無人機, 免稅 ...)."""
    blocked = non_negating_spans(zh)
    words = "|".join(w for w, _ in _NEGATION_DROP)
    return [(m.start(), m.group(0)) for m in re.finditer(words, zh) if _outside(m.span(), blocked)]


def perturb_glossary(ref: Reference, seed: int, lexicon: Lexicon) -> Perturbed | None:
    """Write one glossary term of the source with a known wrong rendering, everywhere."""
    terms = [f.term for f in lexicon.find(ref.en) if f.kind == "glossary" and f.term.repairs
             and f.term.present(ref.zh)]
    if not terms:
        return None
    term = terms[seed % len(terms)]
    wrong = [w for w, _ in term.repairs if not term.present(w)]
    if not wrong:
        return None
    bad = wrong[seed % len(wrong)]
    zh = ref.zh
    for form in sorted(term.accepted, key=len, reverse=True):
        zh = zh.replace(form, bad)
    return Perturbed("glossary", zh, f"{term.zh} -> {bad}") if not term.present(zh) else None


def perturbations(ref: Reference, seed: int, lexicon: Lexicon) -> list[Perturbed]:
    """Every error type that applies to this reference."""
    made = (perturb_number(ref, seed), perturb_date(ref, seed),
            perturb_country(ref, seed, lexicon), perturb_negation(ref, seed),
            perturb_glossary(ref, seed, lexicon))
    return [p for p in made if p is not None and p.zh != ref.zh]


def evaluate(refs: Iterable[Reference], lexicon: Lexicon | None = None) -> Evaluation:
    """Run the check on each reference and on its perturbations.

    Detection counts only perturbations of references the check accepts (a rejected reference
    would make its perturbations look caught for the wrong reason).
    """
    lex = lexicon or load_lexicon()
    false_alarms, missed = [], []
    detected = dict.fromkeys(ERROR_TYPES, 0)
    injected = dict.fromkeys(ERROR_TYPES, 0)
    refs = list(refs)
    for seed, ref in enumerate(refs):
        base = check_translation(ref.en, ref.zh, lex)
        if not base.ok:
            false_alarms.append((ref.id, base.problems))
            continue
        for p in perturbations(ref, seed, lex):
            injected[p.kind] += 1
            if check_translation(ref.en, p.zh, lex).ok:
                missed.append((p.kind, ref.id, p.change))
            else:
                detected[p.kind] += 1
    return Evaluation(len(refs), tuple(false_alarms), detected, injected, tuple(missed))
