"""The README's "Getting started" block, run exactly as written in a fresh clone: install,
demo, a web user, the session secret, the web UI — then a real login and the demo digest.

Only the placeholder `<repository-url>` is replaced (by this repository's path) and the web UI
is given a free port through RADAR_WEB__PORT (8765 may be taken on a shared machine). The
install is real: the clone's `make demo` creates its own .venv (minutes: hence slow).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "choose a long password"

pytestmark = pytest.mark.slow


def readme_commands() -> list[str]:
    """The shell lines of the README's Getting started block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Getting started", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)[1]
    return [line for line in block.splitlines() if line.strip()]


def test_the_block_is_at_most_five_commands_and_sets_up_the_web_ui():
    lines = readme_commands()
    assert len(lines) <= 5
    joined = "\n".join(lines)
    assert "make demo" in joined and "hash-password" in joined and "--password-stdin" in joined
    assert "[web.users]" in joined and "RADAR_WEB_SECRET" in joined
    assert lines[-1].split()[-1] == "web"  # the last one serves the UI


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _login(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    page = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    answer = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                         "csrf": token})
    assert answer.status_code == 200 and "/login" not in str(answer.url), answer.text[:500]
    return client


def test_getting_started_runs_as_written(tmp_path):
    lines = readme_commands()
    setup = "\n".join(lines[:-1]).replace("<repository-url>", str(ROOT))
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RADAR_", "PREFECT_", "VIRTUAL_ENV", "MAKE"))}
    env.update(RADAR_WEB__PORT=str(port), PATH=os.environ["PATH"])
    # one shell for the whole block, as a newcomer's terminal: cd and export carry over
    script = f"set -euo pipefail\n{setup}\nexec {lines[-1]}\n"
    log = (tmp_path / "session.log").open("w")
    shell = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 45 * 60
        while time.monotonic() < deadline:
            assert shell.poll() is None, (tmp_path / "session.log").read_text()[-4000:]
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(5)
        client = _login(base)
        digest = client.get("/digest").text
        assert "2025-04-03" in digest and 'class="story card"' in digest
        screen = (tmp_path / "session.log").read_text()
        assert "Editable installation" not in screen  # the install is quiet (item 7)
        assert "password" not in (tmp_path / "policy-radar" / "radar.toml").read_text()
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGTERM)
            shell.wait(timeout=30)
        log.close()
        shutil.rmtree(tmp_path / "policy-radar" / ".venv", ignore_errors=True)
