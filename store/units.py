"""What a document must contain to match a query: its units (a word, a phrase the texts use,
a known name with all its wordings, a Chinese/Japanese/Korean word), each a pattern over the
document's text, and the checks that keep a word in its own sense.

* **Known names and phrases are one unit.** Consecutive query words that form a key of the
  vocabulary (synonyms, gazetteer aliases, glossary terms: "CHIPS Act", "export controls",
  "Entity List") are matched as that phrase or any of its other wordings ("CHIPS and Science
  Act", 晶片法案), never word by word, so "CHIPS Act" is not every Act.
* **ALL-CAPS is an acronym.** An ALL-CAPS wording matches only in capitals ("CHIPS", "ROC");
  a lower-case word that the texts also use in lower case ("chip") does not match a short
  ALL-CAPS token (Medicaid's "CHIP"), nor a capitalised word after a title ("Rep. Chip Roy").
* **A name inside a longer name is not that name** ("Republic of China" inside "People's
  Republic of China"): an occurrence inside a longer wording of the vocabulary is skipped.
* **CJK** words match as substrings of the text folded to Simplified Chinese (store/segment.py).
"""

from __future__ import annotations

import functools
import heapq
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from store.segment import fold, has_cjk, query_words

_CAPS_WORD = re.compile(r"^[A-Z][A-Z0-9&\-]*[A-Z0-9]$")
# A title or a capitalised word before a capitalised word makes it a name's ("Rep. Chip Roy",
# "Respondents Quantum Energy Partners"); a capitalised function word does not: that is a
# Title-Case headline ("Amendment To Duties To Address ...").
_TITLE_BEFORE = re.compile(
    r"(?:\b(?:Rep|Sen|Gov|Mr|Mrs|Ms|Dr|Hon|Representative|Senator|Congressman|Congresswoman|"
    r"Governor|Secretary|Judge)\.?|\b(?!(?:To|Of|On|And|The|For|In|With|At|By|From|Into|Across|"
    r"Our|Its|Their|A|An|Against|Under|Over)\b)[A-Z][a-z]+,?)\s+$")
_LETTERS = re.compile(r"[A-Za-z]+")


def _straight(text: str) -> str:
    """Curly apostrophes as straight ones and no-break / thin spaces as spaces (same length;
    str.replace is ~10x translate): a title's "People\u2019S\xa0Republic Of China" is the
    longer name the check of `Unit.longer` looks for, not "Republic of China"."""
    for q in ("\u2019", "\u2018", "\u02bc"):
        if q in text:
            text = text.replace(q, "'")
    for q in ("\xa0", "\u2009", "\u202f"):
        if q in text:
            text = text.replace(q, " ")
    return text


def term_regex(stem: str) -> str:
    """Regex of a (stemmed, lower-case) term: a word prefix; short terms as whole words
    (3 letters: with -s/-ed/-ing), so "de" never matches "department"."""
    body = r"\W+".join(re.escape(w) for w in stem.lower().split())
    if len(stem) <= 2:
        return r"\b" + body + r"\b"
    if len(stem) == 3:
        return r"\b" + body + r"(?:s|es|ed|ing)?\b"
    return r"\b" + body + r"\w*"


def wording_regex(wording: str) -> str:
    """Regex of one wording of a unit: CJK as a folded substring; ALL-CAPS words
    case-sensitively (with an optional plural s); other words as `term_regex` prefixes."""
    if has_cjk(wording):
        return re.escape(fold(wording))
    parts = []
    words = wording.split()
    for i, w in enumerate(words):
        if _CAPS_WORD.match(w) and len(w) > 1:
            parts.append(r"\b(?-i:" + re.escape(w) + r")s?\b")
        elif i == len(words) - 1:
            parts.append(term_regex(w.lower()) if re.fullmatch(r"\w+", w) else
                         r"\b" + re.escape(w.lower()))
        else:
            parts.append(r"\b" + re.escape(w.lower()) + r"\b" if re.fullmatch(r"\w+", w)
                         else r"\b" + re.escape(w.lower()))
    return r"\W+".join(parts)


@dataclass(frozen=True)
class Unit:
    """One thing a document must contain: a pattern (compiled case-insensitively; ALL-CAPS
    wordings inside it case-sensitively) and what rules occurrences out."""

    label: str  # the query words it stands for
    pattern: str
    literals: tuple[str, ...] = ()  # lower-case strings every match contains (a fast pre-check)
    word_sense: tuple[str, ...] = ()  # lower-case words whose acronym / name uses do not count
    # ... the same for the query's own lower-case words, but only where the texts use them in
    # lower case too (a typed "usmca" is the acronym, a typed "chip" is not)
    typed_sense: tuple[str, ...] = ()
    longer: tuple[str, ...] = ()  # lower-case longer wordings an occurrence must not sit in
    search_words: tuple[str, ...] = ()  # what the BM25 query adds for this unit
    _compiled: list[re.Pattern[str]] = field(default_factory=list, compare=False, repr=False)

    def regex(self) -> re.Pattern[str]:
        """The compiled pattern (cached on the unit)."""
        if not self._compiled:
            self._compiled.append(re.compile(self.pattern, re.IGNORECASE))
        return self._compiled[0]


def build_unit(label: str, main: str | None, wordings: Sequence[str],
               vocabulary_phrases: Sequence[str] = ()) -> Unit:
    """A unit from its main regex (the query's own words, None for a name known only by its
    wordings) and its other wordings.

    Args:
        label: the query words.
        main: regex of the query's own words, or None.
        wordings: other wordings (synonyms, aliases, translations).
        vocabulary_phrases: every lower-case phrase of the vocabulary (for `longer`).
    """
    wordings = tuple(dict.fromkeys(w for w in wordings if w.strip()))
    pats = ([main] if main else []) + [wording_regex(w) for w in wordings]
    pattern = pats[0] if len(pats) == 1 else "(?:" + "|".join(pats) + ")"
    lowered = [w.lower() for w in (label, *wordings) if not has_cjk(w)]
    typed = {w for w in _LETTERS.findall(label) if w.islower() and len(w) >= 3}
    sense = tuple(sorted({x for w in wordings if not has_cjk(w) for x in _LETTERS.findall(w)
                          if x.islower() and len(x) >= 3} - typed))
    longer = tuple(sorted({p for p in vocabulary_phrases for w in lowered
                           if w in p and p != w and p not in lowered
                           and re.search(r"\b" + re.escape(w) + r"\b", p)}))
    literals = (label.lower(),) if not wordings and main and has_cjk(label) else ()
    search = tuple(dict.fromkeys([label, *wordings]))
    return Unit(label, pattern, literals=literals, word_sense=sense, longer=longer,
                search_words=search, typed_sense=tuple(sorted(typed)))


Matching = Callable[[Unit], frozenset[str]]


@dataclass
class Texts:
    """The candidate documents' texts for matching: folded (CJK to Simplified), and
    lower-cased copies for the pre-checks."""

    bodies: Mapping[str, str]
    lowered: dict[str, str] = field(default_factory=dict)
    _lower_use: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Curly apostrophes as straight ones (same length): "People’s Republic of China".
        self.bodies = {k: _straight(fold(v) if has_cjk(v) else v)
                       for k, v in self.bodies.items()}
        self.lowered = {k: v.lower() for k, v in self.bodies.items()}

    def used_in_lower_case(self, word: str) -> bool:
        """Whether some text uses `word` (a prefix of a lower-case word) in lower case."""
        if word not in self._lower_use:
            pat = re.compile(r"\b" + re.escape(word))
            self._lower_use[word] = any(word in t and pat.search(b)
                                        for t, b in zip(self.lowered.values(),
                                                        self.bodies.values(), strict=True))
        return self._lower_use[word]


def _counts(m: re.Match[str], text: str, lower: str, unit: Unit, texts: Texts) -> bool:
    """Whether one occurrence counts (not an acronym, name or longer name's part)."""
    found = m.group(0)
    first = _LETTERS.match(found)
    if first and (unit.word_sense or unit.typed_sense):
        token = first.group(0)
        word = token.lower()
        sense = next((w for w in unit.word_sense if word.startswith(w[:4])), None)
        typed = next((w for w in unit.typed_sense if word.startswith(w[:4])), None)
        if token.isupper() and 2 <= len(token) <= 6 and (
                sense or (typed and texts.used_in_lower_case(typed))):
            return False  # CHIP (Medicaid) for "chip"
        sense = sense or typed
        if sense and token[0].isupper() and not token.isupper() \
                and _TITLE_BEFORE.search(text[max(0, m.start() - 16):m.start()]) \
                and re.match(r"\s+[A-Z][a-z]", text[m.end():m.end() + 3]):
            return False  # Rep. Chip Roy for "chip"
    for phrase in unit.longer:
        start = max(0, m.start() - len(phrase))
        at = lower.find(phrase, start, m.end() + len(phrase))
        while at != -1 and at <= m.start():
            end = at + len(phrase)
            # ... also where the text glues the next word on ("REPUBLIC OF CHINAExecutive"
            # is "People's Republic of China" though the match runs on into "Executive")
            if end >= m.end() or (m.start() < end < len(lower) and lower[end].isalnum()
                                  and lower[end - 1].isalnum()):
                return False
            at = lower.find(phrase, at + 1, m.end() + len(phrase))
    return True


_META = set("()[]{}?*+|^$.\\")


def _split_top(pattern: str) -> list[str] | None:
    """A pattern cut at its top-level "|"; None when it has a character class or unbalanced
    parentheses (no pre-check is derived then)."""
    parts, depth, at, i = [], 0, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            return None
        depth += (c == "(") - (c == ")")
        if depth < 0:
            return None
        if c == "|" and depth == 0:
            parts.append(pattern[at:i])
            at = i + 1
        i += 1
    return [*parts, pattern[at:]] if depth == 0 else None


def _alternatives(pattern: str) -> list[str] | None:
    """The top-level alternatives of a unit's pattern ("(?:a|b)" -> [a, b]); None when they
    cannot be told apart safely."""
    parts = _split_top(pattern)
    if parts == [pattern] and pattern.startswith("(?:") and pattern.endswith(")"):
        inner = _split_top(pattern[3:-1])
        if inner is not None and _split_top(pattern[3:-1] + ")") is None:
            return inner  # the group spans the whole pattern
    return parts


@functools.lru_cache(maxsize=4096)
def anchors(pattern: str) -> tuple[str, ...]:
    r"""Lower-case strings one of which starts every match of a unit's pattern (each
    alternative's leading literal: "tariff" of r"\btariff\w*", "chips" of
    r"\b(?-i:CHIPS)s?\b"); () when some alternative has none (no pre-check then)."""
    out = []
    alternatives = _alternatives(pattern)
    if alternatives is None:
        return ()
    for alt in alternatives:
        for lead in (r"\b(?-i:", r"\b"):
            if alt.startswith(lead):
                alt = alt[len(lead):]
                break
        literal, i = [], 0
        while i < len(alt):
            c = alt[i]
            if c == "\\":
                if i + 1 < len(alt) and not alt[i + 1].isalnum():
                    literal.append(alt[i + 1])
                    i += 2
                    continue
                break
            if c in _META:
                break
            literal.append(c)
            i += 1
        if i < len(alt) and alt[i] in "?*{" and literal:
            literal.pop()  # the last character is optional
        if not literal:
            return ()
        out.append("".join(literal).lower())
    return tuple(dict.fromkeys(out))


def unit_matching(texts: Texts, repeated: dict[str, frozenset[str]] | None = None) -> Matching:
    """A memoised lookup: unit -> the keys of the texts that contain it. A text without any
    of the unit's leading literals (`anchors`) is skipped without the regex, and the regex is
    tried only where one starts (`anchored_matches`).

    Args:
        texts: the texts.
        repeated: filled with unit label -> the keys of the texts that contain it at least
            twice (a single mention in a long text is often in passing).
    """
    found: dict[str, frozenset[str]] = {}
    twice: dict[str, frozenset[str]] = {}

    def matching(unit: Unit) -> frozenset[str]:
        key = unit.pattern + "\x1f" + "\x1f".join(unit.longer)
        if key not in found:
            pattern = unit.regex()
            leads = anchors(unit.pattern)
            hits, many = [], []
            for k, body in texts.bodies.items():
                lower = texts.lowered[k]
                if any(w not in lower for w in unit.literals):
                    continue
                if leads and not any(w in lower for w in leads):
                    continue
                # lower() may change a text's length (rare letters): then the whole text is
                # scanned.
                matches = anchored_matches(pattern, body, lower, leads) \
                    if leads and len(lower) == len(body) else pattern.finditer(body)
                counted, end = 0, -1
                for m in matches:
                    if m.start() < end:
                        continue  # inside the previous match
                    end = m.end()
                    if _counts(m, body, lower, unit, texts):
                        counted += 1
                        if counted == 2 or repeated is None:
                            break
                if counted:
                    hits.append(k)
                    if counted > 1:
                        many.append(k)
            found[key] = frozenset(hits)
            twice[key] = frozenset(many)
        if repeated is not None:
            repeated[unit.label] = twice[key]
        return found[key]

    return matching


def anchored_matches(pattern: re.Pattern[str], text: str, lower: str,
                     leads: Sequence[str]) -> Iterator[re.Match[str]]:
    """The matches of `pattern` in `text` that start where one of its leading literals
    (`anchors`, lower case) starts in `lower` (`text` lower-cased, of the same length), in
    order of position.

    Every match starts with a leading literal, so the regex is tried only there (positions
    from str.find), not at every position of a 60,000-character text; positions are found as
    they are needed, so a caller that stops at the first match looks no further.
    """
    heap = [(at, w) for w in leads if (at := lower.find(w)) != -1]
    heapq.heapify(heap)
    last = -1
    while heap:
        at, w = heap[0]
        following = lower.find(w, at + 1)
        if following == -1:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (following, w))
        if at != last:  # two literals starting at one position: tried once
            last = at
            if m := pattern.match(text, at):
                yield m


def cjk_units(query: str, known: Sequence[str], vocabulary: Mapping[str, Sequence[str]],
              phrases: Sequence[str]) -> list[Unit]:
    """Units of the query's Chinese/Japanese/Korean words (names the vocabulary knows kept
    whole, with their other wordings)."""
    units = []
    folded_vocab = {fold(k): v for k, v in vocabulary.items() if has_cjk(k)}
    for word in query_words(query, known):
        units.append(build_unit(word, re.escape(word), folded_vocab.get(word, ()), phrases))
    return units
