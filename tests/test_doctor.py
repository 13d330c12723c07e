"""`radar doctor`: each check finds its problem and says what to do; the command exits 1 when
a check fails."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from typer.testing import CliRunner

from config.settings import load_settings
from radar import doctor
from radar.cli import app


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Write radar.toml in tmp_path (RADAR_CONFIG) and return the settings it gives."""
    def write(text: str = ""):
        path = tmp_path / "radar.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("RADAR_CONFIG", str(path))
        return path
    return write


def test_settings_a_broken_radar_toml_fails_with_its_line_and_the_rest_still_checks(config):
    path = config("[web.users]\npassword: Repeat for confirmation: \"alice\" = \"x\"\n")
    check, settings = doctor.check_config()
    assert check.status == "fail" and f"{path}, line 2" in check.detail and check.fix
    assert settings.db_path  # defaults, so the other checks run
    config("[digest]\nhour = 7\n")
    check, settings = doctor.check_config()
    assert check.status == "ok" and settings.digest.hour == 7


def test_models_a_missing_model_package_fails_with_the_install_command(settings):
    assert doctor.check_models(settings).status == "ok"
    broken = settings.model_copy(update={"nlp": settings.nlp.model_copy(
        update={"spacy_model": "no_such_model_pkg"})})
    check = doctor.check_models(broken)
    assert check.status == "fail" and "no_such_model_pkg" in check.detail
    assert "make setup" in check.fix


def test_chromium_missing_names_the_packages(monkeypatch):
    monkeypatch.setattr(doctor, "CHROMIUM", ("no-such-browser", "/nonexistent/chromium"))
    check = doctor.check_chromium(which=lambda _: None)
    assert check.status == "warn" and "fonts-noto-cjk" in check.fix
    monkeypatch.setattr(doctor, "CHROMIUM", ("sh", "/nonexistent/chromium"))
    assert doctor.check_chromium().status == "ok"


def test_store_missing_fine_old_and_corrupt(settings):
    from store.db import connect, latest_schema

    assert doctor.check_store(settings).status == "warn"  # no store yet: make demo
    connect(settings.db_path).close()
    check = doctor.check_store(settings)
    assert check.status == "ok" and f"schema {latest_schema()}" in check.detail
    import duckdb

    con = duckdb.connect(str(settings.db_path))
    con.execute("DELETE FROM schema_version WHERE version = ?", [latest_schema()])
    con.close()
    assert doctor.check_store(settings).status == "warn"  # the next writer migrates it
    settings.db_path.write_bytes(b"not a duckdb file" * 100)
    check = doctor.check_store(settings)
    assert check.status == "fail" and "does not open" in check.detail and "make demo" in check.fix


def test_folders_not_writable_fail(settings, tmp_path):
    assert doctor.check_folders(settings).status == "ok"
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    bad = settings.model_copy(update={"out_dir": blocker / "out"})
    check = doctor.check_folders(bad)
    assert check.status == "fail" and str(blocker / "out") in check.detail


def test_web_users_and_secret(settings, monkeypatch):
    from web.auth import hash_password

    check = doctor.check_web(settings)
    assert check.status == "fail" and "radar hash-password" in check.fix
    users = settings.model_copy(update={"web": settings.web.model_copy(
        update={"users": {"alice": hash_password("pw")}})})
    monkeypatch.delenv(users.web.secret_key_env, raising=False)
    check = doctor.check_web(users)
    assert check.status == "warn" and users.web.secret_key_env in check.fix
    monkeypatch.setenv(users.web.secret_key_env, "x" * 32)
    assert doctor.check_web(users).status == "ok"


class _Health(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args):
        pass


def test_prefect_skipped_when_not_serving_reached_or_not_when_serving(settings, monkeypatch):
    assert doctor.check_prefect(settings).status == "skip"
    server = HTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api"
        monkeypatch.setattr("radar.serve.read_state", lambda s: {"api_url": url})
        assert doctor.check_prefect(settings).status == "ok"
        monkeypatch.setattr("radar.serve.read_state",
                            lambda s: {"api_url": "http://127.0.0.1:9/api"})
        check = doctor.check_prefect(settings, timeout_s=2)
        assert check.status == "fail" and "radar serve" in check.fix
    finally:
        server.shutdown()


def test_the_command_prints_each_check_with_its_fix_and_exits_1_on_failure(tmp_path, config,
                                                                           monkeypatch):
    config("")
    monkeypatch.setenv("RADAR_DB_PATH", str(tmp_path / "radar.duckdb"))
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1  # no web users
    lines = result.output.splitlines()
    assert any(line.startswith("FAIL  web") for line in lines)
    assert any("→ add a [web.users] table" in line for line in lines)
    assert lines[-1].endswith("failed: web")
    assert json.dumps(load_settings().web.users) == "{}"
