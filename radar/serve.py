"""`radar serve` / `radar stop`: a Prefect server, a process work pool and worker, the runner
that keeps the enrichment models loaded, and the web UI, all on loopback, supervised by one
process; the deployments of prefect.yaml registered.

The deployments that enrich (crawl-feeds, enrich) sit on the pool's ``serve.models_queue``
work queue, which the process worker does not poll: the runner service (radar/models_runner.py)
takes their runs and runs them in its own long-lived process with the models it loaded once.

`serve` holds a lock file for its whole life, so a second `serve` gets a clear message. The
services run in their own process groups (a Ctrl-C in the terminal reaches only `serve`,
which then stops them in order: worker, web UI, server). A service that dies is started
again. `stop` signals the `serve` process and waits for it; the Prefect worker needs a
second SIGINT to exit, which `serve` sends after a grace period.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from config.errors import BadInputError, ConfigError, TransientError
from config.settings import Settings
from store.snapshot import lock_held

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass
class Service:
    """One supervised child: its command, log file and process."""

    name: str
    argv: list[str]
    log: Path
    proc: subprocess.Popen | None = None
    restarts: int = 0
    stop: Callable[[subprocess.Popen, float], None] | None = field(default=None, repr=False)


def state_dir(settings: Settings) -> Path:
    """Where `serve` keeps its lock, state file and logs (absolute)."""
    return Path(settings.serve.state_dir).resolve()


def api_url(settings: Settings) -> str:
    """The local Prefect server's API URL."""
    return f"http://{settings.serve.host}:{settings.serve.port}/api"


def read_state(settings: Settings) -> dict | None:
    """The running `serve`'s state (pids, URLs), or None when none runs."""
    if not lock_held(state_dir(settings) / "serve.lock"):
        return None
    try:
        return json.loads((state_dir(settings) / "serve.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"pid": None, "api_url": api_url(settings), "ready": False}


def _take_lock(settings: Settings) -> int:
    folder = state_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "serve.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        state = read_state(settings) or {}
        raise BadInputError(
            f"radar serve is already running (pid {state.get('pid', '?')}, Prefect API "
            f"{state.get('api_url', '?')}); stop it with `radar stop`") from None
    return fd


def service_env(settings: Settings) -> dict[str, str]:
    """Environment of every service: the local API, offline models, absolute store paths."""
    env = dict(os.environ)
    env.update({
        "PREFECT_API_URL": api_url(settings),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_HOME": os.environ.get("PREFECT_HOME", str(Path.cwd() / ".prefect")),
        "RADAR_HOME": str(PROJECT_DIR),
        "RADAR_DB_PATH": str(Path(settings.db_path).resolve()),
        "RADAR_OUT_DIR": str(Path(settings.out_dir).resolve()),
        "RADAR_SPOOL_DIR": str(Path(settings.spool_dir).resolve()),
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
    })
    user_config = Path(os.environ.get("RADAR_CONFIG", "radar.toml"))
    if user_config.is_file():
        env["RADAR_CONFIG"] = str(user_config.resolve())
    return env


def _bin(name: str) -> str:
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else (shutil.which(name) or name)


def _port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _spawn(svc: Service, env: dict[str, str], cwd: Path) -> None:
    svc.log.parent.mkdir(parents=True, exist_ok=True)
    with open(svc.log, "ab") as log:
        svc.proc = subprocess.Popen(svc.argv, cwd=cwd, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float, log: Path) -> None:
    """Wait until the Prefect API answers /health.

    Raises:
        TransientError: the server exited or did not answer in time (with its log's tail).
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise TransientError(f"the Prefect server exited ({proc.returncode}):\n{_tail(log)}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TransientError(f"the Prefect server did not answer in {timeout_s:.0f}s:\n{_tail(log)}")


def setup_server(settings: Settings, url: str) -> None:
    """Create the process work pool, its models queue and the per-host tag concurrency limits
    (idempotent)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.workers.process import ProcessWorker

    from crawlers.registry import load_registry

    hosts = sorted({h for s in load_registry(settings.sources_file).sources for h in s.hosts()})
    with temporary_settings(updates={PREFECT_API_URL: url}), get_client(sync_client=True) as client:
        try:
            client.read_work_pool(settings.serve.work_pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(
                name=settings.serve.work_pool, type="process",
                base_job_template=ProcessWorker.get_default_base_job_template()))
        try:
            client.create_work_queue(settings.serve.models_queue,
                                     work_pool_name=settings.serve.work_pool)
        except ObjectAlreadyExists:
            pass
        for host in hosts:
            client.create_concurrency_limit(tag=f"host:{host}",
                                            concurrency_limit=settings.serve.host_concurrency)


def pause_schedules(url: str) -> int:
    """Turn every deployment schedule off (``serve.schedules = false``); returns how many."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    paused = 0
    with temporary_settings(updates={PREFECT_API_URL: url}), get_client(sync_client=True) as client:
        for dep in client.read_deployments():
            for sched in dep.schedules:
                client.update_deployment_schedule(dep.id, sched.id, active=False)
                paused += 1
    return paused


def deploy(env: dict[str, str], log: Path) -> None:
    """Register every deployment of prefect.yaml with the server.

    Raises:
        ConfigError: `prefect deploy` failed (its output's tail says why).
    """
    with open(log, "ab") as out:
        done = subprocess.run([_bin("prefect"), "--no-prompt", "deploy", "--all"],
                              cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=600)
    if done.returncode != 0:
        raise ConfigError(f"prefect deploy failed ({done.returncode}):\n{_tail(log, 30)}")


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def stop_child(proc: subprocess.Popen, grace_s: float, signals: tuple[int, ...]) -> None:
    """Stop one service: each signal in turn with a grace period, then SIGKILL its group."""
    for sig in signals:
        if proc.poll() is not None:
            return
        _signal_group(proc, sig)
        try:
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            continue
    _signal_group(proc, signal.SIGKILL)
    proc.wait(timeout=30)


def services(settings: Settings, logs: Path) -> list[Service]:
    """The supervised services, in start order (the server first)."""
    s = settings.serve
    found = [
        Service("server", [_bin("prefect"), "server", "start", "--host", s.host, "--port",
                           str(s.port)], logs / "server.log"),
        # every queue of the pool but the models queue, which the runner below takes
        Service("worker", [_bin("prefect"), "worker", "start", "--pool", s.work_pool,
                           "--work-queue", "default", "--type", "process",
                           "--name", f"radar-{os.uname().nodename}"], logs / "worker.log"),
        Service("runner", [sys.executable, "-m", "radar.models_runner"], logs / "runner.log"),
    ]
    if s.web and web_available():
        found.append(Service("web", [sys.executable, "-m", "radar.cli", "web"], logs / "web.log"))
    return found


def web_available() -> bool:
    """Whether this install's CLI has the `web` command (the analyst UI)."""
    import typer

    from radar.cli import app

    return "web" in typer.main.get_command(app).commands


def serve(settings: Settings, announce: Callable[[str], None] = print,
          stop_when: Callable[[], bool] | None = None) -> None:
    """Start, supervise and finally stop the services; returns after a stop request.

    Args:
        settings: loaded settings (``serve`` section, store paths).
        announce: where progress lines go.
        stop_when: polled by the supervision loop; default: SIGTERM or SIGINT received.

    Raises:
        BadInputError: another `radar serve` runs, or the port is taken.
        TransientError: the Prefect server did not come up.
        ConfigError: the deployments could not be registered.
    """
    lock_fd = _take_lock(settings)
    folder = state_dir(settings)
    logs = folder / "logs"
    url = api_url(settings)
    if not _port_free(settings.serve.host, settings.serve.port):
        os.close(lock_fd)
        raise BadInputError(f"port {settings.serve.port} on {settings.serve.host} is in use; "
                            "set serve.port (RADAR_SERVE__PORT) to a free one")
    stopping = {"flag": False}

    def _on_signal(signum, frame):
        stopping["flag"] = True

    old = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    env = service_env(settings)
    svcs = services(settings, logs)
    state = {"pid": os.getpid(), "api_url": url, "ui_url": url.removesuffix("/api"),
             "ready": False, "logs": str(logs), "services": {}}
    try:
        server = svcs[0]
        _spawn(server, env, PROJECT_DIR)
        _write_state(folder, state, svcs)
        wait_healthy(url, server.proc, settings.serve.start_timeout_s, server.log)
        announce(f"Prefect server on {state['ui_url']}")
        setup_server(settings, url)
        deploy(env, logs / "deploy.log")
        announce("deployments registered from prefect.yaml")
        if not settings.serve.schedules:
            announce(f"{pause_schedules(url)} schedules paused (serve.schedules = false)")
        for svc in svcs[1:]:
            _spawn(svc, env, PROJECT_DIR)
            announce(f"{svc.name} started (log {svc.log})")
        state["ready"] = True
        _write_state(folder, state, svcs)
        _supervise(svcs, env, folder, state, stop_when or (lambda: stopping["flag"]), announce)
    finally:
        announce("stopping: worker and runner, web UI, then the server")
        _stop_all(svcs, settings.serve.stop_grace_s)
        (folder / "serve.json").unlink(missing_ok=True)
        for sig, handler in old.items():
            signal.signal(sig, handler)
        os.close(lock_fd)


def _write_state(folder: Path, state: dict, svcs: list[Service]) -> None:
    state["services"] = {s.name: s.proc.pid for s in svcs if s.proc is not None}
    tmp = folder / "serve.json.tmp"
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(tmp, folder / "serve.json")


def _supervise(svcs: list[Service], env: dict, folder: Path, state: dict,
               stop_when: Callable[[], bool], announce: Callable[[str], None]) -> None:
    while not stop_when():
        for svc in svcs:
            if svc.proc is not None and svc.proc.poll() is not None:
                if svc.name == "server":
                    raise TransientError(f"the Prefect server exited ({svc.proc.returncode}):\n"
                                         f"{_tail(svc.log)}")
                svc.restarts += 1
                announce(f"{svc.name} exited ({svc.proc.returncode}); starting it again")
                time.sleep(min(60, 2 ** min(svc.restarts, 6)))
                _spawn(svc, env, PROJECT_DIR)
                _write_state(folder, state, svcs)
        time.sleep(0.5)


def _stop_all(svcs: list[Service], grace_s: float) -> None:
    order = {"worker": 0, "runner": 0, "web": 1, "server": 2}
    for svc in sorted(svcs, key=lambda s: order.get(s.name, 1)):
        if svc.proc is None:
            continue
        if svc.name == "worker":  # first SIGINT starts a graceful shutdown, the second exits
            stop_child(svc.proc, grace_s, (signal.SIGINT, signal.SIGINT, signal.SIGTERM))
        else:
            stop_child(svc.proc, grace_s, (signal.SIGTERM, signal.SIGINT))


def request_stop(settings: Settings, timeout_s: float = 120.0) -> dict | None:
    """Ask the running `serve` to stop and wait until it has; returns its state or None.

    Raises:
        TransientError: it did not stop within ``timeout_s``.
    """
    state = read_state(settings)
    if state is None:
        return None
    if not state.get("pid"):
        raise TransientError("radar serve is starting or stuck (no state yet); try again")
    os.kill(int(state["pid"]), signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if read_state(settings) is None:
            return state
        time.sleep(0.3)
    raise TransientError(f"radar serve (pid {state['pid']}) did not stop in {timeout_s:.0f}s")


def detach(settings: Settings, timeout_s: float | None = None) -> dict:
    """Start `radar serve` in the background and wait until it is ready; returns its state.

    Raises:
        BadInputError: one runs already.
        TransientError: it exited or was not ready in time (its log's tail says why).
    """
    if (state := read_state(settings)) is not None:
        raise BadInputError(f"radar serve is already running (pid {state.get('pid')}, "
                            f"Prefect API {state.get('api_url')}); stop it with `radar stop`")
    folder = state_dir(settings)
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    log = folder / "logs" / "serve.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "radar.cli", "serve"], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.monotonic() + (timeout_s or settings.serve.start_timeout_s + 300)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise TransientError(f"radar serve exited ({proc.returncode}):\n{_tail(log)}")
        state = read_state(settings)
        if state and state.get("ready"):
            return state
        time.sleep(0.5)
    raise TransientError(f"radar serve was not ready in time:\n{_tail(log)}")
