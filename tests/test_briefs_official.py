"""The primary official document of a story and how it is cited."""

from datetime import UTC, datetime

from briefs.official import number_label, official_document
from store.digests import MemberDoc


def test_official_document_ignores_numbers_cited_in_body_text():
    def member(doc_id, title, text, url, when):
        return MemberDoc(doc_id, title, text, url, "s", "S", "The White House", "US", 3.0,
                         when, "datetime", when, None, None, "en", True)

    cites = member("a", "Adjusting Imports of Automobiles",
                   "as amended by Proclamation 9888 of May 17, 2019. 4. In Proclamation 9888, I "
                   "also directed the Secretary to monitor imports.",
                   "https://www.whitehouse.gov/presidential-actions/2025/03/autos/",
                   datetime(2025, 3, 26, tzinfo=UTC))
    order = member("b", "Regulating Imports with a Reciprocal Tariff", "Sec. 1. Background.",
                   "https://www.whitehouse.gov/presidential-actions/2025/04/reciprocal/",
                   datetime(2025, 4, 2, tzinfo=UTC))
    found = official_document([cites, order])
    assert found.label == "Regulating Imports with a Reciprocal Tariff" and found.doc_id == "b"
    titled = member("c", "Executive Order 14257: Reciprocal Tariffs", "", "https://x.gov/c",
                    datetime(2025, 4, 2, tzinfo=UTC))
    assert official_document([cites, titled]).label == "Executive Order 14257"


def test_stored_numbers_are_cited_in_the_federal_registers_form():
    assert number_label("2025-05639", "Notice") == "FR Doc. 2025-05639 (Notice)"
    assert number_label("2025-05639", None) == "FR Doc. 2025-05639"
    assert number_label("2025-05751", "public-inspection") == "FR Doc. 2025-05751 (public inspection)"
    assert number_label("2025-05751", "public-inspection:Rule") == (
        "FR Doc. 2025-05751 (Rule, public inspection)")
    assert number_label("14257", "Executive Order") == "Executive Order 14257"
