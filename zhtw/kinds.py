"""What kind of source a document is (order, fact sheet, statement, article, register).

Lives outside commentary/ because the digest's card needs it in the digest flow, where the
name `commentary` resolves to flows/commentary.py once Prefect puts flows/ on sys.path.
"""

from __future__ import annotations

import re

_KIND_BY_PATH = (
    ("/presidential-actions/", "order"),
    ("/fact-sheets/", "fact-sheet"),
    ("/briefings-statements/", "statement"),
    ("/statements-releases/", "statement"),
    ("/remarks/", "statement"),
    ("/articles/", "article"),
    ("federalregister.gov/", "register"),
)


def doc_kind(url: str, title: str) -> str:
    """What kind of source a document is: order, fact-sheet, statement, article, register, other."""
    for part, kind in _KIND_BY_PATH:
        if part in url:
            return kind
    if re.search(r"\b(executive order|proclamation|memorandum)\b", title, re.I):
        return "order"
    return "other"
