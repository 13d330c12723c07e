"""Source registry: the shipped file validates; bad entries are rejected with file and reason."""

import pytest

from crawlers.registry import load_registry
from radar.errors import ConfigError


def test_shipped_registry_is_valid():
    reg = load_registry()
    assert len(reg.sources) >= 40
    assert {"listing", "api", "feed", "sitemap"} == {s.kind for s in reg.sources}
    assert "www.whitehouse.gov" in reg.allowed_hosts()
    for s in reg.sources:
        assert s.verified.split(":")[0] in {"recorded", "documentation", "unverified"}


@pytest.mark.parametrize("entry,reason", [
    ("{id: Bad_Id, name: n, publisher: p, country: US, language: en, kind: feed, url: 'https://x.gov/f', verified: 'unverified: x'}", "id"),
    ("{id: ok, name: n, publisher: p, country: USA, language: en, kind: feed, url: 'https://x.gov/f', verified: 'unverified: x'}", "country"),
    ("{id: ok, name: n, publisher: p, country: US, language: en, kind: ftp, url: 'https://x.gov/f', verified: 'unverified: x'}", "kind"),
    ("{id: ok, name: n, publisher: p, country: US, language: en, kind: feed, url: 'javascript:alert(1)', verified: 'unverified: x'}", "url"),
    ("{id: ok, name: n, publisher: p, country: US, language: en, kind: feed, url: 'https://x.gov/f', verified: 'trust me'}", "verified"),
])
def test_bad_entry_names_file_and_reason(tmp_path, entry, reason):
    path = tmp_path / "sources.yaml"
    path.write_text(f"sources:\n  - {entry}\n")
    with pytest.raises(ConfigError) as info:
        load_registry(path)
    assert str(path) in str(info.value) and reason in str(info.value)


def test_duplicate_ids_rejected(tmp_path):
    e = "{id: a, name: n, publisher: p, country: US, language: en, kind: feed, url: 'https://x.gov/f', verified: 'unverified: x'}"
    path = tmp_path / "s.yaml"
    path.write_text(f"sources:\n  - {e}\n  - {e}\n")
    with pytest.raises(ConfigError, match="duplicate"):
        load_registry(path)


def test_registry_covers_the_required_publishers_and_topics():
    from pathlib import Path

    import yaml

    reg = load_registry()
    countries = {s.country for s in reg.sources}
    assert {"US", "EU", "GB", "JP", "KR", "DE", "NL", "FI", "SE", "FR", "INT", "CN"} <= countries
    hosts = reg.allowed_hosts()
    for host in ("www.whitehouse.gov", "www.federalregister.gov", "ustr.gov", "www.nist.gov",
                 "www.nsf.gov", "ec.europa.eu", "eur-lex.europa.eu", "www.gov.uk", "www.meti.go.jp",
                 "www.cao.go.jp", "english.motie.go.kr", "www.msit.go.kr", "www.fraunhofer.de",
                 "www.tno.nl", "www.vttresearch.com", "www.vinnova.se", "www.wto.org",
                 "www.wipo.int", "www.imd.org", "english.mofcom.gov.cn", "public-inspection.federalregister.gov"):
        assert host in hosts, host
    taxonomy = Path(__file__).resolve().parent.parent / "nlp" / "taxonomy.yaml"
    known = {t["id"] for t in yaml.safe_load(taxonomy.read_text())["topics"]}
    for s in reg.sources:
        assert set(s.topics) <= known, (s.id, s.topics)
        assert s.verified.split(":", 1)[1].strip(), s.id  # every status says why


def test_listing_without_selectors_and_bad_sitemap_rule_rejected(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("sources:\n  - {id: l, name: n, publisher: p, country: US, language: en, "
                    "kind: listing, url: 'https://x.gov/', verified: 'unverified: x'}\n")
    with pytest.raises(ConfigError, match="selectors"):
        load_registry(path)
    path.write_text("sources:\n  - {id: s, name: n, publisher: p, country: US, language: en, "
                    "kind: sitemap, url: 'https://x.gov/sitemap.xml', sitemap_rules: ['(['], "
                    "verified: 'unverified: x'}\n")
    with pytest.raises(ConfigError, match="sitemap rule"):
        load_registry(path)
