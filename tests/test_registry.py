"""Source registry: the shipped file validates; bad entries are rejected with file and reason."""

import pytest

from crawlers.registry import load_registry
from radar.errors import ConfigError


def test_shipped_registry_is_valid():
    reg = load_registry()
    assert len(reg.sources) >= 5
    assert {"listing", "api", "feed"} <= {s.kind for s in reg.sources}
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
