"""The Makefile's install steps: quiet on success (the project's own progress is what a newcomer
sees first), loud on failure. A stand-in Python plays pip, so nothing is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS_NOISE = """\
  /tmp/pip-build-env/overlay/lib/python3.11/site-packages/setuptools/command/editable_wheel.py:354: BuildBackendWarning: Editable installation.
  !!
          ********************************************************************************
          Please be careful with folders in your working directory with the same
          name as your package as they may take precedence during imports.
          ********************************************************************************
  !!
"""

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _fake_venv(tmp_path: Path, fail_on: str = "") -> Path:
    """A venv whose python acts as pip: it prints what pip and setuptools print, and fails
    when its arguments contain `fail_on`."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (tmp_path / "noise.txt").write_text(SETUPTOOLS_NOISE)
    python = venv / "bin" / "python"
    python.write_text(f"""#!/bin/sh
echo "Collecting things ... Successfully installed $*"
cat {tmp_path / 'noise.txt'} >&2
case "$*" in *'{fail_on or '@never@'}'*) echo "ERROR: No matching distribution found for $*" >&2; exit 1;; esac
exit 0
""")
    python.chmod(0o755)
    return venv


def _make(target: str, venv: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), target,
                           f"VENV={venv}"], capture_output=True, text=True, env=env, timeout=60)


def test_install_shows_progress_not_pip_and_setuptools_output(tmp_path):
    venv = _fake_venv(tmp_path)
    done = _make("setup", venv)
    assert done.returncode == 0, done.stderr
    screen = done.stdout + done.stderr
    assert "Editable installation" not in screen and "Successfully installed" not in screen
    assert "policy-radar: installing" in screen and "torch" in screen
    assert (venv / ".installed").exists()
    assert "Editable installation" in (venv / "install.log").read_text()  # kept, not lost


def test_a_failed_install_step_shows_its_error(tmp_path):
    venv = _fake_venv(tmp_path, fail_on="torch")
    done = _make("setup", venv)
    assert done.returncode != 0
    assert "failed" in done.stderr and "No matching distribution found" in done.stderr
    assert not (venv / ".installed").exists()
