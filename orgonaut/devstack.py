"""Brings up what the demo and the tests need on a fresh machine, and runs the demo stack.

`python -m orgonaut.devstack run` (called by `make run`) and `... prepare-tests` (by `make test`).
Processes are supervised by honcho's Manager: one Ctrl-C stops them all, and so does any process
that exits, except the worker, which runs under `worker-forever`, a restart loop. Nothing here is used
in production, where each process is started by the platform's own supervisor.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from urllib.parse import urlparse

from orgonaut.settings import PROJECT_ROOT, VAR_DIR, get_settings

# The vendor simulators of the demo: process name -> (`orgonaut simulate` command, port, the setting that
# points the product at it).
SIMULATORS = {
    "simulator": ("anthropic", 8765, "ANTHROPIC_API_BASE"),
    "cursor-simulator": ("cursor", 8766, "CURSOR_API_BASE"),
    "github-simulator": ("github", 8767, "GITHUB_API_BASE"),
    "codex-simulator": ("codex", 8768, "CODEX_API_BASE"),
    "claude-enterprise-simulator": ("claude-enterprise", 8769, "CLAUDE_ENTERPRISE_API_BASE"),
}
SMTP_PORT = 8025


def say(message: str) -> None:
    print(f"[orgonaut] {message}", flush=True)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_in_use(port):
            return
        time.sleep(0.2)
    raise SystemExit(f"nothing answered on port {port} within {timeout:.0f}s")


def apt_install(package: str) -> None:
    if os.geteuid() != 0:
        raise SystemExit(f"{package} is missing; install it with: sudo apt-get install -y {package}")
    say(f"installing Debian's {package} (once)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def ensure_redis() -> None:
    """Use REDIS_URL when it answers; otherwise start the machine's redis-server on loopback."""
    settings = get_settings()
    if redis_answers(settings.redis_url):
        return
    parsed = urlparse(settings.redis_url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"Redis at {settings.redis_url} does not answer; start it or point REDIS_URL elsewhere")
    if port_in_use(port):
        raise SystemExit(f"port {port} is taken by something that is not Redis; free it or set REDIS_URL")
    if shutil.which("redis-server") is None:
        apt_install("redis-server")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    say(f"starting redis-server on 127.0.0.1:{port}")
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(VAR_DIR), "--logfile", str(VAR_DIR / "redis.log"),
         "--pidfile", str(VAR_DIR / "redis.pid")],
        check=True,
    )
    deadline = time.monotonic() + 15
    while not redis_answers(settings.redis_url):
        if time.monotonic() > deadline:
            raise SystemExit("redis-server did not start; see var/redis.log")
        time.sleep(0.2)


def ensure_chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        apt_install("chromium")
        path = shutil.which("chromium")
    if path is None:
        raise SystemExit("chromium is not installed and could not be installed")
    return path


def _orgonaut(*args: str) -> list[str]:
    return [sys.executable, "-m", "orgonaut.cli", *args]


def processes(port: int) -> dict[str, list[str]]:
    """The demo stack, one place: name -> command."""
    return {
        "web": [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port",
                "--frontend-port", str(port), "--loglevel", "warning"],
        # Under a restart loop: honcho stops the whole stack when one process exits (see worker_forever).
        "worker": [sys.executable, "-m", "orgonaut.devstack", "worker-forever"],
        "beat": [sys.executable, "-m", "celery", "-A", "workers.celery_app", "beat", "--loglevel=INFO",
                 "--schedule", str(VAR_DIR / "celerybeat-schedule")],
        **{name: _orgonaut("simulate", command, "--port", str(sim_port), "--demo")
           for name, (command, sim_port, _setting) in SIMULATORS.items()},
        "smtp": _orgonaut("smtp", "--port", str(SMTP_PORT)),
    }


WORKER_COMMAND = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--loglevel=INFO",
                  "--concurrency=2", "-n", "demo@%h"]
WORKER_RESTART_PAUSE = 2.0  # seconds between a worker's exit and its restart


def worker_forever(command: list[str] | None = None, pause: float = WORKER_RESTART_PAUSE) -> None:
    """Runs the Celery worker and starts it again whenever it exits, until we are told to stop.

    A worker can exit on its own (an unrecoverable broker error, review R3, or an out-of-memory kill);
    under honcho that would stop the whole demo stack. Production runs workers under its own
    restart-always supervisor (docs/architecture.md, Processes); this loop is the demo's. SIGTERM or
    SIGINT (honcho's stop, Ctrl-C) is passed to the worker, which shuts down warmly, and ends the loop.
    """
    import signal

    command = command or WORKER_COMMAND
    stopping = False
    child: subprocess.Popen | None = None

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    restarts = 0
    while not stopping:
        child = subprocess.Popen(command, cwd=PROJECT_ROOT)
        code = child.wait()
        if stopping:
            break
        restarts += 1
        say(f"worker exited with code {code}; restarting it in {pause:.0f}s (restart {restarts})")
        time.sleep(pause)
    sys.exit(0)


def run() -> None:
    settings = get_settings()
    port = settings.port
    ports = [("web", port), *((name, sim_port) for name, (_, sim_port, _) in SIMULATORS.items()), ("smtp", SMTP_PORT)]
    for name, taken_port in ports:
        if port_in_use(taken_port):
            raise SystemExit(
                f"port {taken_port} ({name}) is already taken by another process: stop it first "
                "(Orgonaut does not move to another port)"
            )
    ensure_redis()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **{setting: f"http://127.0.0.1:{sim_port}" for _, sim_port, setting in SIMULATORS.values()},
           "ORGONAUT_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}"}
    subprocess.run(_orgonaut("migrate"), check=True, env=env, cwd=PROJECT_ROOT)
    # The demo seed connects to the simulators and backfills, so they run for the seed first; honcho
    # then starts them again with the rest (honcho stops everything when one exits).
    simulators = [subprocess.Popen(processes(port)[name], env=env, cwd=PROJECT_ROOT) for name in SIMULATORS]
    try:
        for _, sim_port, _ in SIMULATORS.values():
            wait_for_port(sim_port)
        subprocess.run(_orgonaut("seed-demo"), check=True, env=env, cwd=PROJECT_ROOT)
    finally:
        for simulator in simulators:
            simulator.terminate()
            simulator.wait(10)

    from honcho.manager import Manager

    manager = Manager()
    for name, command in processes(port).items():
        manager.add_process(name, subprocess.list2cmdline(command), env=env, cwd=str(PROJECT_ROOT))
    _print_banner(settings.base_url)
    manager.loop()
    sys.exit(manager.returncode or 0)


def _print_banner(base_url: str) -> None:
    from orgonaut.demo import DEMO_PASSWORD, DEMO_USERS

    lines = [f"Orgonaut is starting at {base_url} (the first build of the pages takes a minute or two)",
             "Demo logins (password: " + DEMO_PASSWORD + "):"]
    lines += [f"  {email:<22} {role.value}" for email, role, _ in DEMO_USERS]
    lines.append(f"Alert e-mails land in {VAR_DIR / 'mail'} (local SMTP on port {SMTP_PORT})")
    lines.append("Ctrl-C stops every process.")
    say("\n".join(lines))


def prepare_tests() -> None:
    ensure_redis()
    print(ensure_chromium())


if __name__ == "__main__":
    # The dev stack is the demo: its simulators, a generated key (production is the default elsewhere).
    os.environ.setdefault("ORGONAUT_ENV", "demo")
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    {"run": run, "prepare-tests": prepare_tests, "redis": ensure_redis,
     "worker-forever": worker_forever}[command]()
