"""The case a templated trade notice is about, read from its title.

Federal Register trade notices share one template per family and differ only in their slots:
"<Product> From <Country>: Final Results of Antidumping Duty Administrative Review" (Commerce
and USITC AD/CVD notices) and "Certain <Product>; Notice of Institution of Investigation"
(USITC Section 337 patent cases). Their embeddings are near-identical, so clustering compares
the slots instead: notices of one case (same product, a shared country) belong together,
notices of different cases never do, however alike the boilerplate reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "X From Y:" or "X From Y;" with an AD/CVD or review word after it (or nothing: some
# USITC titles end at the country list).
_ADCVD = re.compile(r"^(?P<product>.+?),?\s+(?:From|from)\s+(?P<countries>[^:;]+?)\s*(?:[:;]|$)")
_ADCVD_WORDS = re.compile(
    r"(?i)antidumping|countervailing|less[\s-]+than[\s-]+fair|duty|sunset|five-year|review|"
    r"investigation|determination|scope|circumvention|continuation|revocation|order")
# "Certain X; Notice of ..." / "Certain X, DN 1234; Notice of Receipt of Complaint" (USITC 337).
_S337 = re.compile(r"^Certain\s+(?P<product>[^;]+?)\s*(?:;|,\s*DN\s+\d+|$)")
_S337_WORDS = re.compile(
    r"(?i)complaint|institution|investigation|determination|exclusion|commission|"
    r"initial determination|violation|remand|terminat|section 337")
_DROP_WORDS = frozenset(
    "certain the of and or a an for with its thereof therewith used same products components "
    "containing including".split())
_COUNTRY_DROP = re.compile(
    r"(?i)\b(?:the|people'?s|socialist|federal|islamic|kingdom|republic|of|democratic|"
    r"united mexican states)\b")
_COUNTRY_ALIASES = {"south korea": "korea", "türkiye": "turkey", "turkiye": "turkey",
                    "t[uuml]rkiye": "turkey", "prc": "china"}
_SPLIT = re.compile(r"\s*(?:,\s*and\s+|,\s*|\s+and\s+)\s*")
_WORD = re.compile(r"[a-z0-9]+")
# Which proceeding of an order a notice belongs to, most specific first: a court remand, a
# scope or circumvention inquiry, a changed-circumstances review, a sunset review, an
# administrative review; anything else (petitions, investigations, determinations, orders)
# is the investigation.
_PROCEEDINGS = (
    ("court", re.compile(r"(?i)court decision|remand")),
    ("scope", re.compile(r"(?i)scope|circumvention|covered merchandise|evasion")),
    ("changed", re.compile(r"(?i)changed circumstances")),
    ("sunset", re.compile(r"(?i)sunset|five-year|continuation|revocation")),
    ("review", re.compile(r"(?i)administrative review|new shipper")),
)


def _proceeding(text: str) -> str:
    for name, pattern in _PROCEEDINGS:
        if pattern.search(text):
            return name
    return "investigation"


@dataclass(frozen=True)
class Case:
    """The slots of one templated notice: family, product words and countries."""

    family: str  # "adcvd" | "337"
    product: tuple[str, ...]  # first content words of the product, lower case
    countries: frozenset[str]  # normalised country names (empty for 337 cases)
    proceeding: str = "investigation"  # AD/CVD: investigation, review, sunset, changed, scope, court

    def same_case(self, other: Case) -> bool:
        """Same family, product and proceeding, and (AD/CVD) at least one country in common."""
        if self.family != other.family or not _product_match(self.product, other.product):
            return False
        if self.family == "337":
            return True
        return self.proceeding == other.proceeding and bool(self.countries & other.countries)


def _product_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    # Notices of one case spell the product alike, the USITC's often shorter ("Malleable Iron
    # Pipe Fittings" / "Certain Malleable Cast Iron Pipe Fittings"): the words of the shorter
    # spelling all occur in the longer one.
    short, long_ = sorted((frozenset(w.rstrip("s") for w in a), frozenset(w.rstrip("s") for w in b)),
                          key=len)
    return bool(short) and short <= long_


def _words(text: str, limit: int = 5) -> tuple[str, ...]:
    words = [w for w in _WORD.findall(text.lower().replace("'", "")) if w not in _DROP_WORDS]
    return tuple(words[:limit])


def fits_case(case: Case, story_cases) -> bool:
    """Whether a notice of ``case`` belongs with a story holding notices of ``story_cases``:
    it must be the same case as every one of them (a notice naming several countries must
    not bridge the separate cases of two of them)."""
    cases = list(story_cases)
    return bool(cases) and all(case.same_case(c) for c in cases)


def _countries(text: str) -> frozenset[str]:
    # "the People's Republic of China, India, and the Socialist Republic of Vietnam"
    parts = _SPLIT.split(text)
    out = set()
    for part in parts:
        name = " ".join(_COUNTRY_DROP.sub(" ", part).lower().split())
        if name:
            out.add(_COUNTRY_ALIASES.get(name, name))
    return frozenset(out)


def case_of(title: str) -> Case | None:
    """The case a templated AD/CVD or Section 337 notice title names, else None.

    >>> case_of("Epoxy Resins From Taiwan: Final Affirmative Countervailing Duty Determination")
    Case(family='adcvd', product=('epoxy', 'resins'), countries=frozenset({'taiwan'}), \
proceeding='investigation')
    """
    title = " ".join(title.split())
    m = _ADCVD.match(title)
    if m and _ADCVD_WORDS.search(title[m.end("countries"):]) and len(m.group("countries")) < 160:
        product = _words(m.group("product"))
        countries = _countries(m.group("countries"))
        if product and countries:
            return Case("adcvd", product, countries, _proceeding(title[m.end("countries"):]))
    m = _S337.match(title)
    if m and _S337_WORDS.search(title[m.end("product"):]):
        product = _words(m.group("product"))
        if product:
            return Case("337", product, frozenset())
    return None


_STOP = frozenset(
    "the of and or a an for with its to in on at by from as is are be was were has have had this that "
    "these those it into over after before about amid says said will would could should may can new "
    "not no more most than also his her their our your out up off us".split())


def title_key(title: str) -> str:
    """A title's words in lower case (copies differ in case, quotes and spacing)."""
    return " ".join(_WORD.findall(title.lower()))


def title_terms(title: str) -> frozenset[str]:
    """Content words of a title, lower case, a plural "s" dropped (for IDF-weighted overlap)."""
    return frozenset(w.rstrip("s") for w in _WORD.findall(title.lower().replace("'", ""))
                     if len(w) > 2 and w not in _STOP)
