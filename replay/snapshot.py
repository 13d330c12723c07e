"""The bundled snapshot (demo/snapshot) as a lookup table, for the evaluation sets that name
their documents by id or URL (relevance labels, card labels)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

_FR_NUMBER = re.compile(r"/(\d{4}-\d{5,})(?:/|$)")


def snapshot_index(folder: Path) -> dict[str, dict]:
    """Snapshot records by id, URL and Federal Register document number."""
    index: dict[str, dict] = {}
    for name in ("whitehouse.jsonl.gz", "federal_register.jsonl.gz"):
        with gzip.open(folder / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                for key in (rec["id"], rec.get("url"), rec.get("original_url"),
                            rec.get("document_number")):
                    if key:
                        index.setdefault(key, rec)
    return index


def record_for(key: str, index: dict[str, dict]) -> dict | None:
    """The snapshot record of an id or URL (FR public-inspection URLs by document number)."""
    if key in index:
        return index[key]
    m = _FR_NUMBER.search(key)
    return index.get(m.group(1)) if m else None
