"""Canonical URLs: one document per real page whatever tracking junk a link carries."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_")
_TRACKING_KEYS = {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "ref", "ref_src",
                  "_hsenc", "_hsmi", "mkt_tok", "cmpid", "at_medium", "at_campaign"}
# A Java servlet session in the path (BMWK, BMFTR: "...html;jsessionid=8EC5..."): the same
# page under every visitor's session id.
_SESSION_PARAM = re.compile(r";jsessionid=[^/?#;]*", re.IGNORECASE)


def canonical_url(url: str) -> str:
    """Normalise a URL: lower-case scheme/host, no default port, no fragment, no tracking params,
    no servlet session id.

    Example:
        >>> canonical_url("HTTPS://WWW.Example.org:443/a/?utm_source=x&b=2#top")
        'https://www.example.org/a/?b=2'
        >>> canonical_url("https://www.bmwk.de/a.html;jsessionid=8EC5?nn=1")
        'https://www.bmwk.de/a.html?nn=1'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "https"
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_KEYS and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    path = _SESSION_PARAM.sub("", parts.path) or "/"
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def needs_fetch(known: dict[str, datetime | None], url: str, modified: datetime | None) -> bool:
    """Whether a page must be (re)fetched: unknown URL, or the site says it changed since.

    Args:
        known: stored canonical URLs -> the site's last-modified claim we saw (or None).
        url: the page's canonical URL.
        modified: what the site says now (sitemap lastmod, feed <updated>), if anything.
    """
    if url not in known:
        return True
    seen = known[url]
    return modified is not None and (seen is None or modified > seen)
