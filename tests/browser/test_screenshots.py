"""The main pages' screenshots land in docs/screenshots/ for the README, only on request."""

from __future__ import annotations

from pathlib import Path

from tests.browser import actions


class _Page:
    """Stands in for a Playwright page: records each screenshot it is asked for."""

    def __init__(self):
        self.taken: list[dict] = []

    def screenshot(self, **kwargs):
        self.taken.append(kwargs)
        Path(kwargs["path"]).write_bytes(b"image")


def test_a_main_page_shot_also_lands_in_the_screenshots_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(actions, "ARTIFACTS", tmp_path / "artifacts")
    monkeypatch.setenv(actions.SCREENSHOTS_ENV, str(tmp_path / "docs"))
    page = _Page()
    actions.shot(page, "01-digest-zh")
    assert (tmp_path / "artifacts" / "01-digest-zh.png").exists()
    assert (tmp_path / "docs" / "digest.jpg").exists()
    assert page.taken[1]["type"] == "jpeg" and page.taken[1]["full_page"] is False
    actions.shot(page, "04-hostile-search")  # not a main page
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == ["digest.jpg"]


def test_an_ordinary_run_leaves_the_committed_screenshots_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(actions, "ARTIFACTS", tmp_path / "artifacts")
    monkeypatch.delenv(actions.SCREENSHOTS_ENV, raising=False)
    page = _Page()
    actions.shot(page, "01-digest-zh")
    assert len(page.taken) == 1


def test_every_main_page_has_a_shot_in_the_browser_tests_and_the_readme():
    tests = (Path(__file__).with_name("test_ui.py")).read_text(encoding="utf-8")
    readme = (actions.ROOT / "README.md").read_text(encoding="utf-8")
    for name, page in actions.DOC_SHOTS.items():
        assert f'shot(page, "{name}")' in tests
        assert f"docs/screenshots/{page}.jpg" in readme
        assert (actions.ROOT / "docs" / "screenshots" / f"{page}.jpg").exists()
    assert set(actions.DOC_SHOTS.values()) == {"digest", "story", "search", "draft", "sources",
                                               "watchlists"}
