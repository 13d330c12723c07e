"""Publication dates read from pages, per language: how often `crawlers.extract.extract_page`
gives a page the day it was published, on the pages the demo crawls and the recorded ones.

    nice -n 10 .venv/bin/python benchmarks/page_dates.py

Pages and their known day:

* zh-Hant — the bundled 總統府 items (demo/snapshot/foreign) in the mirror's president.gov.tw
  article shape (replay/mirror_foreign.president_article: div.pageDate1 span.date 114年04月06日),
  and the same pages with the date node written in the other forms Taiwan's sites use
  (the ROC date as text of div.pageDate1, 中華民國114年4月6日, 114-04-06, 114/04/06, and
  「發布日期：114-04-06」 in a node with no date class);
* ja, en — METI leads, GOV.UK items and EUR-Lex acts in the mirror's plain article shape
  (<time datetime="YYYY-MM-DD">), and METI pages with the date written 令和7年4月6日 instead;
* de — the recorded BMBF press release (26.01.2022) and BMWK news page (24.01.2022).

A page counts as dated right when its published instant falls on the known day in the
publisher's zone. No timing is asserted anywhere; the run's time is printed.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.errors import BadInputError  # noqa: E402
from crawlers.extract import extract_page  # noqa: E402
from replay.mirror_foreign import ZONES, generic_article, load_foreign, president_article  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "foreign"
GERMAN = (("bmftr-press/bmbf-pressemitteilung-2022-01-26-260122-Directions.html",
           "https://www.bmbf.de/bmbf/shareddocs/pressemitteilungen/de/2022/01/260122-Directions.html",
           date(2022, 1, 26)),
          ("bmwk-press/bmwi-meldung-2022-01-24-foerderung-energieeffiziente-gebaeude.html",
           "https://www.bmwi.de/Redaktion/DE/Pressemitteilungen/2022/01/20220124-foerderung.html",
           date(2022, 1, 24)))


def _roc_forms(day: date) -> dict[str, str]:
    """The date node of a 總統府 page in each form (replacing the mirror's span.date)."""
    y = day.year - 1911
    return {"span.date 114年04月06日": None,
            "div text 114年04月06日": f"{y}年{day.month:02d}月{day.day:02d}日",
            "中華民國114年4月6日": f'<span class="date">中華民國{y}年{day.month}月{day.day}日</span>',
            "114-04-06": f'<span class="date">{y}-{day.month:02d}-{day.day:02d}</span>',
            "114/04/06": f'<span class="date">{y}/{day.month:02d}/{day.day:02d}</span>',
            "發布日期：114-04-06": f"<span>發布日期</span>：<span>{y}-{day.month:02d}-{day.day:02d}</span>"}


def cases():
    """(language, form, html bytes, url, zone, known day) for every measured page."""
    for it in load_foreign(ROOT / "demo" / "snapshot"):
        zone = ZONES.get(it.doc.get("country") or "", "UTC")
        day = it.published.astimezone(ZoneInfo(zone)).date()
        lang = it.doc.get("lang") or "en"
        if it.host == "www.president.gov.tw":
            page = president_article(it)
            shown = page.split('<span class="date">')[1].split("<")[0]
            for form, node in _roc_forms(day).items():
                html = page if node is None else page.replace(f'<span class="date">{shown}</span>', node)
                yield "zh-Hant", form, html.encode(), it.url, zone, day
        elif it.doc.get("text") and lang in ("ja", "en"):
            # the mirror's plain page shows the item's own day in the publisher's zone, as the
            # real site does (a METI item of 2025-04-06T15:00Z shows 2025-04-07, Tokyo)
            html = generic_article(it, lang, it.host)
            yield lang, "time[datetime]", html.encode(), it.url, zone, day
            if lang == "ja":
                era = f"令和{day.year - 2018}年{day.month}月{day.day}日"
                native = html.replace(f'<time datetime="{day.isoformat()}">{day.isoformat()}</time>',
                                      f'<p class="date">{era}</p>')
                yield lang, "p.date 令和7年4月6日", native.encode(), it.url, zone, day
    for name, url, day in GERMAN:
        yield "de", "recorded page", (FIXTURES / name).read_bytes(), url, "Europe/Berlin", day


def main() -> None:
    """Print, per language and form, the pages dated on their known day."""
    right: Counter = Counter()
    total: Counter = Counter()
    undated: Counter = Counter()
    langs: dict[str, list[str]] = defaultdict(list)
    started = time.perf_counter()
    for lang, form, body, url, zone, day in cases():
        key = (lang, form)
        if form not in langs[lang]:
            langs[lang].append(form)
        total[key] += 1
        try:
            ex = extract_page(body, url, "text/html; charset=utf-8", default_tz=zone)
        except BadInputError:
            ex = None
        when = ex.published_at if ex else None
        if when is None:
            undated[key] += 1
        elif when.astimezone(ZoneInfo(zone)).date() == day:
            right[key] += 1
    elapsed = time.perf_counter() - started
    print("| language | date form on the page | pages | dated right | undated | wrong day |")
    print("|---|---|---|---|---|---|")
    for lang, forms in langs.items():
        for form in forms:
            k = (lang, form)
            wrong = total[k] - right[k] - undated[k]
            print(f"| {lang} | {form} | {total[k]} | {right[k]} ({right[k] / total[k]:.0%}) "
                  f"| {undated[k]} | {wrong} |")
    pages = sum(total.values())
    print(f"\n{pages} pages in {elapsed:.1f} s ({1000 * elapsed / max(pages, 1):.0f} ms/page)")


if __name__ == "__main__":
    main()
