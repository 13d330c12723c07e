"""Hypothesis strategies for hostile documents: HTML pages, feeds, sitemaps, listing pages,
PDFs and OPML files, each built from hostile parts and then encoded and mangled."""

from __future__ import annotations

import gzip
import io
import re
from html import escape

from hypothesis import strategies as st

from tests.fuzz.hostile import (
    charsets,
    deep_json,
    encode,
    hostile_dates,
    hostile_text,
    json_values,
    mangle,
    raw_bytes,
    to_json,
)

DEPTHS = [0, 1, 10, 255, 256, 257, 1000, 3000]
DATE_KEYS = ["article:published_time", "og:published_time", "datePublished", "pubdate",
             "dc.date", "date", "og:title"]
hrefs = st.one_of(
    st.sampled_from(["https://news.example.gov/a", "/relative", "//evil.example/x", "",
                     "javascript:alert(1)", "http://[::1", "https://exa mple.gov/\u2028",
                     "http://xn--zz/", "mailto:x@y", "https://news.example.gov/%zz",
                     "https://news.example.gov:99999/", "data:text/html,<script>",
                     "https://news.example.gov/" + "a" * 5000, "http://", "#", "?q=1",
                     "https://user:pw@news.example.gov/", "https://news.example.gov/\x00"]),
    hostile_text,
)


def _attr(value: str) -> str:
    return escape(value, quote=True)


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# half the time, text XML 1.0 allows: parsers refuse the rest outright, and the code behind
# the parser (dates, URLs, registry validation) must be reached too
xml_text = st.one_of(hostile_text, hostile_text.map(lambda t: _XML_INVALID.sub("", t)))
xml_charsets = st.one_of(st.just("utf-8"), charsets)


@st.composite
def maybe_mangle(draw, body: bytes) -> bytes:
    """`body` as it is, or mangled (see `mangle`), half and half."""
    return draw(mangle(body)) if draw(st.booleans()) else body


@st.composite
def html_text(draw) -> str:
    """An HTML page (as text) with hostile title, dates, JSON-LD, body and nesting."""
    parts = ["<!DOCTYPE html>" if draw(st.booleans()) else ""]
    lang = draw(st.sampled_from(["en", "zh-TW", "", "-", "\u202e", "x" * 300]))
    parts.append(f'<html lang="{_attr(lang)}"><head>')
    if draw(st.booleans()):
        parts.append(f'<meta charset="{_attr(draw(charsets))}">')
    parts.append(f"<title>{escape(draw(hostile_text))}</title>")
    for key in draw(st.lists(st.sampled_from(DATE_KEYS), max_size=3)):
        parts.append(f'<meta property="{key}" content="{_attr(draw(hostile_dates()))}">')
    ld = draw(st.integers(0, 3))
    if ld == 1:
        parts.append('<script type="application/ld+json">'
                     f'{to_json({"datePublished": draw(hostile_dates())})}</script>')
    elif ld == 2:
        parts.append(f'<script type="application/ld+json">{to_json(draw(json_values))}</script>')
    elif ld == 3:
        parts.append('<script type="application/ld+json">'
                     f"{draw(st.sampled_from([deep_json(5000), '{', 'null', '[1,', 'NaN']))}"
                     "</script>")
    parts.append("</head><body>")
    depth = draw(st.sampled_from(DEPTHS))
    tag = draw(st.sampled_from(["div", "main", "article", "p", "table", "b", "x-y"]))
    parts.append(f"<{tag}>" * depth)
    parts.append(f"<h1>{escape(draw(hostile_text))}</h1>")
    if draw(st.booleans()):
        parts.append(f'<time datetime="{_attr(draw(hostile_dates()))}">x</time>')
    for para in draw(st.lists(hostile_text, max_size=6)):
        parts.append(f"<p>{escape(para) if draw(st.booleans()) else para}</p>")
    parts.append(f"</{tag}>" * draw(st.sampled_from([depth, 0])))
    parts.append("</body></html>")
    return "".join(parts)


@st.composite
def html_bytes(draw) -> bytes:
    """An HTML page's bytes: encoded in some charset (maybe not the declared one), mangled."""
    body = encode(draw(html_text()), draw(xml_charsets))
    return draw(maybe_mangle(body))


pages = st.one_of(html_bytes(), raw_bytes)

# --- feeds -------------------------------------------------------------------------------------


@st.composite
def feed_bytes(draw) -> bytes:
    """An RSS 2.0, Atom or RSS 1.0 feed with hostile items, declared charset and mangling."""
    flavour = draw(st.sampled_from(["rss", "atom", "rdf"]))
    items = []
    for _ in range(draw(st.integers(0, 6))):
        link, title = draw(hrefs), draw(xml_text)
        date, summary = draw(hostile_dates()), draw(xml_text)
        esc = (lambda s: escape(s)) if draw(st.booleans()) else (lambda s: s)
        if flavour == "atom":
            items.append(f'<entry><title>{esc(title)}</title><link href="{_attr(link)}"/>'
                         f"<id>{esc(link)}</id><updated>{esc(date)}</updated>"
                         f"<published>{esc(draw(hostile_dates()))}</published>"
                         f"<summary>{esc(summary)}</summary></entry>")
        else:
            tag = "dc:date" if flavour == "rdf" else "pubDate"
            items.append(f"<item><title>{esc(title)}</title><link>{esc(link)}</link>"
                         f"<{tag}>{esc(date)}</{tag}><description>{esc(summary)}</description>"
                         f"<guid>{esc(draw(hostile_text))}</guid></item>")
    charset = draw(xml_charsets)
    prolog = f'<?xml version="1.0" encoding="{_attr(charset)}"?>' if draw(st.booleans()) else ""
    if draw(st.booleans()):  # entity expansion (billion laughs), which expat must refuse
        prolog += ('<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                   '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;">]>')
    if flavour == "atom":
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{"".join(items)}</feed>'
    elif flavour == "rdf":
        doc = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
               'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
               f'<channel><title>t</title></channel>{"".join(items)}</rdf:RDF>')
    else:
        doc = f'<rss version="2.0"><channel><title>t</title>{"".join(items)}</channel></rss>'
    depth = draw(st.sampled_from([0, 0, 0, 100, 2000]))
    doc = doc.replace("<title>t</title>", "<x>" * depth + "</x>" * depth + "<title>t</title>", 1)
    return draw(maybe_mangle(encode(prolog + doc, charset)))


feeds = st.one_of(feed_bytes(), html_bytes(), raw_bytes)

# --- sitemaps and listing pages ----------------------------------------------------------------


@st.composite
def sitemap_bytes(draw) -> bytes:
    """A sitemap index or URL set with hostile locs and lastmods, maybe gzipped."""
    index = draw(st.booleans())
    tag, child = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        loc = draw(hrefs)
        lastmod = (f"<lastmod>{escape(draw(hostile_dates()))}</lastmod>"
                   if draw(st.booleans()) else "")
        loc_xml = f"<loc>{escape(loc)}</loc>" if draw(st.integers(0, 5)) else ""
        rows.append(f"<{child}>{loc_xml}{lastmod}</{child}>")
    ns = ' xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"' if draw(st.booleans()) else ""
    root = draw(st.sampled_from([tag, tag, "html", "rss"]))
    body = encode(f'<?xml version="1.0"?><{root}{ns}>{"".join(rows)}</{root}>',
                  draw(xml_charsets))
    body = draw(maybe_mangle(body))
    if draw(st.integers(0, 3)) == 0:
        body = gzip.compress(body)
        if draw(st.booleans()):
            body = body[: draw(st.integers(0, len(body)))]  # a cut gzip stream
    return body


sitemaps = st.one_of(sitemap_bytes(), raw_bytes)


@st.composite
def listing_bytes(draw) -> bytes:
    """A WordPress-like listing page (the selectors of `tests/fuzz` sources) with hostile cards."""
    cards = []
    for _ in range(draw(st.integers(0, 8))):
        when = draw(hostile_dates())
        date = (f'<time datetime="{_attr(when)}">{escape(draw(hostile_text))}</time>'
                if draw(st.booleans()) else f"<time>{escape(when)}</time>")
        cards.append(f'<li class="post"><h2><a href="{_attr(draw(hrefs))}">'
                     f"{escape(draw(hostile_text))}</a></h2>{date}</li>")
    nxt = (f'<a class="next" href="{_attr(draw(hrefs))}">Next</a>'
           if draw(st.booleans()) else "")
    depth = draw(st.sampled_from([0, 0, 300, 2000]))
    page = f'<html><body>{"<div>" * depth}<ul>{"".join(cards)}</ul>{nxt}</body></html>'
    return draw(maybe_mangle(encode(page, draw(xml_charsets))))


listings = st.one_of(listing_bytes(), raw_bytes)

# --- PDFs --------------------------------------------------------------------------------------


def pdf_document(text: str, title: str, created: str) -> bytes:
    """A one-page PDF with `text` drawn on it and the given /Title and /CreationDate."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 10 100 Td ({safe}) Tj ET".encode("latin-1", "replace"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({"/Title": title, "/CreationDate": created})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


pdf_dates = st.one_of(
    hostile_dates(),
    st.builds(lambda y, rest, sign, oh, om: f"D:{y}{rest}{sign}{oh}'{om}'",
              st.sampled_from(["0000", "0001", "1999", "2025", "9999"]),
              st.text("0123456789", max_size=10), st.sampled_from(["+", "-", "Z", "z", "", "x"]),
              st.sampled_from(["00", "05", "14", "23", "24", "99"]),
              st.sampled_from(["00", "30", "59", "60", "99"])),
)


@st.composite
def pdf_bytes(draw) -> bytes:
    """A real PDF with hostile text and metadata, then (often) mangled."""
    body = pdf_document(draw(hostile_text), draw(hostile_text), draw(pdf_dates))
    return draw(maybe_mangle(body))


pdfs = st.one_of(pdf_bytes(), raw_bytes.map(lambda b: b"%PDF-1.4\n" + b))

# --- OPML --------------------------------------------------------------------------------------


@st.composite
def opml_bytes(draw) -> bytes:
    """An OPML file with hostile (nested) outlines, declared charset and mangling."""
    outlines = []
    for _ in range(draw(st.integers(0, 6))):
        attrs = {k: draw(xml_text) for k in draw(st.lists(st.sampled_from(
            ["title", "text", "radarId", "radarCountry", "radarPublisher", "language",
             "category"]), max_size=5, unique=True))}
        attrs["xmlUrl"] = draw(hrefs)
        depth = draw(st.sampled_from([0, 0, 5, 500]))
        attr_xml = " ".join(f'{k}="{_attr(v)}"' for k, v in attrs.items())
        outlines.append('<outline text="g">' * depth + f"<outline {attr_xml}/>"
                        + "</outline>" * depth)
    root = draw(st.sampled_from(["opml", "opml", "rss", "OPML"]))
    charset = draw(xml_charsets)
    doc = (f'<?xml version="1.0" encoding="{_attr(charset)}"?><{root} version="2.0"><head/>'
           f'<body>{"".join(outlines)}</body></{root}>')
    return draw(maybe_mangle(encode(doc, charset)))


opmls = st.one_of(opml_bytes(), raw_bytes)
