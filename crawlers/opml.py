"""OPML import and export of feed sources (the registry's `kind: feed` entries)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import yaml

from config.errors import BadInputError, ConfigError
from crawlers.registry import Registry, Source, load_registry


def export_opml(registry: Registry, title: str = "policy-radar feed sources") -> str:
    """OPML 2.0 of every feed source (id, country, language and topics kept as attributes)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = ET.SubElement(root, "body")
    for s in registry.sources:
        if s.kind != "feed":
            continue
        for url in s.start_urls():
            ET.SubElement(body, "outline", type="rss", text=s.name, title=s.name, xmlUrl=url,
                          language=s.language, category=",".join(s.topics),
                          radarId=s.id, radarCountry=s.country, radarPublisher=s.publisher)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "feed"


def parse_opml(data: bytes, origin: str, country: str = "INT", language: str = "en") -> list[dict]:
    """Feed outlines of an OPML file as registry entries (nested outlines are walked).

    Raises:
        BadInputError: not XML (or in an encoding Python cannot read), or not OPML.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise BadInputError(f"{origin}: not XML: {exc}") from exc
    except (LookupError, ValueError) as exc:  # expat on encoding="none", "undefined", "utf-16"
        raise BadInputError(f"{origin}: unreadable XML encoding: {exc}") from exc
    if root.tag != "opml":
        raise BadInputError(f"{origin}: not OPML (root <{root.tag}>)")
    entries = []
    for node in root.iter("outline"):
        url = node.get("xmlUrl")
        if not url:
            continue
        name = (node.get("title") or node.get("text") or url).strip()
        entries.append({
            "id": node.get("radarId") or _slug(name),
            "name": name,
            "publisher": node.get("radarPublisher") or name,
            "country": node.get("radarCountry") or country,
            "language": (node.get("language") or language).split("-")[0].lower(),
            "kind": "feed",
            "url": url,
            "topics": [t for t in (node.get("category") or "").split(",") if t],
            "verified": f"unverified: imported from OPML {origin}",
        })
    return entries


def import_opml(opml_path: Path, registry_path: Path, country: str = "INT",
                language: str = "en") -> list[str]:
    """Append the OPML's feeds that are not yet registered to a registry file.

    Existing entries (same URL) are skipped; a clashing id gets a numeric suffix. The merged
    file is validated before it is written, so a bad OPML never breaks the registry.

    Returns:
        The ids added.

    Raises:
        BadInputError: unreadable OPML, or an entry that does not validate.
    """
    registry = load_registry(registry_path)
    known_urls = {u for s in registry.sources for u in s.start_urls()}
    ids = {s.id for s in registry.sources}
    added = []
    for entry in parse_opml(opml_path.read_bytes(), opml_path.name, country, language):
        if entry["url"] in known_urls:
            continue
        base, n = entry["id"], 2
        while entry["id"] in ids:
            entry["id"], n = f"{base}-{n}", n + 1
        try:
            Source.model_validate(entry)
        except ValueError as exc:
            raise BadInputError(f"{opml_path.name}: feed {entry['url']}: {exc}") from exc
        ids.add(entry["id"])
        known_urls.add(entry["url"])
        added.append(entry)
    if not added:
        return []
    text = registry_path.read_text(encoding="utf-8").rstrip("\n") + "\n\n  # imported from OPML\n"
    dumped = yaml.safe_dump(added, allow_unicode=True, sort_keys=False, width=1000)
    text += "  " + dumped.rstrip("\n").replace("\n", "\n  ") + "\n"
    tmp = registry_path.with_suffix(".importing.yaml")
    tmp.write_text(text, encoding="utf-8")
    try:
        load_registry(tmp)
    except ConfigError as exc:
        tmp.unlink()
        raise BadInputError(f"imported feeds do not validate: {exc}") from exc
    tmp.replace(registry_path)
    return [e["id"] for e in added]
